"""A PostgreSQL registry's objects on a shared directory or an S3 server (real ones: the
test server of tests/conftest.py and moto's S3 server), configured in the database."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry, RegistryError
from medlang.registry.postgres_store import PostgresStore
from medlang.registry.relocate_objects import relocate
from medlang.registry.storage import Table
from tests.registry.factories import artifact, fixed_id, run

# The object primitives' contract, run unchanged on each object location below.
from tests.registry.test_storage_contract import (  # noqa: F401 - collected by pytest
    test_a_file_over_the_limit_is_refused_with_a_clear_message,
    test_a_missing_object_or_source_is_a_registry_error,
    test_a_stored_object_does_not_follow_edits_of_the_original,
    test_an_object_is_stored_under_its_sha256_and_read_back,
    test_remove_object,
    test_the_same_bytes_are_stored_once,
)


def _location(kind: str, request, tmp_path) -> str:
    if kind == "shared-dir":
        return str(tmp_path / "shared" / "objects")
    return request.getfixturevalue("s3_bucket")


@pytest.fixture(params=["shared-dir", "s3"])
def location(request, tmp_path) -> str:
    return _location(request.param, request, tmp_path)


@pytest.fixture
def store(pg_registry, location):
    """The contract's ``store``: a PostgreSQL registry whose objects are at ``location``."""
    configured = PostgresStore(pg_registry)
    relocate(configured, location, copy=False)
    yield configured
    configured.close()


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def mlc(*args: str) -> Result:
    """The real CLI, in this process (a subprocess per call would spend this file's time
    budget importing s3fs); an unexpected exception fails the test."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def _listing(location: str) -> list[str]:
    """What is at the location, read without the registry (the bytes really went there)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(location)
    fs.invalidate_cache()
    return sorted(str(key).removeprefix(root.rstrip("/") + "/") for key in fs.find(root))


def test_objects_go_to_the_configured_location_not_the_database(store, location, tmp_path):
    source = tmp_path / "model.json"
    source.write_bytes(b'{"w": 1}')
    stored = store.store_object(source, 1 << 20)
    sha = stored.sha256
    assert _listing(location) == [f"sha256/{sha[:2]}/{sha[2:]}"]  # no temporary left behind
    assert store._rows("SELECT count(*) FROM objects", ())[0][0] == 0
    # every client reads the location from the database
    other = PostgresStore(store.url)
    try:
        assert other.object_ids() == [sha]
        with other.open_object(sha) as handle:
            assert handle.read() == b'{"w": 1}'
    finally:
        other.close()


def test_a_shared_directory_object_is_read_only_and_a_planted_link_is_refused(
    pg_registry, tmp_path
):
    shared = tmp_path / "shared"
    store = PostgresStore(pg_registry)
    relocate(store, str(shared), copy=False)
    source = tmp_path / "a.json"
    source.write_bytes(b"kept")
    sha = store.store_object(source, 100).sha256
    path = shared / "sha256" / sha[:2] / sha[2:]
    assert path.stat().st_mode & 0o777 == 0o444
    fake = "ab" * 32
    (shared / "sha256" / "ab").mkdir()
    (shared / "sha256" / "ab" / fake[2:]).symlink_to(source)
    with pytest.raises(RegistryError, match="cannot read object"):
        store.open_object(fake)
    store.close()


def test_a_shared_directory_that_is_not_mounted_is_never_replaced_by_a_local_one(
    pg_registry, tmp_path
):
    shared = tmp_path / "mnt" / "team-objects"
    relocate(PostgresStore(pg_registry), str(shared), copy=False)  # creates it, once
    registry = Registry.open(pg_registry)
    source = tmp_path / "a.json"
    source.write_text("{}")
    sha = registry.store_file(source)
    shared.rename(tmp_path / "mnt" / "elsewhere")  # as if its file system were unmounted

    fresh = Registry.open(pg_registry)
    for attempt in (
        fresh.check_writable,  # a producer stops before it runs anything
        lambda: fresh.store_file(source),
        lambda: fresh.open_object(sha),
        lambda: relocate(fresh.store, "database", copy=True),  # nothing to copy is not "none"
    ):
        with pytest.raises(RegistryError, match="missing on this machine .*mounted"):
            attempt()
    assert not shared.exists()
    assert fresh.store.objects_location() == str(shared)


