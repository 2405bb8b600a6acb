"""Producers with ``--log`` and ``mlc runs replay`` on a PostgreSQL registry (a real
server, the real ``mlc``): the run, its artifacts and the bytes of its inputs and
outputs land on the server, the replay reads them back from there and logs its own
run there too, and nothing is written on this machine under the URL's name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from medlang.registry import Registry
from medlang.registry.guard import refuse_registry_output
from tests.science.conftest import make_project


def mlc(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    repo = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-m", "medlang", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(repo), **(env or {})},
        timeout=120,
    )


def _logged(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("Logged run: ")]
    assert len(lines) == 1, result.stdout
    return lines[0].removeprefix("Logged run: ")


def _nothing_named_after_the_url(tmp_path: Path) -> None:
    """A URL taken for a path would have become a directory called ``postgresql:``
    (where the commands ran, or where the tests run)."""
    assert not list(tmp_path.rglob("postgresql:*"))
    assert not list(Path.cwd().glob("postgresql:*"))


def test_a_producer_logs_its_run_and_files_on_the_server_and_replay_reads_them(
    pg_registry, tmp_path
):
    project = make_project(tmp_path / "project", tmp_path / "unused-registry")
    out = tmp_path / "project" / "out" / "result.json"
    produced = mlc(
        "run-evidence",
        "--evidence-program",
        "SmallEvidence",
        "--config",
        project.path("v1.json"),
        "--seed",
        "11",
        "--out",
        str(out),
        "--log",
        cwd=project.root,
        env={"MEDLANG_REGISTRY": pg_registry},  # the server named by the variable
    )
    run_id = _logged(produced)

    registry = Registry.open(pg_registry)
    run = registry.run_json(run_id)
    assert run is not None and run["kind"] == "EvidenceMechanistic"
    assert run["config"]["seed"] == 11
    summary = json.loads(out.read_text())["summary"]
    for name in ("ORR", "DLT_rate", "n_patients"):
        assert run["metrics"][name] == summary[name]
    (result,) = [registry.artifact_json(a) for a in run["artifacts"]]
    with registry.open_object(result["sha256"]) as stored:  # the output's bytes, on the server
        assert stored.read() == out.read_bytes()
    for role in ("evidence_program", "config_file"):  # and the inputs', for replay
        assert registry.has_object(run["config"]["inputs"][role]["sha256"])
    assert registry.has_object(run["env"]["packages"])  # the environment lock too

    replayed = mlc("--registry", pg_registry, "runs", "replay", run_id[:8], cwd=tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    assert "verdict:          IDENTICAL" in replayed.stdout
    replay_id = next(
        line.split()[-1] for line in replayed.stdout.splitlines() if "replay run:" in line
    )
    logged = Registry.open(pg_registry).run_json(replay_id)  # the replay's run: on the server
    assert logged is not None
    assert (logged["replay_of"], logged["replay_verdict"]) == (run_id, "identical")
    assert Registry.open(pg_registry).count_runs() == 2

    report = tmp_path / "report.html"
    reported = mlc("--registry", pg_registry, "report", run_id, "--out", str(report), cwd=tmp_path)
    assert reported.returncode == 0, reported.stderr
    html = report.read_text()
    assert run_id in html and f'<span class="registry">{pg_registry}</span>' in html
    _nothing_named_after_the_url(tmp_path)


def test_outputs_are_never_refused_as_inside_a_registry_on_a_server(pg_registry, tmp_path):
    """No local path is inside a database: a path spelled like the URL is an ordinary one."""
    project = make_project(tmp_path / "project", tmp_path / "unused-registry")
    lookalike = pg_registry.replace("postgresql://", "postgresql:/") + "/runs.jsonl"
    refuse_registry_output(lookalike, pg_registry, "--out")  # nothing to guard: no error
    produced = mlc(
        "--registry",
        pg_registry,
        "run-evidence",
        "--evidence-program",
        "SmallEvidence",
        "--config",
        project.path("v1.json"),
        "--out",
        lookalike,
        "--log",
        cwd=project.root,
    )
    run_id = _logged(produced)
    written = project.root / lookalike
    assert written.is_file() and json.loads(written.read_text())["summary"]["n_patients"] == 24
    assert Registry.open(pg_registry).run_json(run_id) is not None


def test_a_run_id_missing_from_the_server_names_the_server(pg_registry, tmp_path):
    missing = "0123abcd"
    result = mlc("--registry", pg_registry, "runs", "replay", missing, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: no run with id '{missing}' in {pg_registry}"
