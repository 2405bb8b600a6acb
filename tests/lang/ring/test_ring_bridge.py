"""The med.registry externs, called directly against the fixed registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from medlang.lang.bridge import registry as bridge
from medlang.lang.builtins_time import _timestamp as timestamp
from medlang.lang.externs import ExternContext, ExternFailure, lookup_extern
from medlang.lang.values import NONE, EnumValue, Record, Some
from medlang.resources import stdlib_dir

from . import fixture_registry as fx

ALL_KINDS = (
    "EvidenceMechanistic",
    "EvidenceSurrogate",
    "EvidenceHybrid",
    "SurrogateTrain",
    "SurrogateEval",
    "RLTrain",
    "RLEval",
)


@pytest.fixture
def ctx(fixture_registry: Path) -> ExternContext:
    return ExternContext(fixture_registry)


def kind(name: str) -> Some:
    return Some(EnumValue("RunKind", name))


def ids(records: tuple[Record, ...]) -> list[str]:
    return [record["id"] for record in records]


def declared_fields(type_name: str) -> list[str]:
    """Field names of a record type as declared in stdlib/med/registry.medlang."""
    source = (stdlib_dir() / "med" / "registry.medlang").read_text()
    body = re.search(rf"type {type_name} = \{{(.*?)\}};", source, re.S)
    assert body is not None, f"{type_name} not declared"
    return re.findall(r"^\s*(\w+)\s*:", body.group(1), re.M)


def test_every_declared_extern_is_implemented() -> None:
    source = (stdlib_dir() / "med" / "registry.medlang").read_text()
    names = re.findall(r"^extern fn (\w+)\(", source, re.M)
    assert len(names) >= 14
    assert [name for name in names if lookup_extern("med.registry", name) is None] == []


def test_list_runs_is_oldest_first_with_ties_in_log_order(ctx: ExternContext) -> None:
    by_start = sorted(
        range(len(fx.RUNS)), key=lambda i: (fx.RUNS[i].started, i)
    )  # stable: log order breaks ties
    assert ids(bridge.list_runs(ctx, NONE)) == [fx.RUNS[i].id for i in by_start]
    hybrids = ids(bridge.list_runs(ctx, kind("EvidenceHybrid")))
    assert hybrids == [fx.HYBRID_EARLY, fx.HYBRID_1, fx.HYBRID_2]


@pytest.mark.parametrize("name", ALL_KINDS)
def test_kind_filter_and_count_agree(ctx: ExternContext, name: str) -> None:
    expected = [spec.id for spec in fx.RUNS if spec.kind == name]
    listed = bridge.list_runs(ctx, kind(name))
    assert sorted(ids(listed)) == sorted(expected)
    assert {record["kind"] for record in listed} == {EnumValue("RunKind", name)}
    assert bridge.count_runs(ctx, kind(name)) == len(expected)


def test_count_all_runs(ctx: ExternContext) -> None:
    assert bridge.count_runs(ctx, NONE) == len(fx.RUNS)


def test_summary_fields_follow_the_declaration(ctx: ExternContext) -> None:
    summary = bridge.get_run_summary(ctx, fx.HYBRID_1)
    assert summary.type_name == "RunSummary"
    assert list(summary.fields) == declared_fields("RunSummary")
    assert summary.fields == {
        "id": fx.HYBRID_1,
        "kind": EnumValue("RunKind", "EvidenceHybrid"),
        "project_root": fx.PROJECT,
        "evidence_program": "OncologyEvidence",
        "started_at": "2026-03-03T14:00:00.000000Z",
        "finished_at": "2026-03-03T14:00:00.900000Z",
        "git_commit": fx.COMMIT_B,
        "git_dirty": True,
        "started": timestamp(ctx, "2026-03-03T14:00:00Z"),
        "finished": timestamp(ctx, "2026-03-03T14:00:00.9Z"),
    }


def test_absent_optionals_are_empty_strings(ctx: ExternContext) -> None:
    record = bridge.get_run(ctx, fx.HYBRID_EARLY)
    assert record["evidence_program"] == ""
    assert record["git_commit"] == ""
    assert record["module_path"] == ""
    assert record["artifacts"] == ()


def test_full_record_fields_and_metrics(ctx: ExternContext) -> None:
    record = bridge.get_run(ctx, fx.RUNS[0].id)  # the mechanistic run, nested metrics
    assert record.type_name == "RunRecord"
    assert list(record.fields) == declared_fields("RunRecord")
    assert record["module_path"] == f"{fx.PROJECT}/examples/oncology/evidence.medlang"
    assert record["metrics"] == {
        "ORR": 0.4133,
        "DLT_rate": 0.12,
        "mech_violations": 0.0,
        "execution_time_ms": 4210.0,
        "per_arm.50mg.ORR": 0.21,
        "per_arm.100mg.ORR": 0.43,
        "per_arm.150mg.ORR": 0.6,
    }
    assert all(type(value) is float for value in record["metrics"].values())
    assert record["config_json"] == (
        '{"arms": [50, 100, 150], "backend": "mechanistic", '
        '"patients_per_arm": 100, "seed": 20260302}'
    )


def test_artifacts_resolved_and_dangling(ctx: ExternContext) -> None:
    with_model = bridge.get_run(ctx, fx.RUNS[1].id)
    (model,) = with_model["artifacts"]
    assert model == Record(
        "ArtifactInfo",
        {
            "id": fx.MODEL_V1.id,
            "kind": "SurrogateModel",
            "path": fx.MODEL_V1.path,
            "sha256": fx.MODEL_V1.sha256,
        },
    )
    assert list(model.fields) == declared_fields("ArtifactInfo")
    (dangling,) = bridge.get_run(ctx, fx.SURROGATE_EVAL_NO_RMSE)["artifacts"]
    assert dangling.fields == {"id": fx.DANGLING_ARTIFACT_ID, "kind": "", "path": "", "sha256": ""}
    (no_checksum,) = bridge.get_run(ctx, fx.RL_EVAL_1)["artifacts"]
    assert no_checksum["sha256"] == ""


def test_get_metric(ctx: ExternContext) -> None:
    assert bridge.get_metric(ctx, fx.SURROGATE_EVAL_BEST, "rmse") == Some(0.031)
    assert bridge.get_metric(ctx, fx.SURROGATE_EVAL_BEST, "qualification_passed") == Some(1.0)
    assert bridge.get_metric(ctx, fx.RUNS[2].id, "qualification_passed") == Some(0.0)
    assert bridge.get_metric(ctx, fx.RUNS[0].id, "per_arm.150mg.ORR") == Some(0.6)
    assert bridge.get_metric(ctx, fx.SURROGATE_EVAL_NO_RMSE, "rmse") is NONE
    assert bridge.get_metric(ctx, fx.SURROGATE_EVAL_NO_RMSE, "status") is NONE  # text: left out


def test_get_config(ctx: ExternContext) -> None:
    run_id = fx.RUNS[0].id
    assert bridge.get_config(ctx, run_id, "backend") == Some("mechanistic")
    assert bridge.get_config(ctx, run_id, "seed") == Some("20260302")
    assert bridge.get_config(ctx, run_id, "arms") == Some("[50, 100, 150]")
    assert bridge.get_config(ctx, run_id, "arms.0") is NONE
    assert bridge.get_config(ctx, run_id, "missing") is NONE


def test_recent_runs_newest_first(ctx: ExternContext) -> None:
    newest = sorted(fx.RUNS, key=lambda spec: spec.started, reverse=True)
    assert ids(bridge.recent_runs(ctx, 3)) == [spec.id for spec in newest[:3]]
    assert bridge.recent_runs(ctx, 0) == ()
    assert bridge.recent_runs(ctx, -5) == ()
    assert len(bridge.recent_runs(ctx, 1000)) == len(fx.RUNS)


def test_unique_prefix_finds_the_run(ctx: ExternContext) -> None:
    assert bridge.get_run_summary(ctx, fx.SURROGATE_EVAL_BEST[:8])["id"] == fx.SURROGATE_EVAL_BEST


@pytest.mark.parametrize(
    "run_id",
    ["6a14c8a2-0b5e-4c1d-9f3a-2b7c9d1e4f50", "not-a-run-id", "", "ffff"],
)
def test_unknown_run_id_is_a_runtime_error_naming_it(ctx: ExternContext, run_id: str) -> None:
    with pytest.raises(ExternFailure) as error:
        bridge.get_run_summary(ctx, run_id)
    assert repr(run_id) in str(error.value)
    with pytest.raises(ExternFailure, match=re.escape(repr(run_id))):
        bridge.get_metric(ctx, run_id, "rmse")


def test_empty_registry(tmp_path: Path) -> None:
    ctx = ExternContext(tmp_path / "nothing-here")
    assert bridge.list_runs(ctx, NONE) == ()
    assert bridge.recent_runs(ctx, 10) == ()
    assert bridge.count_runs(ctx, kind("RLEval")) == 0
    assert not (tmp_path / "nothing-here").exists()  # reading creates nothing


@pytest.mark.parametrize(
    ("metrics", "flat"),
    [
        ({"a": 1, "b": 2.5, "ok": True, "bad": False}, {"a": 1.0, "b": 2.5, "ok": 1.0, "bad": 0.0}),
        ({"x": {"y": {"z": 3}}, "s": "text", "l": [1, 2], "n": None}, {"x.y.z": 3.0}),
        ({"huge": 10**400, "fine": 1}, {"fine": 1.0}),
        ({}, {}),
    ],
)
def test_flatten_metrics(metrics: dict, flat: dict) -> None:
    assert bridge.flatten_metrics(metrics) == flat


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2026-03-03T14:00:00.900000Z", "2026-03-03T14:00:00.900000Z"),
        ("2025-01-23T14:32:10.123456789Z", "2025-01-23T14:32:10.123456Z"),  # Rust's chrono
        ("2025-01-23T15:32:10+01:00", "2025-01-23T14:32:10.000000Z"),
    ],
)
def test_timestamps_are_shown_in_one_format(stored: str, shown: str) -> None:
    assert bridge.timestamp_text(stored) == shown


def test_a_line_written_by_the_rust_toolchain(tmp_path: Path) -> None:
    from medlang.registry.paths import RUNS_FILE

    root = tmp_path / "registry"
    root.mkdir()
    line = (
        '{"id":"6a14c8a2-0b5e-4c1d-9f3a-2b7c9d1e4f50","kind":"EvidenceHybrid",'
        '"started_at":"2025-01-23T14:32:10.123456789Z","finished_at":"2025-01-23T14:33:00Z",'
        '"project_root":"/srv/trials/rust","git_dirty":false,"metrics":{"ORR":0.4}}\n'
    )
    (root / RUNS_FILE).write_text(line)
    (summary,) = bridge.list_runs(ExternContext(root), NONE)
    assert summary["started_at"] == "2025-01-23T14:32:10.123456Z"
    assert summary["finished_at"] == "2025-01-23T14:33:00.000000Z"
    assert summary["evidence_program"] == ""


PROGRAM = """\
import med.registry::{RunKind, get_run, get_metric, get_config, count_runs};

