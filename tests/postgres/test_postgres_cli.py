"""The real ``mlc`` on a PostgreSQL registry (a real server, see tests/conftest.py):
migration, the same output as a directory registry, and secrets that never leak."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from medlang.registry import Registry
from medlang.registry.postgres_schema import SCHEMA_VERSION
from tests.postgres import server as pg
from tests.registry.factories import artifact, fixed_id, run


def mlc(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "medlang", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def _fill(registry: Registry) -> None:
    registry.log_artifact(artifact(1, sha256="ab" * 32))
    for n in (1, 2, 3):
        registry.log_run(
            run(n, config={"seed": n, "lr": 1e-3, "name": "mlp"}, artifacts=[artifact(1).id])
        )


def test_a_new_database_must_be_migrated_first_and_migrating_twice_is_harmless(pg_database):
    unmigrated = mlc("--registry", pg_database, "runs", "list")
    assert unmigrated.returncode == 1
    assert "no MedLang registry schema yet" in unmigrated.stderr
    assert f"mlc --registry {pg_database} registry migrate" in unmigrated.stderr
    assert "Traceback" not in unmigrated.stderr

    first = mlc("--registry", pg_database, "registry", "migrate")
    assert first.returncode == 0, first.stderr
    assert f"schema 0 -> {SCHEMA_VERSION}" in first.stdout
    again = mlc("registry", "migrate", env={"MEDLANG_REGISTRY": pg_database})
    assert again.returncode == 0, again.stderr
    assert "already up to date" in again.stdout
    assert mlc("--registry", pg_database, "runs", "list").returncode == 0


def test_runs_show_and_list_print_the_same_as_a_directory_registry(pg_registry, tmp_path):
    directory = tmp_path / "reg"
    for registry in (Registry.open(pg_registry), Registry(directory)):
        _fill(registry)
        registry.tag_run(fixed_id(2), {"paper": "fig3"})
        registry.delete_run(fixed_id(3))
    for args in (
        ["runs", "show", fixed_id(2), "--json"],
        ["runs", "show", fixed_id(1)],
        ["runs", "list", "--json"],
        ["runs", "list", "--all", "--where", "tags.paper = 'fig3' or config.seed >= 3"],
        ["runs", "compare", fixed_id(1), fixed_id(2)],
        ["runs", "lineage", fixed_id(1)],
        ["artifacts", "list"],
    ):
        on_server = mlc("--registry", pg_registry, *args)
        on_disk = mlc("--registry", str(directory), *args)
        assert on_server.returncode == 0, on_server.stderr
        assert on_server.stdout == on_disk.stdout, args
    shown = json.loads(mlc("--registry", pg_registry, "runs", "show", fixed_id(2), "--json").stdout)
    assert shown["tags"] == {"paper": "fig3"}
    assert [a["id"] for a in shown["artifacts"]] == [artifact(1).id]


def test_registry_info_names_the_server_and_counts(pg_registry):
    _fill(Registry.open(pg_registry))
    info = mlc("--registry", pg_registry, "registry", "info", "--json")
    assert info.returncode == 0, info.stderr
    facts = json.loads(info.stdout)
    assert facts["path"] == pg_registry
    assert (facts["runs"]["total"], facts["artifacts"]) == (3, 1)
    assert facts["index"]["state"].startswith(f"PostgreSQL schema {SCHEMA_VERSION}")


def test_a_password_in_the_url_is_refused_without_being_shown(pg_server, pg_registry):
    with_password = pg_registry.replace(f"{pg.USER}@", f"{pg.USER}:{pg.PASSWORD}@")
    for args, env in (
        (["--registry", with_password, "runs", "list"], {}),
        (["runs", "list"], {"MEDLANG_REGISTRY": with_password}),
        (["--registry", f"{pg_registry}?password={pg.PASSWORD}", "runs", "list"], {}),
    ):
        result = mlc(*args, env=env)
        assert result.returncode == 2
        assert "password in the URL is refused" in result.stderr
        assert pg.PASSWORD not in result.stdout + result.stderr


def test_a_wrong_password_is_one_line_without_the_password(pg_registry):
    result = mlc("--registry", pg_registry, "runs", "list", env={"PGPASSWORD": "wrong-Kq9"})
    assert result.returncode == 1
    assert "password authentication failed" in result.stderr
    assert "wrong-Kq9" not in result.stderr and "Traceback" not in result.stderr


def test_the_password_is_written_nowhere(pg_server, pg_registry, tmp_path):
    """Runs, tags, info and errors go through the server: grep everything written."""
    registry = Registry.open(pg_registry)
    _fill(registry)
    registry.tag_run(fixed_id(1), {"k": "v"})
    outputs = [
        mlc("--registry", pg_registry, *args)
        for args in (["runs", "list", "--json"], ["registry", "info"], ["runs", "show", "zz"])
    ]
    text = "".join(result.stdout + result.stderr for result in outputs)
    import psycopg

    with psycopg.connect(pg_registry) as conn:
        for table in ("runs", "artifacts", "annotations"):
            text += "".join(row[0] for row in conn.execute(f"SELECT line FROM {table}"))
    assert pg_registry in text  # the URL itself may be shown, without its secret
    assert pg.PASSWORD not in text
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert all(pg.PASSWORD.encode() not in path.read_bytes() for path in written)


@pytest.mark.parametrize(
    "where",
    [
        "id = 'x''; DROP TABLE runs; --'",
        "tags.paper = 'a'' OR ''1''=''1'",
        "config.name ~ '*'' OR 1=1 --%_'",
    ],
)
def test_sql_in_a_query_is_inert(pg_registry, where):
    registry = Registry.open(pg_registry)
    _fill(registry)
    registry.tag_run(fixed_id(1), {"paper": "fig3"})
    result = mlc("--registry", pg_registry, "runs", "list", "--json", "--where", where)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # matches nothing, and the table is still there
    assert Registry.open(pg_registry).count_runs() == 3


def test_sql_in_tags_notes_and_ids_is_stored_as_text(pg_registry):
    registry = Registry.open(pg_registry)
    _fill(registry)
    hostile = "x'); DELETE FROM runs; --"
    assert (
        mlc("--registry", pg_registry, "runs", "tag", fixed_id(1), f"k={hostile}").returncode == 0
    )
    assert mlc("--registry", pg_registry, "runs", "note", fixed_id(1), hostile).returncode == 0
    shown = mlc("--registry", pg_registry, "runs", "show", "'; DROP TABLE runs; --")
    assert shown.returncode != 0 and "Traceback" not in shown.stderr
    assert registry.count_runs() == 3
    assert registry.annotations_json([fixed_id(1)])[fixed_id(1)].tags == {"k": hostile}


def test_the_password_is_in_no_process_title(pg_server, pg_registry):
    """While `mlc ui` holds a connection, neither its command line nor the server's
    process for that connection (its title, its row in pg_stat_activity) shows the
    password, which came from PGPASSWORD; the server's log does not hold it either."""
    import shutil
    import urllib.request

    from tests.web.conftest import start_ui

    database = pg_registry.rsplit("/", 1)[1]
    server, app = start_ui(pg_registry)  # type: ignore[arg-type]
    try:
        urllib.request.urlopen(f"{app}/runs", timeout=30).close()  # now it is connected
        titles = [_cmdline(pid) for pid in os.listdir("/proc") if pid.isdigit()]
        if shutil.which("ps"):
            titles.append(subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True,
                                         text=True, check=True).stdout)  # fmt: skip
        import psycopg

        with psycopg.connect(pg_registry) as conn:
            activity = conn.execute(
                "SELECT application_name, usename, query, backend_type FROM pg_stat_activity"
                " WHERE datname = %s AND application_name = 'mlc'",
                (database,),
            ).fetchall()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert any("ui" in title and pg_registry in title for title in titles)  # mlc ui, seen
    assert any(f"postgres: {pg.USER} {database} 127.0.0.1" in title for title in titles)
    assert activity  # the mlc's connection, seen by the server
    everything = "\n".join(titles) + repr(activity) + pg_server.log()
    assert pg.PASSWORD not in everything


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:  # ended meanwhile, or not ours to read
        return ""