@pytest.mark.parametrize("where", ["database", "s3"])
def test_gc_keeps_young_objects_and_removes_old_unreferenced_ones_and_interrupted_uploads(
    pg_registry, where, request, tmp_path
):
    from medlang.provenance.gc import collect

    registry = Registry.open(pg_registry)
    if where == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        relocate(registry.store, bucket, copy=False)
        import fsspec

        fsspec.filesystem("s3").pipe_file(f"{bucket}/tmp/incoming-killed", b"half an upload")
    used, unused = tmp_path / "used.json", tmp_path / "unused.json"
    used.write_text("{}")
    unused.write_text("[]")
    used_sha = registry.store_file(used)
    unused_sha = registry.store_file(unused)
    registry.log_run(run(1, config={"inputs": {"cfg": {"path": str(used), "sha256": used_sha}}}))
    young = collect(registry, timedelta(days=1))
    assert (young.kept_young, young.objects, young.temporaries) == (1, [], [])
    assert registry.store.object_ids() == sorted([used_sha, unused_sha])
    gone = collect(registry, timedelta(0))
    assert [sha for sha, _ in gone.objects] == [unused_sha]
    assert registry.store.object_ids() == [used_sha]
    if where == "s3":
        assert [str(t).rsplit("/", 1)[-1] for t in gone.temporaries] == ["incoming-killed"]
        assert _listing(bucket) == [f"sha256/{used_sha[:2]}/{used_sha[2:]}"]


def test_gc_on_a_server_removes_an_uncommitted_artifact_record(pg_registry):
    registry = Registry.open(pg_registry)
    registry.log_artifact(artifact(1, run_id=fixed_id(99)))  # its run was never written
    registry.log_artifact(artifact(2))  # logged on its own: committed
    registry.log_artifact(artifact(3, run_id=fixed_id(3)))
    registry.log_run(run(3, artifacts=[artifact(3).id]))
    result = mlc("--registry", pg_registry, "gc", "--grace-days", "0")
    assert result.returncode == 0, result.stderr
    assert "1 uncommitted artifact record(s)" in result.stdout
    assert registry.store.count(Table.ARTIFACTS) == 2
    assert registry.artifact_json(artifact(1).id) is None
    assert registry.artifact_json(artifact(3).id) is not None


# --- the schema: an older database is told to migrate, and keeps its objects -----


def test_a_schema_1_database_must_be_migrated_and_keeps_its_objects(pg_database, tmp_path):
    import psycopg

    from medlang.registry.postgres_schema import MIGRATIONS, VERSION_TABLE

    with psycopg.connect(pg_database, autocommit=True) as conn:  # as the previous release left it
        conn.execute(MIGRATIONS[1])
        conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES (1)")
        conn.execute("INSERT INTO objects VALUES (%s, 4, %s)", ("88" * 32, b"old!"))
    for args in (["runs", "list"], ["registry", "set", "objects", str(tmp_path)]):
        told = mlc("--registry", pg_database, *args)
        assert told.returncode == 1
        assert "schema version 1" in told.stderr and "registry migrate" in told.stderr
    assert mlc("--registry", pg_database, "registry", "migrate").returncode == 0
    store = PostgresStore(pg_database)
    assert store.objects_location() == "database"
    assert store.object_ids() == ["88" * 32]
    assert store.object_size("88" * 32) == 4


# --- configuring the location: mlc registry set objects / info ------------------


