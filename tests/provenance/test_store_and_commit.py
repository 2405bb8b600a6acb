"""Logged runs hold their provenance: every input and output in the object store,
committed in order (objects, artifacts, run), failures logged as failed runs."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from medlang.registry import ArtifactKind, ArtifactRecord, Registry, RunLogger, new_id, utc_now
from tests.science.conftest import Project, logged_id


def _objects(registry: Path) -> dict[str, int]:
    root = registry / "objects" / "sha256"
    return {f"{p.parent.name}{p.name}": p.stat().st_size for p in root.glob("*/*")}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hybrid(project, out: str = "result.json", *extra: str):
    project.produce(
        "train-surrogate",
        "--train-config",
        project.path("train.json"),
        "--out-model",
        project.path("model/surrogate.json"),
        "--quiet",
    )
    args = ("--hybrid-config", project.path("hybrid.json"), "--out", project.path(out))
    return project.produce("run-evidence-hybrid", *args, "--log", "--quiet", *extra)


def test_a_logged_run_stores_every_input_and_output_once(project):
    run_id = logged_id(_hybrid(project))
    registry = Registry(project.registry)
    run = registry.find_run(run_id)
    inputs = run.config["inputs"]
    files = {
        "program": Path(inputs["evidence_program"]["module_path"]),
        "imported module": Path(inputs["evidence_program"]["imports"][0]["path"]),
        "config": Path(inputs["config_file"]["path"]),
        "surrogate": Path(inputs["surrogate"]["path"]),
        "result": Path(project.path("result.json")),
    }
    assert files["imported module"].name == "params.medlang"
    for what, path in files.items():
        with registry.open_object(_sha(path)) as stored:
            assert stored.read() == path.read_bytes(), what
    [artifact] = registry.load_artifacts()
    assert artifact.run_id == run_id and registry.has_object(artifact.sha256)
    lock = registry.open_object(run.env["packages"]).read().decode()
    assert "numpy==" in lock and "click==" in lock

    before = _objects(project.registry)
    _hybrid(project)  # the same run again: the same bytes
    assert _objects(project.registry) == before  # dedup: not one byte more


def test_no_store_records_hashes_but_copies_no_file(project):
    run_id = logged_id(_hybrid(project, "result.json", "--no-store"))
    registry = Registry(project.registry)
    run = registry.find_run(run_id)
    assert set(_objects(project.registry)) == {run.env["packages"]}  # only the env lock
    assert run.config["inputs"]["surrogate"]["sha256"] == _sha(
        Path(project.path("model/surrogate.json"))
    )


@pytest.fixture
def read_only(tmp_path):
    """Makes a directory read-only for this process: by mode for a normal user, by a
    read-only bind mount for root (who may write any file regardless of its mode)."""
    mounted: list[Path] = []

    def make(directory: Path) -> None:
        if os.geteuid() != 0:
            for path in (directory, *directory.iterdir()):
                path.chmod(0o555 if path.is_dir() else 0o444)
            return
        for command in (
            ["mount", "--bind", str(directory), str(directory)],
            ["mount", "-o", "remount,ro,bind", str(directory)],
        ):
            done = subprocess.run(command, capture_output=True, check=False)
            if done.returncode != 0:
                pytest.skip(f"cannot make a read-only mount: {done.stderr.decode().strip()}")
            mounted.append(directory)

    yield make
    for directory in reversed(mounted[:1]):
        subprocess.run(["umount", str(directory)], check=False)


def test_a_read_only_registry_fails_before_the_300_patient_simulation(tmp_path, read_only):
    from medlang.resources import examples_dir

    example = tmp_path / "oncology"
    shutil.copytree(examples_dir() / "oncology", example)
    registry = tmp_path / "registry"
    Registry(registry).check_writable()  # the directory exists ...
    read_only(registry)  # ... and cannot be written
    project = Project(example, registry)
    started = time.perf_counter()
    result = project.mlc(
        "run-evidence",
        "--evidence-program",
        "OncologyEvidence",
        "--project",
        str(example),
        "--backend",
        "mechanistic",
        "--out",
        str(example / "out" / "r.json"),
        "--log",
        expect=1,
    )
    elapsed = time.perf_counter() - started
    assert "is not writable" in result.stderr and "nothing was run" in result.stderr
    assert not (example / "out" / "r.json").exists()
    assert elapsed < 2.0, elapsed  # about 0.3 s idle; the simulation alone takes several


def test_a_registry_that_is_a_file_fails_before_any_simulation(project, tmp_path):
    (tmp_path / "file").write_text("")
    project.registry = tmp_path / "file" / "registry"
    result = project.produce(
        "run-evidence",
        "--backend",
        "mechanistic",
        "--out",
        project.path("b.json"),
        "--log",
        expect=1,
    )
    assert "nothing was run" in result.stderr and not Path(project.path("b.json")).exists()


def test_an_artifact_whose_run_was_never_written_is_invisible(tmp_path):
    registry = Registry(tmp_path / "reg")
    logger = RunLogger.new_for_project(tmp_path, registry=registry)
    (tmp_path / "out.json").write_text("{}")
    committed = logger.log_run_with_artifacts(
        "RLEval", {}, {}, [(ArtifactKind.RLEvalReport, tmp_path / "out.json")]
    )
    orphan = ArtifactRecord(
        id=new_id(), kind="RLEvalReport", created_at=utc_now(), run_id=new_id()
    )  # a kill between the artifact and its run record
    registry.log_artifact(orphan)

    visible = [a["id"] for a in registry.artifacts_json()]
    assert visible == registry.find_run(committed).artifacts
    assert registry.artifact_json(orphan.id) is None
    assert registry.count_artifacts() == 1
    assert [a["id"] for a in registry.uncommitted_artifacts_json()] == [orphan.id]
    with pytest.raises(Exception, match="no artifact"):
        registry.resolve_artifact_id(orphan.id[:8])


def test_module_path_is_recorded_exactly_as_given(tmp_path):
    registry = Registry(tmp_path / "reg")
    logger = RunLogger.new_for_project(
        tmp_path, module_path="med.oncology.evidence", registry=registry
    )
    run_id = logger.log_run("EvidenceHybrid", {}, {})
    assert registry.find_run(run_id).module_path == "med.oncology.evidence"
    old_line = json.loads((tmp_path / "reg" / "runs.jsonl").read_text())
    old_line |= {"id": new_id(), "module_path": "/home/ada/trial/evidence.medlang"}
    for key in ("status", "error", "replay_of", "replay_verdict"):
        del old_line[key]  # a line written before these fields existed
    with (tmp_path / "reg" / "runs.jsonl").open("a") as log:
        log.write(json.dumps(old_line) + "\n")
    old = registry.find_run(old_line["id"])
    assert (old.module_path, old.status) == ("/home/ada/trial/evidence.medlang", "finished")


def test_a_run_failing_after_its_inputs_were_accepted_is_logged_as_failed(project, tmp_path):
    Path(project.path("bad.json")).write_text(json.dumps({"n_patients": 20, "val_fraction": 0.99}))
    args = ("--train-config", project.path("bad.json"), "--out-model", project.path("m.json"))
    result = project.produce("train-surrogate", *args, "--log", expect=1)
    assert "to fit" in result.stderr
    [failed] = project.runs()
    assert (failed.status, failed.artifacts) == ("failed", [])
    assert "to fit" in failed.error
    listed = project.mlc("runs", "list").output
    assert "failed" in listed.splitlines()[1]

    project.produce(
        "run-evidence", "--backend", "mechanistic", "--out", project.path("r.json"), "--log"
    )
    program = tmp_path / "count.medlang"
    program.write_text(
        "import med.registry::*;\n"
        "fn main() -> String {\n"
        "  let all = list_all_runs(None);\n"
        '  format("{} {} {}", len(list_runs(None)), len(all), get_status(all[0].id))\n'
        "}\n"
    )
    shown = project.mlc("run", str(program)).output.strip()
    assert shown == '"1 2 failed"' or shown == "1 2 failed"
