"""Reading real log files: bad lines, torn tails, foreign timestamps, many writers."""

from __future__ import annotations

import json
import multiprocessing
import re

import pytest

from medlang.registry import Registry, RunKind
from medlang.registry.codec import encode
from tests.registry.factories import artifact, fixed_id, run


@pytest.fixture
def registry(tmp_path) -> Registry:
    return Registry(tmp_path / "reg")


def _write_lines(registry: Registry, *lines: str | bytes, name: str = "runs.jsonl") -> None:
    registry.root.mkdir(parents=True, exist_ok=True)
    data = b"".join(line if isinstance(line, bytes) else line.encode() for line in lines)
    (registry.root / name).write_bytes(data)


def _line(record) -> str:
    return encode(record).decode() + "\n"


def _warnings(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if "warning" in line]


def test_bad_lines_are_skipped_with_one_warning_each(registry, capsys):
    _write_lines(
        registry,
        _line(run(1)),
        "{not json\n",
        "\n",
        "   \n",
        '["an", "array"]\n',
        json.dumps({**run(2).model_dump(mode="json"), "kind": "Teleport"}) + "\n",
        json.dumps({**run(3).model_dump(mode="json"), "started_at": "yesterday"}) + "\n",
        _line(run(4)),
    )
    assert [r.id for r in registry.load_runs()] == [fixed_id(1), fixed_id(4)]
    warnings = _warnings(capsys)
    path = registry.root / "runs.jsonl"
    assert len(warnings) == 4
    assert f"{path}:2: not a valid JSON object" in warnings[0]
    assert f"{path}:5: not a valid JSON object (expected a JSON object, got list)" in warnings[1]
    assert f"{path}:6: invalid record (kind: " in warnings[2] and "Teleport" in warnings[2]
    assert f"{path}:7: invalid record (started_at: " in warnings[3]
    # warned once: later reads (other registries too) stay quiet
    assert registry.count_runs() == 2
    assert Registry(registry.root).load_runs()[1].id == fixed_id(4)
    assert _warnings(capsys) == []


def test_a_torn_last_line_is_skipped_and_does_not_swallow_the_next_record(registry, capsys):
    torn = _line(run(2))[:40]
    _write_lines(registry, _line(run(1)), torn)
    assert [r.id for r in registry.load_runs()] == [fixed_id(1)]
    [warning] = _warnings(capsys)
    assert f"{registry.root / 'runs.jsonl'}:2: not a valid JSON object" in warning
    assert "incomplete last line" in warning

    registry.log_run(run(3))
    assert [r.id for r in registry.load_runs()] == [fixed_id(1), fixed_id(3)]
    assert (registry.root / "runs.jsonl").read_text().splitlines()[1] == torn
    assert _warnings(capsys) == []  # the torn line was reported once already
    assert [r.id for r in Registry(registry.root).recent_runs(5)] == [fixed_id(3), fixed_id(1)]


def test_a_torn_tail_is_ended_before_the_next_append_even_unread(registry):
    _write_lines(registry, _line(run(1)), _line(run(2))[:30])
    registry.log_run(run(3))
    assert [r.id for r in registry.load_runs()] == [fixed_id(1), fixed_id(3)]


def test_a_line_still_being_written_is_indexed_once_complete(registry, capsys):
    # another tool that does not lock writes a record in two pieces
    registry.log_run(run(1))
    line = encode(run(2)) + b"\n"
    with open(registry.root / "runs.jsonl", "ab") as log:
        log.write(line[:50])
        log.flush()
        assert registry.count_runs() == 1
        assert registry.count_runs() == 1  # looked at again: warned about once only
        [warning] = _warnings(capsys)
        assert ":2: not a valid JSON object" in warning and "incomplete last line" in warning
        log.write(line[50:])
    assert [r.id for r in registry.load_runs()] == [fixed_id(1), fixed_id(2)]
    assert _warnings(capsys) == []