def test_archive_and_import_on_the_server_keep_tags_and_notes(pg_registry, tmp_path):
    registry = Registry.open(pg_registry)
    _fill(registry)
    registry.tag_run(fixed_id(1), {"paper": "fig3"})
    registry.note_run(fixed_id(1), "the figure-3 run")
    archive = tmp_path / "old.jsonl"
    moved = mlc("--registry", pg_registry, "runs", "archive", fixed_id(1), "--to", str(archive))
    assert moved.returncode == 0, moved.stderr
    assert moved.stderr == f"Archived 1 run(s) and 1 artifact record(s) to {archive}\n"
    assert registry.count_runs() == 2  # hidden on the server

    shown = json.loads(
        mlc("--registry", str(archive), "runs", "show", fixed_id(1), "--json").stdout
    )
    assert shown["tags"] == {"paper": "fig3"}
    assert [note["text"] for note in shown["notes"]] == ["the figure-3 run"]

    back = mlc("--registry", pg_registry, "runs", "import", str(archive))
    assert back.returncode == 0, back.stderr
    assert registry.count_runs() == 3
    assert registry.annotations_json([fixed_id(1)])[fixed_id(1)].tags == {"paper": "fig3"}


def test_compact_says_in_one_line_that_a_server_has_no_logs_to_rewrite(pg_registry):
    result = mlc("--registry", pg_registry, "registry", "compact")
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {pg_registry} is a registry on a server: compact rewrites a registry "
        "directory's logs; archived runs stay hidden on the server\n"
    )
