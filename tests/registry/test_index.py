"""The SQLite index is a cache: deleted, stale or corrupt, it is rebuilt to the same answers."""

from __future__ import annotations

import os
import sqlite3

import pytest

from medlang.registry import Registry, RunKind
from medlang.registry.codec import encode
from medlang.registry.storage import Order, Table
from tests.registry.factories import artifact, fixed_id, run

KINDS = list(RunKind)


@pytest.fixture
def registry(tmp_path) -> Registry:
    registry = Registry(tmp_path / "reg")
    for n in range(30):
        registry.log_artifact(artifact(n))
        registry.log_run(run(n, KINDS[n % len(KINDS)], minute=n % 7, artifacts=[artifact(n).id]))
    return registry


def answers(registry: Registry) -> dict:
    """Everything the registry can be asked, from a fresh object."""
    fresh = Registry(registry.root)
    return {
        "runs": fresh.load_runs(),
        "artifacts": fresh.load_artifacts(),
        "recent": fresh.recent_runs(10),
        "by_start": fresh.runs_by_start(),
        "by_kind": {kind: fresh.find_runs_by_kind(kind) for kind in RunKind},
        "counts": (fresh.count_runs(), fresh.count_artifacts(), fresh.count_runs("RLTrain")),
        "find": [fresh.find_run(fixed_id(n)) for n in (0, 13, 29, 99)],
        "prefix": fresh.store.ids_with_prefix(Table.RUNS, fixed_id(0)[:-1], 50),
        "produced_by": [fresh.runs_with_artifact(artifact(n).id) for n in (0, 13, 29)],
    }


def _index(registry: Registry):
    return registry.root / "index.sqlite"


def test_deleting_the_index_loses_nothing(registry):
    before = answers(registry)
    for suffix in ("", "-wal", "-shm"):
        path = f"{_index(registry)}{suffix}"
        if os.path.exists(path):
            os.unlink(path)
    assert answers(registry) == before
    assert _index(registry).exists()


def test_new_lines_are_indexed_incrementally(registry):
    registry.count_runs()
    with open(registry.root / "runs.jsonl", "ab") as log:  # another tool appends
        log.write(encode(run(100, minute=99)) + b"\n")
    assert registry.recent_runs(1)[0].id == fixed_id(100)
    assert registry.count_runs() == 31


def test_a_truncated_log_is_detected_and_reindexed(registry):
    registry.count_runs()
    log = registry.root / "runs.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:10]))
    result = answers(registry)
    assert result["counts"][0] == 10
    assert result["find"][1] is None  # run 13 is gone
    assert [r.id for r in result["runs"]] == [fixed_id(n) for n in range(10)]


def test_a_replaced_log_of_the_same_size_is_detected(registry, tmp_path):
    registry.count_runs()
    log = registry.root / "runs.jsonl"
    other = Registry(tmp_path / "other")
    for n in reversed(range(30)):  # same records, other order: same size, different bytes
        other.log_artifact(artifact(n))
        other.log_run(run(n, KINDS[n % len(KINDS)], minute=n % 7, artifacts=[artifact(n).id]))
    replacement = (tmp_path / "other" / "runs.jsonl").read_bytes()
    assert len(replacement) == log.stat().st_size
    log.write_bytes(replacement)  # in place: same inode
    assert [r.id for r in answers(registry)["runs"]] == [fixed_id(29 - n) for n in range(30)]
    mine, theirs = answers(registry), answers(other)
    assert mine | {"artifacts": None} == theirs | {"artifacts": None}


def test_a_log_replaced_by_rename_is_detected(registry, tmp_path):
    registry.count_runs()
    log = registry.root / "runs.jsonl"
    kept = log.read_bytes().splitlines(keepends=True)[::2]
    temporary = registry.root / "runs.jsonl.tmp"
    temporary.write_bytes(b"".join(kept) + encode(run(200)) + b"\n")
    os.replace(temporary, log)
    result = answers(registry)
    assert [r.id for r in result["runs"]] == [fixed_id(n) for n in range(0, 30, 2)] + [
        fixed_id(200)
    ]


def test_an_edit_in_the_middle_the_fingerprint_misses_is_caught_on_read(registry):
    registry.count_runs()
    log = registry.root / "runs.jsonl"
    data = log.read_bytes()
    old, new = fixed_id(13).encode(), fixed_id(0xEEE).encode()
    log.write_bytes(data.replace(old, new))  # same length, far from head and tail
    assert registry.find_run(fixed_id(13)) is None
    assert registry.find_run(fixed_id(0xEEE)).config == {"seed": 13}


def test_a_corrupt_index_file_is_rebuilt(registry):
    before = answers(registry)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{_index(registry)}{suffix}"):
            os.unlink(f"{_index(registry)}{suffix}")
    _index(registry).write_bytes(b"this is not a database" * 100)
    assert answers(registry) == before


def test_a_deleted_log_empties_the_table(registry):
    registry.count_runs()
    (registry.root / "runs.jsonl").unlink()
    assert registry.count_runs() == 0
    assert registry.runs_json(order=Order.NEWEST, limit=5) == []
    assert registry.count_artifacts() == 30


def test_an_unusable_index_path_falls_back_to_memory(registry):
    before = answers(registry)
    for suffix in ("", "-wal", "-shm"):
        path = f"{_index(registry)}{suffix}"
        if os.path.exists(path):
            os.unlink(path)
    _index(registry).mkdir()  # e.g. not writable: the index cannot live there
    assert answers(registry) == before


def test_an_index_damaged_inside_is_rebuilt(registry):
    before = answers(registry)
    index = _index(registry)
    Registry(registry.root).count_runs()
    with sqlite3.connect(index) as conn:  # fold the WAL into the main file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(index.read_bytes())
    page = 4096
    data[page : len(data)] = b"\xff" * (len(data) - page)  # keep the header, ruin the pages
    index.write_bytes(bytes(data))
    assert answers(registry) == before
