"""The index is ours or untouched (issue: foreign, symlinked and read-only index files,
same-length in-place edits)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry, RunKind
from medlang.registry.sqlite_index import APPLICATION_ID
from tests.harden.unprivileged import run_python
from tests.registry.factories import fixed_id, run


@pytest.fixture
def registry(isolated_registry: Path) -> Registry:
    registry = Registry(isolated_registry)
    for n in range(6):
        registry.log_run(run(n, RunKind.EvidenceHybrid if n % 2 else RunKind.RLEval))
    return registry


def _foreign_database(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO patients (name) VALUES (?)", [("ada",), ("alan",)])
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _patients(path: Path) -> list[tuple]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT id, name FROM patients ORDER BY id").fetchall()


def _mlc(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_a_foreign_database_is_moved_aside_untouched(registry):
    index = registry.root / "index.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    digest = _foreign_database(index)

    result = _mlc("runs", "list")

    assert result.exit_code == 0, result.output
    assert "Showing 6 of 6 runs" in result.stdout
    assert "is not a MedLang registry index; moved it to" in result.stderr
    [aside] = registry.root.glob("index.sqlite.foreign-*[0-9]")
    assert hashlib.sha256(aside.read_bytes()).hexdigest() == digest
    assert _patients(aside) == [(1, "ada"), (2, "alan")]
    with sqlite3.connect(index) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_a_symlinked_index_is_refused_and_its_target_untouched(registry, tmp_path):
    index = registry.root / "index.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    target = tmp_path / "clinic.db"
    digest = _foreign_database(target)
    index.symlink_to(target)

    result = _mlc("runs", "list")

    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "index.sqlite is a symbolic link" in result.stderr
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest
    assert _patients(target) == [(1, "ada"), (2, "alan")]
    with pytest.raises(Exception, match="symbolic link"):
        Registry(registry.root).count_runs()


def test_an_index_from_before_the_application_id_is_upgraded_in_place(registry):
    index = registry.root / "index.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(index) as conn:  # the version 3 layout, as older releases left it
        for table in ("meta", "counts", "links", "runs", "artifacts"):
            conn.execute(f"CREATE TABLE {table} (x)")
        conn.execute("PRAGMA user_version = 3")

    result = _mlc("runs", "list")

    assert result.exit_code == 0 and "moved it" not in result.stderr
    assert list(registry.root.glob("index.sqlite.foreign-*")) == []
    assert Registry(registry.root).count_runs() == 6


def test_a_same_length_edit_of_a_kind_is_noticed_by_every_read(registry):
    assert "Showing 3 of 3 runs" in _mlc("runs", "list", "--kind", "RLEval").stdout
    log = registry.root / "runs.jsonl"
    data = log.read_bytes()
    offset = data.index(b'"RLEval"')  # the first run's kind, rewritten in place
    with open(log, "r+b") as handle:
        handle.seek(offset)
        handle.write(b'"RLTrai"')
    assert log.read_bytes().count(b'"RLTrai"') == 1
    # not a valid kind any more: the run disappears from every view, with a warning
    listed = _mlc("runs", "list", "--kind", "RLEval")
    assert "Showing 2 of 2 runs" in listed.stdout
    assert "runs.jsonl:1:" in listed.stderr
    assert _mlc("runs", "show", fixed_id(0)).exit_code != 0


def test_a_same_length_kind_swap_is_seen_by_list_and_show_alike(registry):
    """EvidenceHybrid and SurrogateTrain have the same length."""
    _mlc("runs", "list")
    log = registry.root / "runs.jsonl"
    data = bytearray(log.read_bytes())
    offset = data.index(b'"EvidenceHybrid"')  # run 1
    with open(log, "r+b") as handle:
        handle.seek(offset)
        handle.write(b'"SurrogateTrain"')

    listed = _mlc("runs", "list", "--kind", "SurrogateTrain", "--json")
    assert [line.count(fixed_id(1)) for line in listed.stdout.splitlines()] == [1]
    shown = _mlc("runs", "show", fixed_id(1), "--json")
    assert '"kind":"SurrogateTrain"' in shown.stdout


def test_an_edit_followed_by_an_append_is_caught_by_the_line_checksum(registry):
    _mlc("runs", "list")
    log = registry.root / "runs.jsonl"
    data = log.read_bytes()
    offset = data.index(b'"EvidenceHybrid"')  # run 1
    with open(log, "r+b") as handle:
        handle.seek(offset)
        handle.write(b'"SurrogateTrain"')
    registry.log_run(run(50))  # the size grows too: only the line's checksum can tell

    shown = _mlc("runs", "show", fixed_id(1), "--json")
    assert '"kind":"SurrogateTrain"' in shown.stdout
    listed = _mlc("runs", "list", "--kind", "SurrogateTrain", "--json")
    assert listed.stdout.count(fixed_id(1)) == 1


_COUNT_PROGRAM = """\
module t;
import med.registry::{count_runs};
fn main() {
  println(to_string(count_runs(None)));
}
"""


def test_a_read_only_index_degrades_to_memory_for_cli_api_and_medlang(registry, tmp_path):
    _mlc("runs", "list")  # the index exists
    index = registry.root / "index.sqlite"
    with sqlite3.connect(index) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    os.chmod(index, 0o444)
    registry.log_run(run(77))  # the next append, then reads
    env = {"MEDLANG_REGISTRY": str(registry.root)}

    cli_result = run_python(["-m", "medlang", "runs", "list"], env)
    assert cli_result.returncode == 0, cli_result.stderr
    assert "Showing 7 of 7 runs" in cli_result.stdout
    assert cli_result.stderr.count("warning") == 1
    assert "in-memory index" in cli_result.stderr

    api = textwrap.dedent(
        f"""
        from medlang.registry import Registry
        registry = Registry({str(registry.root)!r})
        print(registry.count_runs(), len(registry.load_runs()), registry.count_runs("RLEval"))
        """
    )
    api_result = run_python(["-c", api], env)
    assert api_result.returncode == 0, api_result.stderr
    assert api_result.stdout.split() == ["7", "7", "3"]
    assert api_result.stderr.count("warning") == 1

    program = tmp_path / "count.medlang"
    program.write_text(_COUNT_PROGRAM)
    lang_result = run_python(["-m", "medlang", "run", str(program)], env)
    assert lang_result.returncode == 0, lang_result.stderr
    assert lang_result.stdout.strip() == "7"
    assert lang_result.stderr.count("warning") == 1
    assert index.stat().st_mode & 0o777 == 0o444
