"""Review: the registry's integrity promises under concurrent writers and readers,
damaged logs and files, permissive umasks, and other toolchains' timestamps."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry, RunKind, RunLogger
from medlang.registry.storage import Order
from medlang.registry.timestamps import parse_timestamp, to_micros
from tests.registry.factories import fixed_id, run

WRITERS, RUNS_EACH, READERS = 3, 30, 2
KINDS = (RunKind.EvidenceHybrid, RunKind.RLEval, RunKind.SurrogateTrain)


def _write(root: str, worker: int, start=None) -> None:
    logger = RunLogger(Registry(root), "/p", evidence_program=f"w{worker}")
    if start is not None:
        start.wait()  # begin together with the readers, whatever the scheduler does
    for i in range(RUNS_EACH):
        logger.log_run_with_artifacts(
            KINDS[i % len(KINDS)],
            {"worker": worker, "i": i},
            {"i": i},
            [("EvidenceResult", f"/nowhere/{worker}/{i}.json")],
        )


def _read(root: str, start, stop, problems) -> None:
    """Query through the index while others write; every run seen must be whole."""
    registry = Registry(root)
    seen = 0
    start.wait()
    last_round = False
    while not last_round:
        last_round = stop.is_set()  # one more round after the writers are done
        try:
            records = registry.runs_json(order=Order.NEWEST, limit=15)
            seen = max(seen, registry.count_runs())
            for record in records:
                for artifact_id in record["artifacts"]:  # artifacts are logged first
                    if registry.artifact_json(artifact_id) is None:
                        problems.put(f"run {record['id']} seen before its artifact")
                if registry.resolve_run_id(record["id"][:13]) != record["id"]:
                    problems.put(f"prefix of {record['id']} resolves elsewhere")
            registry.count_runs(RunKind.RLEval)
        except Exception as error:  # noqa: BLE001 - any failure is the finding
            problems.put(f"{type(error).__name__}: {error}")
    problems.put(seen)


def _scan(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _newest_first(records: list[dict]) -> list[str]:
    order = sorted(
        range(len(records)),
        key=lambda i: (-to_micros(parse_timestamp(records[i]["started_at"])), i),
    )
    return [records[i]["id"] for i in order]


def test_concurrent_writers_and_readers_lose_nothing_and_the_index_equals_a_scan(tmp_path):
    root = str(tmp_path / "reg")
    context = multiprocessing.get_context("fork")
    stop, problems = context.Event(), context.Queue()
    start = context.Barrier(READERS + WRITERS)
    readers = [
        context.Process(target=_read, args=(root, start, stop, problems)) for _ in range(READERS)
    ]
    writers = [context.Process(target=_write, args=(root, w, start)) for w in range(WRITERS)]
    for process in readers + writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
        assert process.exitcode == 0
    stop.set()
    for process in readers:
        process.join(timeout=60)
        assert process.exitcode == 0
    found = [problems.get(timeout=10) for _ in range(READERS)]
    while not problems.empty():
        found.append(problems.get())
    assert [f for f in found if isinstance(f, str)] == []
    seen = [f for f in found if isinstance(f, int)]
    assert seen == [WRITERS * RUNS_EACH] * READERS, "each reader ends up seeing every run"

    registry = Registry(root)
    runs = _scan(registry.root / "runs.jsonl")
    artifacts = _scan(registry.root / "artifacts.jsonl")
    ids = [record["id"] for record in runs]
    assert len(ids) == len(set(ids)) == WRITERS * RUNS_EACH
    assert [record.id for record in registry.load_runs()] == ids
    assert [r.id for r in registry.recent_runs(len(ids))] == _newest_first(runs)
    kinds = Counter(record["kind"] for record in runs)
    assert {k: registry.count_runs(k) for k in kinds} == dict(kinds)
    assert registry.count_artifacts() == len(artifacts) == len(ids)
    result = CliRunner().invoke(cli, ["--registry", root, "runs", "list", "--json", "-n", "1000"])
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.output.splitlines()] == _newest_first(runs)
    (registry.root / "index.sqlite").unlink()
    assert [record.id for record in Registry(root).load_runs()] == ids


def test_a_torn_line_then_appends_from_several_processes(tmp_path, capfd):
    registry = Registry(tmp_path / "reg")
    registry.log_run(run(1))
    whole = (registry.root / "runs.jsonl").read_bytes()
    with open(registry.root / "runs.jsonl", "ab") as log:
        log.write(whole[: len(whole) // 2])  # a writer died half way, no newline
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_write, args=(str(registry.root), w)) for w in range(2)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
        assert process.exitcode == 0
    runs = registry.load_runs()
    assert len(runs) == 1 + 2 * RUNS_EACH and runs[0].id == fixed_id(1)
    warnings = [line for line in capfd.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "runs.jsonl:2:" in warnings[0]
    (registry.root / "index.sqlite").unlink()
    assert [r.id for r in Registry(registry.root).load_runs()] == [r.id for r in runs]


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_every_created_file_is_private_whatever_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        registry = Registry(tmp_path / "new" / "reg")
        RunLogger(registry, "/p").log_run_with_artifacts(
            RunKind.RLTrain, {}, {}, [("RLPolicy", tmp_path / "policy.json")]
        )
        registry.count_runs()
        registry.count_artifacts()  # the index (and its WAL files) exist now
    finally:
        os.umask(previous)
    for directory in (tmp_path / "new", registry.root):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    names = [
        "runs.jsonl",
        "artifacts.jsonl",
        "index.sqlite",
        "index.sqlite-wal",
        "index.sqlite-shm",
    ]
    for name in names:
        assert stat.S_IMODE((registry.root / name).stat().st_mode) == 0o600, name


def test_a_replaced_log_with_other_records_is_reindexed(tmp_path):
    registry = Registry(tmp_path / "reg")
    for n in (1, 2, 3):
        registry.log_run(run(n))
    assert registry.count_runs() == 3
    other = Registry(tmp_path / "other")
    other.log_run(run(7, RunKind.RLEval))
    os.replace(other.root / "runs.jsonl", registry.root / "runs.jsonl")
    assert [r.id for r in registry.load_runs()] == [fixed_id(7)]
    assert registry.count_runs() == 1 and registry.count_runs(RunKind.EvidenceHybrid) == 0
    assert registry.find_run(fixed_id(1)) is None


@pytest.mark.parametrize("zone", ["Z", "+00:00"])
@pytest.mark.parametrize("fraction", ["", ".5", ".123", ".123456", ".123456789"])
def test_chrono_timestamps_load_order_and_show(tmp_path, fraction, zone):
    """Rust (chrono) lines sort with ours by their real time, in the CLI too."""
    registry = Registry(tmp_path / "reg")
    registry.log_run(run(1, minute=0))  # 14:32:10.123456Z
    foreign = run(2, minute=0).model_dump(mode="json")
    stamp = f"2025-01-23T14:32:11{fraction}{zone}"  # one second later: newest
    foreign.update(started_at=stamp, finished_at=stamp)
    foreign.pop("env", None)
    with open(registry.root / "runs.jsonl", "a") as log:
        log.write(json.dumps(foreign) + "\n")
    assert [r.id for r in registry.recent_runs(2)] == [fixed_id(2), fixed_id(1)]
    assert [r.id for r in registry.runs_by_start()] == [fixed_id(1), fixed_id(2)]
    result = CliRunner().invoke(cli, ["--registry", str(registry.root), "runs", "list"])
    assert result.exit_code == 0
    first_row = result.output.splitlines()[1]
    assert first_row.startswith(fixed_id(2)) and "2025-01-23 14:32:11" in first_row
