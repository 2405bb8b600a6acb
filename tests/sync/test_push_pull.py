"""``mlc registry push --to`` / ``pull --from`` with the real CLI, a real PostgreSQL
server (tests/conftest.py) and directory registries."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from medlang.registry.jsonl_store import JsonlStore
from medlang.registry.postgres_store import PostgresStore
from medlang.registry.storage import ANNOTATIONS, Table
from tests.postgres import server as pg
from tests.postgres.test_postgres_cli import mlc
from tests.registry.factories import fixed_id
from tests.sync.fill import fill

_TABLES = (Table.ARTIFACTS, Table.RUNS, ANNOTATIONS)
_LOGS = ("artifacts.jsonl", "runs.jsonl", "annotations.jsonl")


def ok(*args: str) -> str:
    """The real CLI in this process (fast); errors go through a real process, below."""
    from click.testing import CliRunner

    from medlang.cli.main import cli

    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def _lines(store) -> dict:
    return {str(table): list(store.lines(table)) for table in _TABLES}


def _objects(store) -> dict[str, bytes]:
    found = {}
    for sha256 in store.object_ids():
        with store.open_object(sha256) as handle:
            found[sha256] = handle.read()
    return found


def test_push_then_pull_round_trip(pg_registry, tmp_path):
    source = fill(tmp_path / "source", 40)
    pushed = ok("--registry", str(source.root), "registry", "push", "--to", pg_registry)
    assert pushed == (
        f"{source.root} -> {pg_registry}: pushed 40 runs, 40 artifacts, 8 annotations, "
        "3 objects (234 bytes)\n"
    )
    back = tmp_path / "laptop" / "registry"  # a new directory: pull creates it
    dry = ok("--registry", str(back), "registry", "pull", "--from", pg_registry, "--dry-run")
    assert "would pull 40 runs, 40 artifacts, 8 annotations, 3 objects" in dry
    assert not back.exists()  # a dry run creates nothing
    pulled = ok("--registry", str(back), "registry", "pull", "--from", pg_registry)
    assert pulled.startswith(f"{pg_registry} -> {back}: pulled 40 runs, 40 artifacts,")

    server = PostgresStore(pg_registry)
    try:
        # the very bytes logged, in the same order, on every side
        assert _lines(server) == _lines(source.store) == _lines(JsonlStore(back))
        for name in _LOGS:
            assert (back / name).read_bytes() == (source.root / name).read_bytes()
        assert _objects(server) == _objects(source.store) == _objects(JsonlStore(back))
    finally:
        server.close()

    # and every view of them is the same
    for args in (
        ["runs", "list", "--json"],  # hidden runs stay hidden
        ["runs", "list", "--all", "--where", "tags.paper = 'fig3' and metrics.score > 1"],
        ["runs", "show", fixed_id(20), "--json"],  # tags, notes, artifacts
        ["runs", "lineage", fixed_id(7)],
        ["artifacts", "list"],
    ):
        shown = [ok("--registry", str(where), *args) for where in (source.root, pg_registry, back)]
        assert shown[0] == shown[1] == shown[2], args
    assert JsonlStore(back).hidden() == {fixed_id(3): "deleted", fixed_id(5): "archived"}
    listing = ok("--registry", str(back), "runs", "list", "--json", "-n", "100")
    listed = [json.loads(line)["id"] for line in listing.splitlines()]
    assert fixed_id(3) not in listed and fixed_id(5) not in listed and fixed_id(4) in listed
    shown = json.loads(ok("--registry", str(back), "runs", "show", fixed_id(20), "--json"))
    assert shown["tags"] == {"batch": "0", "paper": "fig3"}
    assert [note["text"] for note in shown["notes"]] == ["looked at run 20"]


def test_push_is_idempotent_and_a_dry_run_sends_nothing(pg_registry, tmp_path):
    source = fill(tmp_path / "source", 12)
    push = ("--registry", str(source.root), "registry", "push", "--to", pg_registry)
    dry = json.loads(ok(*push, "--dry-run", "--json"))
    assert dry["dry_run"] is True
    assert dry["sent"] == {
        "runs": 12,
        "artifacts": 12,
        "annotations": 3,
        "objects": 3,
        "object_bytes": 234,
    }
    server = PostgresStore(pg_registry)
    try:
        assert server.count(Table.RUNS) == 0 and server.object_ids() == []  # nothing moved

        first = json.loads(ok(*push, "--json"))
        assert first["sent"] == dry["sent"]
        assert first["already_there"] == {"runs": 0, "artifacts": 0, "annotations": 0, "objects": 0}
        state = _lines(server)
        again = ok(*push)
        assert again == (
            f"{source.root} -> {pg_registry}: nothing to push: the target holds everything; "
            "12 runs, 12 artifacts, 3 annotations, 3 objects already there\n"
        )
        assert _lines(server) == state  # nothing duplicated, nothing changed

        # new runs, and a tag on an old one: only they move
        fill(tmp_path / "source", 5, first=13, objects=1)  # bytes it has
        source.tag_run(fixed_id(1), {"checked": "yes"})
        third = json.loads(ok(*push, "--json"))
        assert third["sent"]["runs"] == 5 and third["sent"]["annotations"] == 3
        assert third["sent"]["objects"] == 0
        assert third["already_there"]["runs"] == 12
        assert server.count(Table.RUNS) == 17
        assert server.annotations([fixed_id(1)])[fixed_id(1)].tags == {"checked": "yes"}
    finally:
        server.close()


def test_pull_into_an_existing_registry_keeps_its_own_runs(pg_registry, tmp_path):
    team = fill(tmp_path / "team", 6)
    ok("--registry", str(team.root), "registry", "push", "--to", pg_registry)
    laptop = fill(tmp_path / "laptop", 4, first=100, objects=1)
    before = _lines(laptop.store)
    pulled = ok("--registry", str(laptop.root), "registry", "pull", "--from", pg_registry)
    assert (
        "pulled 6 runs, 6 artifacts, 2 annotations, 2 objects (195 bytes); 1 object already"
        in pulled
    )
    after = _lines(JsonlStore(laptop.root))
    for table in before:  # its own records first, the pulled ones appended after them
        assert after[table][: len(before[table])] == before[table]
    assert len(after["runs"]) == 10
    # and a directory registry is a target like any other: pushed back, all is there
    ok("--registry", str(laptop.root), "registry", "push", "--to", str(tmp_path / "copy"))
    assert _lines(JsonlStore(tmp_path / "copy")) == after


@pytest.fixture
def source(tmp_path):
    return fill(tmp_path / "source", 3)


def _fails(*args: str) -> str:
    done = mlc(*args)
    assert done.returncode != 0
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert pg.PASSWORD not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, done.stderr  # (a usage error adds click's usage lines)
    return errors[0]


def test_errors_are_one_line_without_a_password(source, pg_server, pg_registry, tmp_path):
    push = ("--registry", str(source.root), "registry", "push", "--to")
    # a password in the URL is refused before anything is tried, and never shown
    refused = _fails(*push, pg_server.dsn("x", with_password=True))
    assert "a password in the URL is refused" in refused
    assert "Error: --to postgresql://medlang@" in refused
    # nobody listening
    closed = f"postgresql://{pg_server.user}@127.0.0.1:1/nothing"
    assert "cannot connect to" in _fails(*push, closed)
    # a database without the schema, and one of a newer schema
    bare = pg_server.create_database("sync_bare")
    assert "no MedLang registry schema yet" in _fails(*push, bare)
    newer = pg_server.create_database("sync_newer")
    PostgresStore(newer).migrate()
    import psycopg

    with psycopg.connect(newer, password=pg_server.password, autocommit=True) as conn:
        conn.execute("UPDATE medlang_schema SET version = 99")
    assert "newer than this toolchain knows" in _fails(*push, newer)
    # sources that are not registries
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("not a registry")
    assert "is not a registry" in _fails(
        "--registry", str(tmp_path / "notes"), "registry", "push", "--to", pg_registry
    )
    assert "no registry at" in _fails(
        "--registry", str(tmp_path / "absent"), "registry", "push", "--to", pg_registry
    )
    assert "is not a registry" in _fails("registry", "pull", "--from", str(tmp_path / "notes"))
    # a directory that is not a registry is not filled either
    assert "is a directory but not a registry" in _fails(*push, str(tmp_path / "notes"))
    # the same registry by another name
    assert "are the same registry" in _fails(*push, str(source.root / ".." / "source"))
    other_name = pg_registry.replace("127.0.0.1", "localhost")
    assert "are the same registry" in _fails(
        "--registry", pg_registry, "registry", "push", "--to", other_name
    )
    assert PostgresStore(pg_registry).count(Table.RUNS) == 0


def test_objects_go_wherever_the_target_keeps_them(pg_registry, tmp_path):
    shared = tmp_path / "shared-objects"
    ok("--registry", pg_registry, "registry", "set", "objects", str(shared))
    source = fill(tmp_path / "source", 4)
    ok("--registry", str(source.root), "registry", "push", "--to", pg_registry)
    server = PostgresStore(pg_registry)
    try:
        assert _objects(server) == _objects(source.store)
    finally:
        server.close()
    stored = [path for path in shared.rglob("*") if path.is_file()]
    assert sorted(path.read_bytes() for path in stored) == sorted(_objects(source.store).values())
    back = tmp_path / "back"
    ok("--registry", str(back), "registry", "pull", "--from", pg_registry)
    assert _objects(JsonlStore(back)) == _objects(source.store)


def test_a_registry_opened_twice_is_the_same_and_two_directories_are_not(pg_registry, tmp_path):
    first, second = PostgresStore(pg_registry), PostgresStore(pg_registry)
    try:
        assert first.identity() == second.identity()
    finally:
        first.close()
        second.close()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "a")  # the same directory by another name
    assert JsonlStore(tmp_path / "a").identity() == JsonlStore(tmp_path / "link").identity()
    assert JsonlStore(tmp_path / "a").identity() != JsonlStore(tmp_path / "b").identity()


def test_a_push_on_a_terminal_shows_its_progress_and_clears_it(tmp_path):
    import pty

    source = fill(tmp_path / "source", 2500, objects=1)
    main, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "medlang", "--registry", str(source.root), "registry"]
            + ["push", "--to", str(tmp_path / "copy")],
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            env=os.environ.copy(),
            timeout=120,
        )
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    assert done.returncode == 0
    assert "pushed 2,500 runs, 2,500 artifacts" in done.stdout
    lines = shown.decode().split("\r")
    assert any(line.startswith("\x1b[Kpushing: ") for line in lines), shown
    assert shown.endswith(b"\r\x1b[K")  # nothing left on the terminal's line
