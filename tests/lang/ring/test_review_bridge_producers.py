"""Review: med.registry on runs written by the real producers (not the fixture):
list_runs order with a tie, summaries, and metrics nested by the producers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry, RunKind, RunLogger
from medlang.registry.timestamps import parse_timestamp
from tests.science.conftest import logged_id, make_project

PROGRAM = """module review.analysis;

import med.registry::{RunKind, list_runs, get_run_summary, get_metric, get_config};

fn shown(value: Option<Float>) -> String {
  match value {
    Some(v) => format_float(v, 6),
    None => "none",
  }
}

fn main() {
  for run in list_runs(None) {
    let s = get_run_summary(run.id);
    println(
      "{}|{}|{}|{}|{}|{}",
      s.id, s.started_at, s.finished_at, s.evidence_program, s.git_commit, s.git_dirty
    );
    println(
      "  {}|{}|{}|{}",
      shown(get_metric(run.id, "ORR")),
      shown(get_metric(run.id, "ORR_by_arm.150mg")),
      shown(get_metric(run.id, "rmse")),
      shown(get_metric(run.id, "qualification_passed"))
    );
  }
  for run in list_runs(Some(RunKind::EvidenceMechanistic)) {
    println("mech {} seed={}", run.id, get_config(run.id, "seed"));
  }
}
"""


@pytest.fixture(scope="module")
def produced(tmp_path_factory) -> tuple[Path, list[str]]:
    base = tmp_path_factory.mktemp("bridge")
    project = make_project(base / "project", base / "registry")
    ids = []
    for args in (
        ("run-evidence", "--backend", "mechanistic", "--out", project.path("m1.json")),
        ("train-surrogate", "--train-config", project.path("train.json"), "--out-model")
        + (project.path("model/surrogate.json"),),
        ("surrogate-eval", "--surrogate", project.path("model/surrogate.json"))
        + ("--eval-config", project.path("eval.json"), "--out-report", project.path("e.json")),
        ("run-evidence", "--backend", "mechanistic", "--out", project.path("m2.json")),
    ):
        ids.append(logged_id(project.produce(*args, "--log")))
    # Another toolchain logs a run that started at the same instant as the first:
    # it must come right after it (ties in log order), before the later runs.
    registry = Registry(project.registry)
    first = registry.find_run(ids[0])
    tie = RunLogger(registry, str(project.root), evidence_program="SmallEvidence").log_run(
        RunKind.EvidenceMechanistic,
        {"seed": 99},
        {"ORR": 0.5, "ORR_by_arm": {"150mg": 0.25}},
        started_at=first.started_at,
        finished_at=first.finished_at,
    )
    return project.registry, [ids[0], tie, *ids[1:]]


def run_program(registry: Path, tmp_path: Path) -> list[str]:
    program = tmp_path / "analysis.medlang"
    program.write_text(PROGRAM)
    result = CliRunner().invoke(cli, ["--registry", str(registry), "run", str(program)])
    assert result.exit_code == 0, result.output + result.stderr
    return result.output.splitlines()


def test_list_runs_is_oldest_first_with_a_tie_in_log_order(produced, tmp_path):
    registry, expected = produced
    lines = run_program(registry, tmp_path)
    listed = [line.split("|")[0] for line in lines[0:10:2]]
    assert listed == expected
    mech = [line.split()[1] for line in lines if line.startswith("mech ")]
    assert mech == [expected[0], expected[1], expected[4]]


def test_summaries_and_nested_metrics_match_the_stored_records(produced, tmp_path):
    registry, expected = produced
    lines = run_program(registry, tmp_path)
    stored = {
        record["id"]: record
        for record in map(json.loads, (registry / "runs.jsonl").read_text().splitlines())
    }
    for summary_line, metric_line in zip(lines[0:10:2], lines[1:10:2], strict=True):
        run_id, started, finished, program, commit, dirty = summary_line.split("|")
        record = stored[run_id]
        for shown, key in ((started, "started_at"), (finished, "finished_at")):
            assert shown.endswith("Z") and len(shown) == 27
            assert parse_timestamp(shown) == parse_timestamp(record[key])
        assert program == record["evidence_program"] == "SmallEvidence"
        assert commit == (record["git_commit"] or "") and dirty == str(record["git_dirty"]).lower()
        orr, orr_150, rmse, qualified = metric_line.strip().split("|")
        metrics = record["metrics"]

        def expect(value) -> str:
            return "none" if value is None else f"{float(value):.6f}"

        assert orr == expect(metrics.get("ORR"))
        assert orr_150 == expect((metrics.get("ORR_by_arm") or {}).get("150mg"))
        assert rmse == expect(metrics.get("rmse"))  # null for a mechanistic run: none
        assert qualified == expect(metrics.get("qualification_passed"))
    kinds = [stored[run_id]["kind"] for run_id in expected]
    assert kinds == [
        "EvidenceMechanistic",
        "EvidenceMechanistic",
        "SurrogateTrain",
        "SurrogateEval",
        "EvidenceMechanistic",
    ]
    seeds = [line.split("seed=")[1] for line in lines if line.startswith("mech ")]
    assert seeds == ['Some("7")', 'Some("99")', 'Some("7")']
