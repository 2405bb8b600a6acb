"""Json in med.registry: metrics keep their JSON type, configs are walkable Json."""

from __future__ import annotations

from pathlib import Path

import pytest

from medlang.lang.bridge import registry as bridge
from medlang.lang.externs import ExternContext
from medlang.lang.values import NONE, JsonValue, Some

MECHANISTIC = "781f9c58-d664-4fa9-a8a8-529f035efa25"


@pytest.fixture
def ctx(fixture_registry: Path) -> ExternContext:
    return ExternContext(fixture_registry)


def test_integer_metrics_stay_ints_and_get_metric_still_gives_floats(ctx) -> None:
    assert bridge.get_metric_int(ctx, MECHANISTIC, "execution_time_ms") == Some(4210)
    assert bridge.get_metric(ctx, MECHANISTIC, "execution_time_ms") == Some(4210.0)
    assert bridge.get_metric_int(ctx, MECHANISTIC, "ORR") is NONE  # a Float metric
    assert bridge.get_metric_int(ctx, MECHANISTIC, "absent") is NONE


def test_metric_json_keeps_types_and_reaches_nested_metrics(ctx) -> None:
    assert bridge.get_metric_json(ctx, MECHANISTIC, "mech_violations") == Some(JsonValue("Int", 0))
    assert bridge.get_metric_json(ctx, MECHANISTIC, "per_arm.50mg.ORR") == Some(
        JsonValue("Float", 0.21)
    )
    per_arm = bridge.get_metric_json(ctx, MECHANISTIC, "per_arm").value
    assert per_arm.variant == "Object" and sorted(per_arm.value) == ["100mg", "150mg", "50mg"]


def test_boolean_metrics(ctx, fixture_registry: Path) -> None:
    flags = [
        bridge.get_metric_bool(ctx, run["id"], "qualification_passed")
        for run in ctx.registry().runs_json()
    ]
    assert Some(True) in flags and Some(False) in flags


def test_config_json_is_the_whole_config(ctx) -> None:
    config = bridge.get_config_json(ctx, MECHANISTIC)
    assert config.variant == "Object"
    assert config.value["backend"] == JsonValue("Str", "mechanistic")
