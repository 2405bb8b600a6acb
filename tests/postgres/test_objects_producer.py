"""A real producer run with ``--log`` on a PostgreSQL registry whose objects live on a
shared directory or an S3 server: its inputs and outputs land there, replay and
``artifacts get`` read them back, and a failed upload logs no run."""

from __future__ import annotations

import os
from pathlib import Path

from medlang.registry import Registry
from medlang.registry.inputs import input_files
from medlang.registry.postgres_store import PostgresStore
from medlang.registry.relocate_objects import relocate
from tests.science.conftest import Project, logged_id, make_project


def _produce(project: Project, *args: str, expect: int = 0):
    return project.produce(
        "run-evidence",
        "--backend",
        "mechanistic",
        "--out",
        project.path("out/trial.json"),
        "--log",
        "--quiet",
        *args,
        expect=expect,
    )


def _team_project(tmp_path: Path, pg_registry: str, location: str) -> Project:
    store = PostgresStore(pg_registry)
    relocate(store, location, copy=False)
    store.close()
    return make_project(tmp_path / "project", pg_registry)  # type: ignore[arg-type]


def test_a_logged_run_keeps_its_files_on_the_shared_path_and_replays_from_there(
    pg_registry, tmp_path
):
    shared = tmp_path / "team-objects"
    project = _team_project(tmp_path, pg_registry, str(shared))
    run_id = logged_id(_produce(project))

    registry = Registry.open(pg_registry)
    run = registry.run_json(run_id)
    inputs = [f.sha256 for f in input_files(run["config"])]
    (output,) = [registry.artifact_json(artifact_id) for artifact_id in run["artifacts"]]
    on_disk = {p.parent.name + p.name for p in (shared / "sha256").glob("*/*")}
    assert inputs and set(inputs) | {output["sha256"]} <= on_disk
    assert registry.store._rows("SELECT count(*) FROM objects", ())[0][0] == 0

    original = Path(project.path("out/trial.json")).read_bytes()
    Path(project.path("out/trial.json")).write_text('{"overwritten": true}\n')
    restored = tmp_path / "restored.json"
    project.mlc("artifacts", "get", output["id"], "--out", str(restored))
    assert restored.read_bytes() == original
    replayed = project.mlc("runs", "replay", run_id[:8], "--out-dir", str(tmp_path / "replay"))
    assert "verdict:          IDENTICAL" in replayed.output, replayed.output
    # the replay is logged in the same registry, its files on the same shared path
    replay = Registry.open(pg_registry).runs_json(kind=run["kind"])[-1]
    assert replay["replay_of"] == run_id
    assert not any(Path.cwd().glob("postgresql*")), "logged into a directory named after the URL"


def test_a_failed_upload_logs_no_run(pg_registry, tmp_path):
    shared = tmp_path / "team-objects"
    project = _team_project(tmp_path, pg_registry, str(shared))
    (shared / "sha256").write_text("not a directory")  # every upload fails (root too)
    failed = _produce(project, expect=1)
    assert "cannot store" in failed.output, failed.output
    assert "Traceback" not in failed.output
    assert Registry.open(pg_registry).count_runs(include_hidden=True) == 0
    assert Registry.open(pg_registry).count_artifacts() == 0


def test_a_bucket_gone_since_it_was_configured_fails_before_the_run_and_logs_nothing(
    pg_registry, s3_bucket, tmp_path
):
    import fsspec

    project = _team_project(tmp_path, pg_registry, s3_bucket)
    fsspec.filesystem("s3").rm(s3_bucket.removeprefix("s3://").split("/")[0], recursive=True)
    failed = _produce(project, expect=1)
    assert "cannot store objects there: The specified bucket does not exist" in failed.output
    assert not Path(project.path("out/trial.json")).exists()  # nothing was run
    assert Registry.open(pg_registry).count_runs(include_hidden=True) == 0


def test_a_logged_run_with_its_files_on_s3_replays(pg_registry, s3_bucket, tmp_path):
    project = _team_project(tmp_path, pg_registry, s3_bucket)
    run_id = logged_id(_produce(project))
    replayed = project.mlc("runs", "replay", run_id[:8], "--out-dir", str(tmp_path / "replay"))
    assert "verdict:          IDENTICAL" in replayed.output, replayed.output
    # S3 credentials came from the environment and went into no record
    store = PostgresStore(pg_registry)
    everything = "".join(
        line
        for table in ("runs", "artifacts")
        for (line,) in store._rows(f"SELECT line FROM {table}", ())
    )
    assert s3_bucket in everything or run_id in everything
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"):
        assert os.environ[name] not in everything + replayed.output
