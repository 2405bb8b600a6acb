"""``mlc runs compare`` and its data layer ``medlang.query.compare``: human output
(snapshot), JSON (schema), and the edge cases (2..20 runs, prefixes, missing values)."""

from __future__ import annotations

import json
import math

import jsonschema
import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.query.columns import MISSING
from medlang.query.compare import compare_runs, comparison_schema
from medlang.registry import Registry
from medlang.registry.errors import RegistryError
from tests.registry.factories import artifact, run

IDS = [f"{n:02x}{n:02x}c0ff-0000-4000-8000-{n:012x}" for n in range(1, 30)]


@pytest.fixture
def registry(tmp_path) -> Registry:
    registry = Registry(tmp_path / "reg")
    for n in range(1, 4):
        registry.log_artifact(artifact(n, sha256=("ab" if n < 3 else "cd") * 32))
        registry.log_artifact(artifact(10 + n, kind="SurrogateModel", sha256="ef" * 32))
        registry.log_run(
            run(
                n,
                id=IDS[n - 1],
                kind="SurrogateEval",
                config={"seed": 7, "model": {"layers": 2 + n // 3, "act": "tanh"}},
                metrics={"rmse": [0.05, 0.04, 0.0][n - 1], "r_squared": 0.99, "ok": n < 3}
                | ({"extra": 1.5} if n == 2 else {}),
                env={"python": "3.11" if n < 3 else "3.12", "platform": "Linux"},
                git_commit="3f2a9c1e" * 5,
                git_dirty=n == 2,
                evidence_program="OncologyTrial",
                artifacts=[artifact(n).id, artifact(10 + n).id],
            )
        )
    return registry


def test_what_differs(registry):
    found = compare_runs(registry, [IDS[0][:8], IDS[1][:8], IDS[2][:8]])
    assert [row.key for row in found.config] == ["config.model.layers"]
    assert [row.key for row in found.env] == ["env.python"]
    rmse = next(row for row in found.metrics if row.key == "metrics.rmse")
    assert rmse.values == [0.05, 0.04, 0.0]
    assert rmse.delta_abs[0] == 0 and math.isclose(rmse.delta_abs[1], -0.01)
    assert math.isclose(rmse.delta_rel[1], -0.2) and math.isclose(rmse.delta_rel[2], -1.0)
    extra = next(row for row in found.metrics if row.key == "metrics.extra")
    assert extra.values == [MISSING, 1.5, MISSING] and extra.delta_abs == [None] * 3
    ok = next(row for row in found.metrics if row.key == "metrics.ok")
    assert ok.delta_abs == [None] * 3  # booleans have no delta
    assert [row.key for row in found.artifacts] == ["EvidenceResult"]  # the model is the same
    every = compare_runs(registry, IDS[:3], all_keys=True)
    assert {row.key for row in every.config} == {
        "config.seed",
        "config.model.layers",
        "config.model.act",
    }
    assert [row.key for row in every.artifacts] == ["EvidenceResult", "SurrogateModel"]


def test_json_follows_its_schema(registry):
    for all_keys in (False, True):
        document = compare_runs(registry, IDS[:3], all_keys=all_keys).to_json()
        jsonschema.validate(document, comparison_schema())
        assert json.loads(json.dumps(document, allow_nan=False)) == document
    extra = next(m for m in document["metrics"] if m["key"] == "metrics.extra")
    assert extra["values"] == [None, 1.5, None] and extra["missing"] == [True, False, True]


def test_two_to_twenty_distinct_runs(registry):
    with pytest.raises(RegistryError, match="2 to 20 runs, got 1"):
        compare_runs(registry, IDS[:1])
    with pytest.raises(RegistryError, match="given twice"):
        compare_runs(registry, [IDS[0], IDS[0][:8]])
    with pytest.raises(RegistryError, match="no run with id"):
        compare_runs(registry, [IDS[0], "deadbeef"])
    for n in range(4, 22):
        registry.log_run(run(n, id=IDS[n - 1]))
    assert len(compare_runs(registry, IDS[:20]).runs) == 20
    with pytest.raises(RegistryError, match="got 21"):
        compare_runs(registry, IDS[:21])


def mlc(registry: Registry, *args: str, code: int = 0):
    result = CliRunner().invoke(cli, ["--registry", str(registry.root), *args])
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def test_cli_human_output(registry, snapshot_text):
    assert mlc(registry, "runs", "compare", *IDS[:3]).stdout == snapshot_text


def test_cli_json_and_errors(registry):
    document = json.loads(mlc(registry, "runs", "compare", IDS[0], IDS[2][:6], "--json").stdout)
    jsonschema.validate(document, comparison_schema())
    assert [run["id"] for run in document["runs"]] == [IDS[0], IDS[2]]
    one = mlc(registry, "runs", "compare", IDS[0], code=2)
    assert "give 2 to 20 run ids, not 1" in one.stderr
    unknown = mlc(registry, "runs", "compare", IDS[0], "ffffffff", code=1)
    assert unknown.stderr.startswith("Error: no run with id 'ffffffff'")
