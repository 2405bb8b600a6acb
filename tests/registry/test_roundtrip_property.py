"""Any JSON config and metrics come back exactly as logged (property-based), secrets
aside: keys and strings the registry redacts are left out of the generated data."""

from __future__ import annotations

import itertools
import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medlang.registry import Registry
from medlang.registry.redact import is_secret_key, redact_text
from tests.registry.factories import fixed_id, run

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20).filter(lambda text: redact_text(text) == text)
)
_keys = st.text(max_size=8).filter(lambda key: not is_secret_key(key))
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)
_objects = st.dictionaries(_keys, _json, max_size=5)
_counter = itertools.count()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(metrics=_objects, extra=_objects)
def test_metrics_and_config_round_trip_exactly(tmp_path, metrics, extra):
    registry = Registry(tmp_path / f"reg{next(_counter)}")
    config = {"seed": 1, "extra": extra} if extra else {"seed": 1}
    registry.log_run(run(1, metrics=metrics, config=config))
    loaded = Registry(registry.root).find_run(fixed_id(1))
    assert loaded.metrics == metrics
    # same values *and* same types (1 must not come back as 1.0, nor -0.0 as 0)
    assert json.dumps(loaded.metrics, sort_keys=True) == json.dumps(metrics, sort_keys=True)
    assert registry.runs_json()[0]["config"] == config


def test_non_finite_floats_are_stored_as_null_like_serde_json(tmp_path):
    registry = Registry(tmp_path / "reg")
    registry.log_run(run(1, metrics={"loss": math.nan, "best": math.inf, "ok": 1.5}))
    assert registry.find_run(fixed_id(1)).metrics == {"loss": None, "best": None, "ok": 1.5}
    line = (registry.root / "runs.jsonl").read_text()
    json.loads(line, parse_constant=lambda name: 1 / 0)  # strict JSON: no NaN/Infinity
