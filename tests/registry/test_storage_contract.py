"""The storage contract, written once and run against every ``RecordStore`` backend."""

from __future__ import annotations

import pytest

from medlang.registry.codec import encode
from medlang.registry.jsonl_store import JsonlStore
from medlang.registry.memory_store import MemoryStore
from medlang.registry.storage import Order, RecordStore, Table
from tests.registry.factories import artifact, fixed_id, run

BACKENDS = {
    "jsonl": lambda request, tmp_path: JsonlStore(tmp_path / "reg"),
    "memory": lambda request, tmp_path: MemoryStore(),
    # a real server (tests/conftest.py), a fresh migrated database per test
    "postgresql": lambda request, tmp_path: _postgres(request.getfixturevalue("pg_registry")),
}


def _postgres(url: str) -> RecordStore:
    from medlang.registry.postgres_store import PostgresStore

    return PostgresStore(url)


@pytest.fixture(params=sorted(BACKENDS))
def store(request, tmp_path) -> RecordStore:
    backend = BACKENDS[request.param](request, tmp_path)
    yield backend
    close = getattr(backend, "close", None)
    if close is not None:
        close()


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


# --- the object store --------------------------------------------------------

_LIMIT = 1 << 20


def _file(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_an_object_is_stored_under_its_sha256_and_read_back(store, tmp_path):
    import hashlib

    data = b'{"weights": [1, 2, 3]}\n'
    stored = store.store_object(_file(tmp_path, "model.json", data), _LIMIT)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (stored.size, stored.added) == (len(data), True)
    assert store.has_object(stored.sha256)
    with store.open_object(stored.sha256) as handle:
        assert handle.read() == data
    assert store.object_ids() == [stored.sha256]
    assert store.object_size(stored.sha256) == len(data)


def test_the_same_bytes_are_stored_once(store, tmp_path):
    first = store.store_object(_file(tmp_path, "a.json", b"same"), _LIMIT)
    second = store.store_object(_file(tmp_path, "b.json", b"same"), _LIMIT)
    assert second.sha256 == first.sha256
    assert second.added is False
    assert store.object_ids() == [first.sha256]


def test_a_stored_object_does_not_follow_edits_of_the_original(store, tmp_path):
    path = _file(tmp_path, "config.json", b"original")
    stored = store.store_object(path, _LIMIT)
    path.write_bytes(b"edited in place")  # same inode: a hard link would change too
    with store.open_object(stored.sha256) as handle:
        assert handle.read() == b"original"


def test_a_file_over_the_limit_is_refused_with_a_clear_message(store, tmp_path):
    from medlang.registry import RegistryError

    path = _file(tmp_path, "big.bin", b"x" * 100)
    with pytest.raises(RegistryError, match=r"big\.bin: 100 bytes is more than .* --no-store"):
        store.store_object(path, 99)
    assert store.object_ids() == []


def test_a_missing_object_or_source_is_a_registry_error(store, tmp_path):
    from medlang.registry import RegistryError

    with pytest.raises(RegistryError, match="not in the registry's store"):
        store.open_object("0" * 64)
    assert not store.has_object("0" * 64)
    assert store.object_size("0" * 64) is None
    with pytest.raises(RegistryError, match="cannot store"):
        store.store_object(tmp_path / "absent.json", _LIMIT)
    with pytest.raises(RegistryError, match="cannot store"):
        store.store_object(tmp_path, _LIMIT)  # a directory


def test_remove_object(store, tmp_path):
    stored = store.store_object(_file(tmp_path, "a.json", b"gone soon"), _LIMIT)
    store.remove_object(stored.sha256)
    assert not store.has_object(stored.sha256)
    assert store.object_ids() == []
    store.remove_object(stored.sha256)  # removing twice is harmless


# --- lineage: runs linked by content hash -------------------------------------

_S, _T = "5a" * 32, "7b" * 32


def _uses(*pairs: tuple[str, str]) -> dict:
    return {"inputs": {role: {"path": f"/in/{role}", "sha256": sha} for role, sha in pairs}}


def test_artifacts_and_runs_by_content_hash(store):
    for n, sha in [(1, _S), (2, _T), (3, _S.upper())]:  # any case is the same content
        store.append(Table.ARTIFACTS, encode(artifact(n, sha256=sha)))
    store.append(Table.ARTIFACTS, encode(artifact(4, sha256=None)))
    # run 5 logged first but started last: producers come oldest first
    store.append(Table.RUNS, encode(run(5, minute=50, artifacts=[artifact(3).id])))
    store.append(Table.RUNS, encode(run(6, minute=10, artifacts=[artifact(1).id, artifact(3).id])))
    store.append(Table.RUNS, encode(run(7, minute=20, artifacts=[artifact(2).id])))

    assert [a["id"] for a in store.artifacts_with_sha256(_S)] == [artifact(1).id, artifact(3).id]
    assert _ids(store.runs_producing(_S)) == [6, 5]  # run 6 once, though it has two
    assert _ids(store.runs_producing(_T)) == [7]
    assert store.runs_producing("00" * 32) == []


def test_runs_using_a_hash_by_role_and_kind(store):
    store.append(
        Table.RUNS, encode(run(1, "SurrogateEval", minute=30, config=_uses(("surrogate", _S))))
    )
    store.append(Table.RUNS, encode(run(2, minute=10, config=_uses(("surrogate", _S), ("c", _T)))))
    store.append(Table.RUNS, encode(run(3, "SurrogateEval", minute=20, config=_uses(("c", _S)))))
    store.append(Table.RUNS, encode(run(4, minute=40, config={"seed": 1})))

    assert _ids(store.runs_using(_S)) == [2, 3, 1]
    assert _ids(store.runs_using(_S, kind="SurrogateEval")) == [3, 1]
    assert _ids(store.runs_using(_S, role="surrogate", kind="SurrogateEval")) == [1]
    assert _ids(store.runs_using(_T)) == [2]
    assert store.runs_using("00" * 32) == []


def test_lineage_queries_on_an_empty_store(store):
    assert store.artifacts_with_sha256(_S) == []
    assert store.runs_producing(_S) == []
    assert store.runs_using(_S, role="x", kind="RLEval") == []


def _annotation(n: int, run_n: int, op: str, **fields) -> bytes:
    from medlang.registry.model import AnnotationRecord

    record = AnnotationRecord(
        id=fixed_id(0x20000 + n), run_id=fixed_id(run_n), at=run(1).started_at, op=op, **fields
    )
    return encode(record)


def test_annotations_fold_in_log_order(store):
    _fill(store)
    store.annotate(_annotation(1, 1, "tag", tags={"paper": "fig3", "x": "1"}))
    store.annotate(_annotation(2, 1, "tag", tags={"x": "2"}, remove=["paper"]))
    store.annotate(_annotation(3, 1, "note", text="first"))
    store.annotate(_annotation(4, 1, "note", text="second"))
    store.annotate(_annotation(5, 3, "delete"))
    store.annotate(_annotation(6, 5, "delete"))
    store.annotate(_annotation(7, 5, "restore"))
    store.annotate(_annotation(8, 4, "archive", archive="/tmp/a.jsonl"))
    store.annotate(_annotation(9, 4, "restore"))  # restore undoes delete only
    folded = store.annotations([fixed_id(n) for n in (1, 2, 3, 4, 5)])
    assert folded[fixed_id(1)].tags == {"x": "2"}
    assert [note["text"] for note in folded[fixed_id(1)].notes] == ["first", "second"]
    assert fixed_id(2) not in folded
    assert folded[fixed_id(3)].hidden == "deleted"
    assert store.hidden() == {fixed_id(3): "deleted", fixed_id(4): "archived"}
    assert store.hidden("RLTrain") == {fixed_id(3): "deleted"}
    assert _ids(store.select(Table.RUNS, visible_only=True)) == [1, 2, 5]
    assert _ids(store.select(Table.RUNS, kind="RLTrain", visible_only=True)) == [1, 5]
    assert _ids(store.select(Table.RUNS)) == [1, 2, 3, 4, 5]
    assert store.count(Table.RUNS, visible_only=True) == 3
    assert store.count(Table.RUNS, "RLEval", visible_only=True) == 0
    assert store.count(Table.RUNS, "RLEval") == 1


def test_get_many_returns_the_records_found_by_id(store):
    for n in (1, 2, 3):
        store.append(Table.ARTIFACTS, encode(artifact(n)))
    ids = [artifact(3).id, fixed_id(99), artifact(1).id, artifact(3).id]
    found = store.get_many(Table.ARTIFACTS, ids)
    assert found == {
        artifact(3).id: artifact(3).model_dump(mode="json"),
        artifact(1).id: artifact(1).model_dump(mode="json"),
    }
    assert store.get_many(Table.RUNS, ids) == {}
    assert store.get_many(Table.ARTIFACTS, []) == {}


# --- bulk primitives (medlang.sync moves records with them) ---------------------


def _where(store: RecordStore, table: Table, where: str) -> list[str]:
    from medlang.query.engine import build

    request = build(store, table, where=where, order_by="id", include_hidden=True)
    return [record["id"] for record in store.iter_select(request)]


def test_lines_are_the_exact_lines_stored_in_log_order(store):
    # the same record spelt another way (an escaped character): its bytes are kept
    spelt = encode(run(2, config={"name": "é"})).replace("é".encode(), b"\\u00e9")
    store.append(Table.RUNS, encode(run(3)))
    store.append(Table.RUNS, spelt)
    store.append(Table.RUNS, encode(run(3, config={"again": True})))  # the first one wins
    assert list(store.lines(Table.RUNS)) == [(fixed_id(3), encode(run(3))), (fixed_id(2), spelt)]
    assert list(store.lines(Table.ARTIFACTS)) == []
    assert list(store.lines("annotations")) == []


def test_known_ids_in_each_table(store):
    store.append(Table.RUNS, encode(run(1)))
    store.append(Table.ARTIFACTS, encode(artifact(1)))
    store.annotate(_annotation(1, 1, "note", text="seen"))
    asked = [fixed_id(1), artifact(1).id, fixed_id(0x20001), fixed_id(7)]
    assert store.known_ids(Table.RUNS, asked) == {fixed_id(1)}
    assert store.known_ids(Table.ARTIFACTS, asked) == {artifact(1).id}
    assert store.known_ids("annotations", asked) == {fixed_id(0x20001)}
    assert store.known_ids(Table.RUNS, []) == set()


def test_append_many_is_append_in_order_with_the_first_id_winning(store):
    store.append(Table.RUNS, encode(run(1, config={"first": True})))
    store.append_many(
        Table.RUNS,
        [
            encode(run(2, minute=50, artifacts=[artifact(1).id], config=_uses(("c", _S)))),
            encode(run(1, config={"first": False})),  # held already
            encode(run(3, minute=5)),
            encode(run(2, config={"first": False})),  # earlier in this batch
        ],
    )
    store.append_many(Table.ARTIFACTS, [encode(artifact(n, sha256=_T)) for n in (1, 2)])
    store.append_many(Table.RUNS, [])
    assert _ids(store.select(Table.RUNS)) == [1, 2, 3]
    assert _ids(store.select(Table.RUNS, order=Order.OLDEST)) == [1, 3, 2]
    assert store.get(Table.RUNS, fixed_id(1))["config"] == {"first": True}
    assert store.get(Table.RUNS, fixed_id(2))["config"] == _uses(("c", _S))
    assert store.count(Table.RUNS) == 3
    # the lineage and query tables are filled as by append
    assert _ids(store.runs_with_artifact(artifact(1).id)) == [2]
    assert _ids(store.runs_using(_S, role="c")) == [2]
    assert _ids(store.runs_producing(_T)) == [2]
    assert _where(store, Table.RUNS, "metrics.score >= 0.2") == [fixed_id(2), fixed_id(3)]
    assert _where(store, Table.RUNS, "config.first = true") == [fixed_id(1)]
    assert _where(store, Table.ARTIFACTS, "metadata.n = 2") == [artifact(2).id]


def test_annotate_many_folds_in_order_and_never_twice(store):
    _fill(store)
    store.annotate(_annotation(1, 1, "note", text="first"))
    store.annotate_many(
        [
            _annotation(2, 1, "tag", tags={"x": "1"}),
            _annotation(1, 1, "note", text="first"),  # sent again: held already
            _annotation(3, 1, "note", text="second"),
            _annotation(4, 3, "delete"),
            _annotation(3, 1, "note", text="second"),  # twice in one batch
        ]
    )
    store.annotate_many([])
    folded = store.annotations([fixed_id(1), fixed_id(3)])
    assert [note["text"] for note in folded[fixed_id(1)].notes] == ["first", "second"]
    assert folded[fixed_id(1)].tags == {"x": "1"}
    assert store.hidden() == {fixed_id(3): "deleted"}
    assert [i for i, _ in store.lines("annotations")] == [
        fixed_id(0x20000 + n) for n in (1, 2, 3, 4)
    ]
    assert _where(store, Table.RUNS, "tags.x = '1'") == [fixed_id(1)]


def test_identity_tells_one_store_from_another(store, tmp_path):
    # sync refuses to copy a registry into itself by comparing identities
    assert store.identity() == store.identity()
    assert store.identity() != MemoryStore().identity()
    assert store.identity() != JsonlStore(tmp_path / "elsewhere").identity()


def test_a_line_holding_nan_or_infinity_is_stored_and_read_back_exactly(store):
    """Other tools write NaN and infinities into JSONL registries; such a line must
    survive every backend (PostgreSQL's jsonb refuses them) and a push to one."""
    import math

    line = encode(run(1, metrics={"rmse": 0.5, "r2": 0.25})).replace(b"0.5", b"NaN")
    line = line.replace(b"0.25", b"-Infinity")
    store.append(Table.RUNS, line)
    store.append_many(Table.RUNS, [line.replace(fixed_id(1).encode(), fixed_id(2).encode())])
    for n in (1, 2):
        stored = store.get(Table.RUNS, fixed_id(n))
        assert math.isnan(stored["metrics"]["rmse"]) and stored["metrics"]["r2"] == -math.inf
    assert [found for _, found in store.lines(Table.RUNS)][0] == line  # the exact bytes
    assert store.count(Table.RUNS) == 2
