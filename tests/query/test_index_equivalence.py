"""The index answers every query exactly as the in-memory semantics do.

Random registries (missing metrics, nulls, NaN written by a foreign tool, mixed
types under one config key, ties in time and in value) and random queries (and,
or, not, in, exists, globs, comparisons of every type, several order keys, limits):
the SQL over the index must return the same runs in the same order as
``medlang.query.evaluate`` over the JSONL read with a plain ``json.loads``.
50 registries x 20 queries = 1,000 queries on SQLite, and 100 more on a real
PostgreSQL server (the same translator, its other dialect). A top-N ordered by a
metric first tries windows of that metric's index (``medlang.query.sql.walk``):
the tests draw windows small enough to fall short, to end inside a run of equal
values, or to hold everything, so each way a window can decide is exercised.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medlang.query import evaluate, sql
from medlang.query.engine import build
from medlang.query.fields import Catalog
from medlang.registry.jsonl_store import JsonlStore
from medlang.registry.storage import RecordStore, Table

BASE = datetime(2026, 1, 1, tzinfo=UTC)
NOW = BASE + timedelta(days=2)
NUMBERS = [-1, 0, 0.5, 1, 2, 2.5, 10, 1e300]
TEXTS = ["", "a", "ab", "b", "mlp", "x[1]", "Onco", "onco"]
SCALARS = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from(TEXTS),
    st.booleans(),
    st.none(),
    st.just(float("nan")),  # written as the bare NaN token, as Python's json does
)
# what log_run writes (a NaN is written as null): jsonb cannot hold the NaN token
FINITE_SCALARS = st.one_of(
    st.sampled_from(NUMBERS), st.sampled_from(TEXTS), st.booleans(), st.none()
)
KINDS = ["SurrogateEval", "RLTrain", "EvidenceHybrid"]


@st.composite
def run_lines(draw, n: int, scalars=SCALARS) -> str:
    started = BASE + timedelta(minutes=draw(st.integers(0, 4)))
    record: dict = {
        "id": str(uuid.UUID(int=draw(st.integers(0, 2**64)), version=4)),
        "kind": draw(st.sampled_from(KINDS)),
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "finished_at": (started + timedelta(seconds=draw(st.sampled_from([0, 30, 90]))))
        .isoformat()
        .replace("+00:00", "Z"),
        "project_root": "/p",
        "module_path": draw(st.sampled_from([None, "/p/a.medlang", "/p/b.medlang"])),
        "evidence_program": draw(st.sampled_from([None, "OncologyTrial", "Onco2", "other"])),
        "git_dirty": draw(st.booleans()),
        "metrics": draw(st.dictionaries(st.sampled_from(["a", "b", "c"]), scalars, max_size=3)),
        "config": draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "x": scalars,
                    "nested": st.one_of(
                        st.dictionaries(st.sampled_from(["y", "z"]), scalars, max_size=2),
                        st.lists(st.integers(0, 3), max_size=2),
                    ),
                },
            )
        ),
    }
    status = draw(st.sampled_from([None, "finished", "failed"]))
    if status is not None:
        record["status"] = status
    if draw(st.booleans()):
        record["env"] = {"python": draw(st.sampled_from(["3.11", "3.12"]))}
    return json.dumps(record)


FIELDS = {
    # field -> literals that make sense (and some that only type-check as "any")
    "kind": st.sampled_from(KINDS),
    "status": st.sampled_from(["finished", "failed"]).map(repr),
    "started_at": st.sampled_from(
        ["'2026-01-01T00:02:00Z'", "'2026-01-01'", "'2d'", "'2026-01-01 00:03'"]
    ),
    "duration_s": st.sampled_from(["0", "30", "90", "45.5"]),
    "evidence_program": st.sampled_from(["'OncologyTrial'", "'Onco2'", "'x'"]),
    "module_path": st.sampled_from(["'/p/a.medlang'", "'/p/b.medlang'"]),
    "git_dirty": st.sampled_from(["true", "false", "1", "0"]),
    "metrics.a": None,
    "metrics.b": None,
    "metrics.c": None,
    "metrics.none": None,
    "config.x": None,
    "config.nested": None,
    "config.nested.y": None,
    "config.nested.z": None,
    "env.python": None,
}
ANY_LITERAL = st.one_of(
    st.sampled_from(NUMBERS).map(repr),
    st.sampled_from(TEXTS).map(lambda t: "'" + t + "'"),
    st.sampled_from(["true", "false"]),
)
GLOBS = st.sampled_from(["'*'", "'a*'", "'?b'", "'Onco*'", "'x[1]'", "'*1]'", "''", "'3.1?'"])
TEXT_FIELDS = {"status", "evidence_program", "module_path", "kind"}


@st.composite
def predicates(draw) -> str:
    field = draw(st.sampled_from(sorted(FIELDS)))
    literal = ANY_LITERAL if FIELDS[field] is None else FIELDS[field]
    shape = draw(st.sampled_from(["cmp", "cmp", "cmp", "in", "exists", "glob"]))
    if shape == "exists":
        return f"{field} exists"
    if shape == "glob" and (field in TEXT_FIELDS or FIELDS[field] is None):
        if field == "kind":
            return f"kind ~ {draw(st.sampled_from(['Surr*', 'RL?rain']))!r}"
        return f"{field} ~ {draw(GLOBS)}"
    if shape == "in":
        values = draw(st.lists(literal, min_size=1, max_size=3))
        return f"{field} {draw(st.sampled_from(['in', 'not in']))} ({', '.join(values)})"
    op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
    return f"{field} {op} {draw(literal)}"


def queries():
    return st.recursive(
        predicates(),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["and", "or", "AND", "Or"]), inner).map(
                lambda t: f"({t[0]}) {t[1]} ({t[2]})"
            ),
            inner.map(lambda q: f"not ({q})"),
        ),
        max_leaves=5,
    )


ORDER_FIELDS = [
    "metrics.a",
    "metrics.b",
    "config.x",
    "config.nested.y",
    "started_at",
    "duration_s",
    "kind",
    "status",
    "module_path",
    "git_dirty",
    "id",
    "env.python",
]


# (at least, per row asked for) windows of a walk: the real ones and tiny ones
WINDOWS = st.sampled_from([sql.WALK_WINDOWS, ((1, 2), (1, 4)), ((3, 0), (6, 0)), ((1, 1), (1, 3))])


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_index_and_memory_agree(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("reg")
    lines = draw_lines(data)
    (root / "runs.jsonl").write_text("".join(line + "\n" for line in lines))
    agree(JsonlStore(root), lines, data)


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_postgresql_index_and_memory_agree(pg_registry, data):
    import psycopg

    from medlang.registry.postgres_store import PostgresStore

    with psycopg.connect(pg_registry, autocommit=True) as conn:  # one database, emptied
        conn.execute("TRUNCATE runs, runs_cols, runs_values, runs_keys RESTART IDENTITY CASCADE")
    lines = draw_lines(data, FINITE_SCALARS)
    store = PostgresStore(pg_registry)
    try:
        for line in lines:
            store.append(Table.RUNS, line.encode())
        agree(store, lines, data)
    finally:
        store.close()


def draw_lines(data, scalars=SCALARS) -> list[str]:
    count = data.draw(st.integers(0, 25), label="runs")
    return [data.draw(run_lines(i, scalars)) for i in range(count)]


def agree(store: RecordStore, lines: list[str], data) -> None:
    """20 random queries: ``store`` answers each as the in-memory evaluation does."""
    records = [json.loads(line) for line in lines]
    seen, unique = set(), []
    for record in records:  # the first record with an id wins, as in the index
        if record["id"] not in seen:
            seen.add(record["id"])
            unique.append(record)
    everything = [evaluate.facts_of(Table.RUNS, r, seq) for seq, r in enumerate(unique)]
    for _ in range(20):
        where = data.draw(st.one_of(st.none(), queries()), label="where")
        order = data.draw(
            st.lists(
                st.tuples(st.sampled_from(ORDER_FIELDS), st.sampled_from(["", " desc", " asc"])),
                max_size=2,
            ).map(lambda keys: [f + d for f, d in keys]),
            label="order",
        )
        limit = data.draw(st.one_of(st.none(), st.integers(1, 10)), label="limit")
        if data.draw(st.booleans(), label="top-N by a metric"):
            # the walk's case: a few runs ordered by a metric, often one the query bounds
            key = data.draw(st.sampled_from(["metrics.a", "metrics.b", "config.x"]))
            if data.draw(st.booleans(), label="bounded"):
                bound = f"{key} {data.draw(st.sampled_from(['<', '<=', '>', '>=', '=']))} "
                bound += repr(data.draw(st.sampled_from(NUMBERS)))
                where = bound if where is None else f"{bound} and ({where})"
            order = [key + data.draw(st.sampled_from(["", " desc"])), *order]
            limit = data.draw(st.integers(1, 4))
        windows = data.draw(WINDOWS, label="windows")
        request = build(
            store,
            Table.RUNS,
            where=where,
            order_by=order,
            limit=limit,
            now=NOW,
            catalog=Catalog(Table.RUNS),
        )
        with mock.patch.object(sql, "WALK_WINDOWS", windows):
            indexed = [record["id"] for record in store.iter_select(request)]
        expected = [f.id for f in evaluate.select(everything, request.where, request.order, limit)]
        assert indexed == expected, (where, order, limit, windows)
