"""The storage contract, written once and run against every ``RecordStore`` backend."""

from __future__ import annotations

import pytest

from medlang.registry.codec import encode
from medlang.registry.jsonl_store import JsonlStore
from medlang.registry.memory_store import MemoryStore
from medlang.registry.storage import Order, RecordStore, Table
from tests.registry.factories import artifact, fixed_id, run

BACKENDS = {
    "jsonl": lambda tmp_path: JsonlStore(tmp_path / "reg"),
    "memory": lambda tmp_path: MemoryStore(),
}


@pytest.fixture(params=sorted(BACKENDS))
def store(request, tmp_path) -> RecordStore:
    return BACKENDS[request.param](tmp_path)


def _fill(store: RecordStore) -> None:
    # (n, kind, minute): log order differs from time order, with ties on time.
    for n, kind, minute in [
        (1, "RLTrain", 30),
        (2, "EvidenceHybrid", 10),
        (3, "RLTrain", 20),
        (4, "RLEval", 30),
        (5, "RLTrain", 10),
    ]:
        store.append(Table.RUNS, encode(run(n, kind, minute=minute)))


def _ids(records) -> list[int]:
    return [int(record["id"][-12:], 16) for record in records]


def test_an_empty_store_answers_every_query(store):
    for table in Table:
        assert store.get(table, fixed_id(1)) is None
        assert store.select(table) == []
        assert store.count(table) == 0
        assert store.ids_with_prefix(table, "0000", 10) == []


def test_get_returns_the_stored_json_object(store):
    record = run(1, config={"seed": 3, "nested": {"xs": [1, 2.5]}})
    store.append(Table.RUNS, encode(record))
    stored = store.get(Table.RUNS, record.id)
    assert stored == record.model_dump(mode="json")
    assert store.get(Table.ARTIFACTS, record.id) is None  # tables are separate


def test_select_in_log_order(store):
    _fill(store)
    assert _ids(store.select(Table.RUNS)) == [1, 2, 3, 4, 5]
    assert _ids(store.select(Table.RUNS, kind="RLTrain")) == [1, 3, 5]
    assert _ids(store.select(Table.RUNS, limit=2)) == [1, 2]


def test_select_newest_first_with_ties_in_log_order(store):
    _fill(store)
    assert _ids(store.select(Table.RUNS, order=Order.NEWEST)) == [1, 4, 3, 2, 5]
    assert _ids(store.select(Table.RUNS, order=Order.NEWEST, limit=3)) == [1, 4, 3]
    assert _ids(store.select(Table.RUNS, kind="RLTrain", order=Order.NEWEST)) == [1, 3, 5]


def test_select_oldest_first_with_ties_in_log_order(store):
    _fill(store)
    assert _ids(store.select(Table.RUNS, order=Order.OLDEST)) == [2, 5, 3, 1, 4]
    assert _ids(store.select(Table.RUNS, kind="RLTrain", order=Order.OLDEST)) == [5, 3, 1]


def test_select_with_zero_limit_is_empty(store):
    _fill(store)
    assert store.select(Table.RUNS, limit=0) == []


def test_counts_by_kind(store):
    _fill(store)
    assert store.count(Table.RUNS) == 5
    assert store.count(Table.RUNS, "RLTrain") == 3
    assert store.count(Table.RUNS, "SurrogateEval") == 0
    assert store.count(Table.ARTIFACTS) == 0


def test_ids_with_prefix_sorted_and_limited(store):
    for n, run_id in enumerate(
        [
            "abcd2222-0000-4000-8000-000000000002",
            "abcd1111-0000-4000-8000-000000000001",
            "abce0000-0000-4000-8000-000000000003",
        ]
    ):
        store.append(Table.RUNS, encode(run(n, id=run_id)))
    assert store.ids_with_prefix(Table.RUNS, "abcd", 10) == [
        "abcd1111-0000-4000-8000-000000000001",
        "abcd2222-0000-4000-8000-000000000002",
    ]
    assert len(store.ids_with_prefix(Table.RUNS, "abc", 2)) == 2
    assert store.ids_with_prefix(Table.RUNS, "abcf", 10) == []


def test_a_repeated_id_keeps_the_first_record(store):
    store.append(Table.RUNS, encode(run(1, config={"first": True})))
    store.append(Table.RUNS, encode(run(1, config={"first": False})))
    assert store.get(Table.RUNS, fixed_id(1))["config"] == {"first": True}
    assert store.count(Table.RUNS) == 1
    assert len(store.select(Table.RUNS)) == 1


def test_artifacts_table(store):
    for n, kind in enumerate(["RLPolicy", "RLTrainReport", "RLPolicy"]):
        store.append(Table.ARTIFACTS, encode(artifact(n, kind)))
    assert store.count(Table.ARTIFACTS, "RLPolicy") == 2
    newest = store.select(Table.ARTIFACTS, order=Order.NEWEST, limit=1)
    assert newest[0]["metadata"] == {"n": 2}
    assert store.count(Table.RUNS) == 0


def test_runs_with_artifact_in_log_order(store):
    shared, only_first = artifact(1).id, artifact(2).id
    store.append(Table.RUNS, encode(run(1, artifacts=[shared, only_first])))
    store.append(Table.RUNS, encode(run(2)))
    store.append(Table.RUNS, encode(run(3, minute=0, artifacts=[shared])))
    assert _ids(store.runs_with_artifact(shared)) == [1, 3]
    assert _ids(store.runs_with_artifact(only_first)) == [1]
    assert store.runs_with_artifact(artifact(3).id) == []


def test_a_repeated_run_id_adds_no_artifact_links(store):
    store.append(Table.RUNS, encode(run(1, artifacts=[artifact(1).id])))
    store.append(Table.RUNS, encode(run(1, artifacts=[artifact(2).id])))
    assert _ids(store.runs_with_artifact(artifact(1).id)) == [1]
    assert store.runs_with_artifact(artifact(2).id) == []