@pytest.mark.parametrize(
    "stamp",
    [
        "2025-01-23T14:32:10.123456789Z",  # Rust chrono
        "2025-01-23T14:32:10.123Z",
        "2025-01-23T14:32:10Z",
        "2025-01-23T14:32:10.123456+00:00",
    ],
)
def test_timestamps_from_other_toolchains_load(registry, stamp):
    line = {
        "id": fixed_id(1),
        "kind": "EvidenceMechanistic",
        "started_at": stamp,
        "finished_at": stamp,
        "project_root": "/p",
        "module_path": None,
        "evidence_program": None,
        "git_commit": None,
        "git_dirty": False,
        "config": {},
        "metrics": {},
        "artifacts": [],
    }  # the Rust toolchain writes no ``env``
    _write_lines(registry, json.dumps(line) + "\n")
    [record] = registry.load_runs()
    assert record.started_at.isoformat().startswith("2025-01-23T14:32:10")
    assert record.env is None
    assert registry.recent_runs(1)[0].id == fixed_id(1)


def test_unknown_fields_from_newer_toolchains_are_ignored(registry):
    obj = {**run(1).model_dump(mode="json"), "gpu": "A100"}
    _write_lines(registry, json.dumps(obj) + "\n")
    assert registry.find_run(fixed_id(1)) == run(1)


def test_a_missing_artifacts_log_is_an_empty_table(registry):
    registry.log_run(run(1))
    assert registry.load_artifacts() == []
    assert registry.count_artifacts() == 0


def _log_many(root: str, worker: int, count: int) -> None:
    registry = Registry(root)
    for i in range(count):
        n = worker * 1000 + i
        registry.log_artifact(artifact(n))
        registry.log_run(run(n, RunKind.RLTrain, artifacts=[artifact(n).id]))
        if i % 10 == 0:
            registry.count_runs()  # readers update the index while others write


def test_several_processes_logging_at_once_lose_nothing(registry):
    workers, count = 4, 40
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_log_many, args=(str(registry.root), w, count))
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    lines = (registry.root / "runs.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert all(json.loads(line)["kind"] == "RLTrain" for line in lines[:-1])
    expected = {fixed_id(w * 1000 + i) for w in range(workers) for i in range(count)}
    assert {r.id for r in registry.load_runs()} == expected
    assert registry.count_runs() == len(lines) - 1 == workers * count
    assert registry.count_artifacts() == workers * count
    # the index that was built while writers raced agrees with a fresh one
    (registry.root / "index.sqlite").unlink()
    assert {r.id for r in Registry(registry.root).load_runs()} == expected


def test_warning_names_file_and_line_for_artifacts_too(registry, capsys):
    _write_lines(registry, _line(artifact(1)), '{"id": "nope"}\n', name="artifacts.jsonl")
    assert len(registry.load_artifacts()) == 1
    [warning] = _warnings(capsys)
    assert re.search(r"artifacts\.jsonl:2: invalid record \(id: .*invalid artifact id", warning)


def test_ids_spelled_otherwise_by_another_tool_are_found(registry):
    upper = {**artifact(1).model_dump(mode="json"), "id": artifact(1).id.upper()}
    _write_lines(registry, json.dumps(upper) + "\n", name="artifacts.jsonl")
    other = {**run(1).model_dump(mode="json"), "id": "{" + fixed_id(1).upper() + "}"}
    other["artifacts"] = [artifact(1).id.upper().replace("-", "")]
    _write_lines(registry, json.dumps(other) + "\n")
    assert registry.find_run(fixed_id(1)).artifacts == [artifact(1).id]
    stored = registry.run_json(fixed_id(1))
    assert (stored["id"], stored["artifacts"]) == (fixed_id(1), [artifact(1).id])
    assert registry.artifact_json(artifact(1).id)["id"] == artifact(1).id
    assert registry.runs_with_artifact(artifact(1).id)[0].id == fixed_id(1)