fn main() {
  let run = get_run("781f9c58-d664-4fa9-a8a8-529f035efa25");
  println("{}", run.kind);
  println("{}", keys(run.metrics));
  println("{}", get(run.metrics, "per_arm.150mg.ORR"));
  println("{}", get_metric(run.id, "no_such_metric"));
  println("{}", get_config(run.id, "arms"));
  println("{} artifacts, {} RL evaluations", len(run.artifacts), count_runs(Some(RunKind::RLEval)));
}
"""


def test_registry_access_from_medlang(tmp_path: Path, fixture_registry: Path) -> None:
    from .cli_support import mlc

    program = tmp_path / "metrics.medlang"
    program.write_text(PROGRAM)
    result = mlc("run", program, registry=fixture_registry)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "EvidenceMechanistic\n"
        '["DLT_rate", "ORR", "execution_time_ms", "mech_violations", '
        '"per_arm.100mg.ORR", "per_arm.150mg.ORR", "per_arm.50mg.ORR"]\n'
        "Some(0.6)\n"
        "None\n"
        'Some("[50, 100, 150]")\n'
        "0 artifacts, 3 RL evaluations\n"
    )


def test_ambiguous_prefix_lists_the_candidates(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from medlang.registry import RunRecord
    from medlang.registry.store import Registry

    registry = Registry(tmp_path / "registry")
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    twins = ["abcd1234-0000-4000-8000-000000000001", "abcd5678-0000-4000-8000-000000000002"]
    for run_id in twins:
        registry.log_run(
            RunRecord(
                id=run_id,
                kind="RLEval",
                started_at=moment,
                finished_at=moment,
                project_root="/srv/trials/twins",
            )
        )
    ctx = ExternContext(registry.root)
    with pytest.raises(ExternFailure) as error:
        bridge.get_run_summary(ctx, "abcd")
    assert "ambiguous" in str(error.value)
    assert all(run_id in str(error.value) for run_id in twins)
    assert bridge.get_run_summary(ctx, "abcd5")["id"] == twins[1]
