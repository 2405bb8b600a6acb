"""``Registry.iter_runs`` / ``iter_artifacts``: the query language end to end, on every
storage backend (the in-memory one evaluates in Python, the JSONL one in SQL)."""

from __future__ import annotations

import math

import pytest

from medlang.query.errors import QueryError
from medlang.registry import Registry
from medlang.registry.memory_store import MemoryStore
from tests.registry.factories import artifact, fixed_id, run

BACKENDS = {
    "jsonl": lambda request, tmp_path: Registry(tmp_path / "reg"),
    "memory": lambda request, tmp_path: Registry(tmp_path / "mem", store=MemoryStore()),
    # a real server (tests/conftest.py): --where translated to PostgreSQL's SQL
    "postgresql": lambda request, tmp_path: Registry.open(request.getfixturevalue("pg_registry")),
}


@pytest.fixture(params=sorted(BACKENDS))
def registry(request, tmp_path) -> Registry:
    registry = BACKENDS[request.param](request, tmp_path)
    for n in range(1, 9):
        registry.log_artifact(artifact(n, sha256=f"{n % 3:064x}"))
        registry.log_run(
            run(
                n,
                kind="SurrogateEval" if n % 2 else "RLTrain",
                minute=n // 2,  # ties in time
                metrics={
                    "rmse": [0.03, 0.2, 0.04, math.nan, 0.5, 0.04, 0.01, 0.9][n - 1],
                    "r_squared": 1 - n / 100,
                }
                if n != 5
                else {"r_squared": 0.999},
                config={"seed": n, "model": {"name": "mlp" if n < 5 else "gp"}},
                evidence_program="OncologyTrial" if n < 6 else "Other",
                artifacts=[fixed_id(0x10000 + n)],
            )
        )
    registry.tag_run(fixed_id(3), {"paper": "fig3"})
    registry.delete_run(fixed_id(8))
    return registry


def _ns(records) -> list[int]:
    return [int(record["id"][-12:], 16) for record in records]


def test_filter_order_and_limit(registry):
    where = "kind = SurrogateEval and (metrics.rmse < 0.05 or metrics.r_squared > 0.99)"
    assert _ns(registry.iter_runs(where, order_by="metrics.rmse")) == [7, 1, 3, 5]
    assert _ns(registry.iter_runs(where, order_by="metrics.rmse", limit=2)) == [7, 1]
    # a run without the metric, or with NaN (stored as null) there, comes last either way
    assert _ns(registry.iter_runs(where, order_by="metrics.rmse desc")) == [3, 1, 7, 5]


def test_ties_follow_the_default_order_newest_first_then_log_order(registry):
    # rmse 0.04 twice (runs 3 and 6): 6 started later
    assert _ns(registry.iter_runs("metrics.rmse = 0.04", order_by="metrics.rmse")) == [6, 3]
    # minute = n // 2: runs 2 and 3 tie on started_at, log order breaks the tie
    assert _ns(registry.iter_runs("config.seed in (2, 3)")) == [2, 3]


def test_missing_and_nan_never_match_but_not_negates(registry):
    assert _ns(registry.iter_runs("metrics.rmse >= 0", order_by="config.seed")) == [
        1,
        2,
        3,
        6,
        7,
    ]
    assert _ns(registry.iter_runs("not metrics.rmse >= 0", order_by="config.seed")) == [4, 5]
    assert _ns(registry.iter_runs("metrics.rmse exists", order_by="config.seed")) == [
        1,
        2,
        3,
        4,
        6,
        7,
    ]


def test_strings_globs_tags_and_hidden_runs(registry):
    assert _ns(registry.iter_runs("config.model.name = 'gp'", order_by="config.seed")) == [5, 6, 7]
    assert _ns(registry.iter_runs("evidence_program ~ 'Onco*'", order_by="config.seed")) == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert _ns(registry.iter_runs("tags.paper = fig3")) == [3]
    assert 8 not in _ns(registry.iter_runs())
    assert _ns(registry.iter_runs("config.seed = 8", include_hidden=True)) == [8]


def test_times_and_streaming(registry):
    assert _ns(registry.iter_runs(since="2025-01-23T14:35:00Z", order_by="started_at")) == [6, 7]
    assert _ns(
        registry.iter_runs("started_at < '2025-01-23T14:33:00Z'", order_by="config.seed")
    ) == [1]
    assert _ns(registry.iter_artifacts("sha256 ~ '*1'", order_by="size_bytes desc")) == [
        0x10007,
        0x10004,
        0x10001,
    ]


def test_bad_queries_are_errors_before_anything_is_read(registry):
    with pytest.raises(QueryError, match="did you mean 'metrics.rmse'"):
        registry.iter_runs("metrics.rsme < 0.05")
    with pytest.raises(QueryError, match="type mismatch"):
        registry.iter_runs("metrics.rmse < 'a'")
    with pytest.raises(QueryError, match="unknown field 'nope'"):
        registry.iter_runs(order_by="nope")