def test_set_objects_is_stored_in_the_database_and_shown_by_info(pg_registry, s3_bucket):
    missing = s3_bucket.replace("s3://", "s3://no-such-")
    refused = mlc("--registry", pg_registry, "registry", "set", "objects", missing)
    assert refused.returncode == 1
    assert "cannot store objects there: The specified bucket does not exist" in refused.stderr
    changed = mlc("--registry", pg_registry, "registry", "set", "objects", s3_bucket)
    assert changed.returncode == 0, changed.stderr
    assert f"objects database -> {s3_bucket} (0 copied, 0 already there)" in changed.stdout
    info = json.loads(mlc("--registry", pg_registry, "registry", "info", "--json").stdout)
    assert info["objects"] == s3_bucket
    text = mlc("--registry", pg_registry, "registry", "info")
    assert f"Objects: {s3_bucket}" in text.stdout
    again = mlc("--registry", pg_registry, "registry", "set", "objects", s3_bucket + "/")
    assert "already at" in again.stdout
    # the credentials came from the environment and went nowhere
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    assert secret not in changed.stdout + changed.stderr + text.stdout + json.dumps(info)


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("s3://AKIAEXAMPLE:hunter2secret@bucket/x", "credentials in the object location"),
        ("s3://bucket/x?secret=hunter2secret", "no query string"),
        ("relative/objects", "must be an absolute path"),
        ("file://elsewhere/objects", "names a local path"),
        ("gs://bucket/objects", "need gcsfs: pip install 'medlang[s3]'"),
        ("nosuchprotocol://bucket/objects", "objects at nosuchprotocol://bucket/objects"),
        ("memory://objects", "lives only as long as one process"),
        ("/shared/objects\x00", "cannot hold control characters"),
    ],
)
def test_an_unusable_location_is_one_line_and_changes_nothing(pg_registry, location, message):
    if location.startswith("gs://"):
        pytest.importorskip("fsspec")
        try:
            import gcsfs  # noqa: F401
        except ImportError:
            pass
        else:
            pytest.skip("gcsfs is installed: its absence cannot be shown")
    result = mlc("--registry", pg_registry, "registry", "set", "objects", location)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "hunter2secret" not in result.stderr + result.stdout
    assert PostgresStore(pg_registry).objects_location() == "database"


def test_set_objects_on_a_directory_registry_is_a_usage_error(tmp_path):
    result = mlc("--registry", str(tmp_path / "reg"), "registry", "set", "objects", "/x")
    assert result.returncode == 1
    assert "directory registry" in result.stderr
    assert "Traceback" not in result.stderr


# --- changing the location while objects exist: never strand them ---------------


def test_moving_stored_objects_needs_copy_and_copies_every_one(pg_registry, location, tmp_path):
    registry = Registry.open(pg_registry)
    source = tmp_path / "in.json"
    source.write_text('{"dose": 40}')
    sha = registry.store_file(source)
    registry.log_run(run(1, config={"inputs": {"cfg": {"path": str(source), "sha256": sha}}}))
    registry.store.close()

    refused = mlc("--registry", pg_registry, "registry", "set", "objects", location)
    assert refused.returncode == 1
    assert "1 object(s) are stored" in refused.stderr and "--copy" in refused.stderr
    assert PostgresStore(pg_registry).objects_location() == "database"

    moved = mlc("--registry", pg_registry, "registry", "set", "objects", location, "--copy")
    assert moved.returncode == 0, moved.stderr
    assert "(1 copied, 0 already there)" in moved.stdout
    after = PostgresStore(pg_registry)
    assert after.object_ids() == [sha]
    with after.open_object(sha) as handle:
        assert handle.read() == b'{"dose": 40}'
    # the old copy is kept: clients still running with the old setting find it
    assert after._rows("SELECT sha256 FROM objects", ()) == [(sha,)]
    verified = mlc("--registry", pg_registry, "runs", "verify", fixed_id(1))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_run_whose_files_went_to_the_old_location_is_refused_after_a_move(pg_registry, tmp_path):
    writer = Registry.open(pg_registry)  # a workstation in the middle of a run
    source = tmp_path / "in.json"
    source.write_text("{}")
    sha = writer.store_file(source)  # to the database table, the location it read

    relocate(PostgresStore(pg_registry), str(tmp_path / "shared"), copy=True)

    record = run(1, config={"inputs": {"cfg": {"path": str(source), "sha256": sha}}})
    with pytest.raises(RegistryError, match="objects moved to .*shared.*run it again"):
        writer.log_run(record)
    assert Registry.open(pg_registry).count_runs() == 0
