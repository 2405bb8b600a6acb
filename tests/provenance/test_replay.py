"""``mlc runs replay`` for every producer: after the inputs were edited and the outputs
overwritten, and again after the whole project directory was deleted, the replay is
certified identical; a damaged stored object is named and exits 1."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from medlang.registry import Registry
from tests.provenance.conftest import with_imported_module
from tests.science.conftest import Project, logged_id, make_project

# name -> (command, options, outputs); every producer, each backend of run-evidence
RUNS = {
    "train-surrogate": (
        "train-surrogate",
        ["--train-config", "train.json"],
        ["--out-model", "model/surrogate.json"],
    ),
    "surrogate-eval": (
        "surrogate-eval",
        ["--surrogate", "model/surrogate.json", "--eval-config", "eval.json"],
        ["--out-report", "out/eval.json"],
    ),
    "run-evidence-mechanistic": (
        "run-evidence",
        ["--backend", "mechanistic"],
        ["--out", "out/mechanistic.json"],
    ),
    "run-evidence-surrogate": (
        "run-evidence",
        ["--backend", "surrogate", "--config", "hybrid.json"],
        ["--out", "out/surrogate.json"],
    ),
    "run-evidence-hybrid": (
        "run-evidence",
        ["--backend", "hybrid", "--config", "hybrid.json"],
        ["--out", "out/hybrid.json"],
    ),
    "run-evidence-hybrid-command": (
        "run-evidence-hybrid",
        ["--hybrid-config", "hybrid.json"],
        ["--out", "out/hybrid2.json"],
    ),
    "train-policy-rl": (
        "train-policy-rl",
        ["--env-config", "env.json", "--train-config", "rltrain.json"],
        ["--out-policy", "policy.json", "--out-report", "out/rltrain.json"],
    ),
    "eval-policy-rl": (
        "eval-policy-rl",
        ["--env-config", "env.json", "--policy", "policy.json", "--n-episodes", "5"],
        ["--out-report", "out/rleval.json"],
    ),
    "mlc-run-log": ("run", ["--backend", "mechanistic"], ["--out", "out/run.json"]),
}


def _paths(project: Project, options: list[str]) -> list[str]:
    return [
        project.path(o) if o.endswith(".json") or o.endswith(".medlang") else o for o in options
    ]


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """One project with a logged run of every producer, then every input file edited
    and every output overwritten."""
    base = tmp_path_factory.mktemp("replay")
    project = with_imported_module(make_project(base / "project", base / "registry"))
    ids = {}
    for name, (command, options, outputs) in RUNS.items():
        args = _paths(project, options + outputs)
        if command == "run":
            result = project.mlc("run", project.path("small_evidence.medlang"), "--log", *args)
        else:
            result = project.produce(command, *args, "--log", "--quiet")
        ids[name] = logged_id(result)
    for path in project.root.rglob("*"):
        if path.is_file() and path.suffix == ".medlang":
            path.write_text(path.read_text() + "\n// edited after the runs\n")
        elif path.is_file():  # configs edited, models, policies and results overwritten
            path.write_text('{"overwritten": true}\n')
    return project, ids


@pytest.mark.parametrize("name", list(RUNS))
def test_replay_after_inputs_were_edited_and_outputs_overwritten(logged, name):
    project, ids = logged
    result = project.mlc("runs", "replay", ids[name][:8])
    assert "verdict:          IDENTICAL" in result.output, result.output
    replay_id = next(
        line.split()[-1] for line in result.output.splitlines() if "replay run:" in line
    )
    replayed = Registry(project.registry).find_run(replay_id)
    assert (replayed.replay_of, replayed.replay_verdict) == (ids[name], "identical")
    assert replayed.kind == Registry(project.registry).find_run(ids[name]).kind


def test_replay_after_the_project_directory_was_deleted(logged, tmp_path):
    project, ids = logged
    shutil.rmtree(project.root)
    for name, run_id in ids.items():
        out_dir = tmp_path / name
        result = project.mlc("runs", "replay", run_id, "--out-dir", str(out_dir))
        assert "verdict:          IDENTICAL" in result.output, (name, result.output)
        run = Registry(project.registry).find_run(run_id)
        artifact_shas = [Registry(project.registry).find_artifact(a).sha256 for a in run.artifacts]
        kept = sorted(p for p in (out_dir / "outputs").iterdir())
        assert sorted(_sha(p) for p in kept) == sorted(artifact_shas), name
    assert not project.root.exists()


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _small_project(tmp_path) -> tuple[Project, str]:
    project = make_project(tmp_path / "project", tmp_path / "registry")
    result = project.produce(
        "run-evidence", "--backend", "mechanistic", "--out", project.path("r.json"), "--log"
    )
    return project, logged_id(result)


def test_a_damaged_stored_object_is_named_by_replay_and_verify(tmp_path):
    project, run_id = _small_project(tmp_path)
    run = Registry(project.registry).find_run(run_id)
    program_sha = run.config["inputs"]["evidence_program"]["sha256"]
    stored = project.registry / "objects" / "sha256" / program_sha[:2] / program_sha[2:]
    os.chmod(stored, 0o644)
    stored.write_bytes(stored.read_bytes().replace(b"100.0", b"101.0"))

    replayed = project.mlc("runs", "replay", run_id, expect=1)
    assert "evidence_program" in replayed.stderr and program_sha in replayed.stderr
    assert "corrupt" in replayed.stderr
    checked = project.mlc("runs", "replay", run_id, "--check-only", expect=1)
    assert "corrupt  evidence_program" in checked.output
    verified = project.mlc("runs", "verify", run_id, expect=1)
    assert "input evidence_program:" in verified.output and "stored corrupt" in verified.output


def test_a_replay_that_differs_prints_the_diff_and_exits_1(tmp_path):
    project, run_id = _small_project(tmp_path)
    runs = project.registry / "runs.jsonl"
    line = json.loads(runs.read_text())
    line["id"] = "00000000-0000-4000-8000-00000000abcd"  # the same run, other numbers
    line["metrics"]["ORR"] = 0.99
    artifact = Registry(project.registry).find_artifact(line["artifacts"][0])
    forged = json.loads(artifact.model_dump_json())
    forged |= {"id": "00000000-0000-4000-8000-00000000abce", "run_id": line["id"]}
    forged["sha256"] = "0" * 64
    line["artifacts"] = [forged["id"]]
    with (project.registry / "artifacts.jsonl").open("a") as log:
        log.write(json.dumps(forged) + "\n")
    with runs.open("a") as log:
        log.write(json.dumps(line) + "\n")

    result = project.mlc("runs", "replay", line["id"], expect=1)
    assert "metric ORR: 0.99 -> " in result.output
    assert "artifact EvidenceResult: sha256 0000000000000000 -> " in result.output
    assert "verdict:          DIFFERENT" in result.output
    replays = [r for r in project.runs() if r.replay_of == line["id"]]
    assert [r.replay_verdict for r in replays] == ["different"]


def test_a_run_whose_inputs_were_not_stored_explains_why_it_cannot_replay(tmp_path):
    project = make_project(tmp_path / "project", tmp_path / "registry")
    result = project.produce(
        "run-evidence",
        "--backend",
        "mechanistic",
        "--out",
        project.path("r.json"),
        "--log",
        "--no-store",
    )
    refused = project.mlc("runs", "replay", logged_id(result), expect=1)
    assert "recorded by path and sha256 only" in refused.stderr
    assert "--no-store" in refused.stderr and "evidence_program" in refused.stderr
    old = {  # a line in the format written before this registry stored anything
        "id": "00000000-0000-4000-8000-000000000001",
        "kind": "EvidenceHybrid",
        "started_at": "2025-01-23T14:33:10.123456Z",
        "finished_at": "2025-01-23T14:33:40.123456Z",
        "project_root": "/home/ada/trial",
        "module_path": "/home/ada/trial/evidence.medlang",
        "config": {"seed": 1},
        "metrics": {"ORR": 0.3},
        "artifacts": [],
    }
    with (project.registry / "runs.jsonl").open("a") as log:
        log.write(json.dumps(old) + "\n")
    refused = project.mlc("runs", "replay", old["id"], expect=1)
    assert "did not record which command and inputs" in refused.stderr
    assert project.mlc("runs", "show", old["id"]).output


def test_verify_and_get_restore_an_overwritten_artifact(tmp_path):
    project, run_id = _small_project(tmp_path)
    result_file = Path(project.path("r.json"))
    original = result_file.read_bytes()
    [artifact_id] = Registry(project.registry).find_run(run_id).artifacts
    assert "1 of 1 ok" in project.mlc("artifacts", "verify").output

    result_file.write_text("{}")
    modified = project.mlc("artifacts", "verify", artifact_id[:8], expect=1)
    assert "file modified" in modified.output and "stored intact" in modified.output
    result_file.unlink()
    assert "file missing" in project.mlc("runs", "verify", run_id, expect=1).output

    restored = tmp_path / "restored.json"
    project.mlc("artifacts", "get", artifact_id[:8], "--out", str(restored))
    assert restored.read_bytes() == original
    assert project.mlc("artifacts", "get", artifact_id, "--out", "-").stdout_bytes == original
    inside = project.mlc(
        "artifacts", "get", artifact_id, "--out", str(project.registry / "x.json"), expect=2
    )
    assert "inside the registry" in inside.stderr
