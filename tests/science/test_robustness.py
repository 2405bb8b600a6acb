"""Any JSON a user can hand us gives a model or a one-line EvidenceError, never a traceback."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medlang.evidence.configs import (
    EnvConfig,
    EvalSurrogateConfig,
    EvidenceRunConfig,
    RLTrainConfig,
    TrainSurrogateConfig,
    load_config,
)
from medlang.evidence.errors import EvidenceError
from medlang.sim.surrogate import Surrogate, SurrogateFormatError

MODELS = [TrainSurrogateConfig, EvalSurrogateConfig, EvidenceRunConfig, EnvConfig, RLTrainConfig]
KEYS = ["seed", "epochs", "surrogate", "dose_levels_mg", "command", "inputs", "env", "x"]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10**6)
    | st.floats(allow_nan=False)
    | st.text()
    | st.just("train-policy-rl"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=8,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.dictionaries(st.sampled_from(KEYS), json_values) | json_values)
def test_config_loader_never_raises_anything_else(tmp_path, data):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    for model in MODELS:
        try:
            load_config(path, model, "train-policy-rl", section="env")
        except EvidenceError as error:
            assert "\n" not in str(error) and str(path) in str(error)


def tiny_model() -> dict:
    from medlang.sim.population import PATIENT_FIELDS

    n = len(PATIENT_FIELDS) + 1
    return {
        "format": "medlang-surrogate/1",
        "evidence_program": "P",
        "program_fingerprint": "f",
        "seed": 0,
        "features": [*PATIENT_FIELDS, "dose_mg"],
        "scalers": {"x_mean": [0.0] * n, "x_std": [1.0] * n, "y_mean": [0, 0], "y_std": [1, 1]},
        "domain": {name: [0.0, 1.0] for name in [*PATIENT_FIELDS, "dose_mg"]},
        "weights": [{"W": [[0.1, 0.2]] * n, "b": [0.0, 0.0]}],
    }


def test_a_valid_tiny_model_loads():
    assert Surrogate.from_json(tiny_model()).program_fingerprint == "f"


@settings(max_examples=150, deadline=None)
@given(
    path=st.lists(
        st.sampled_from(["weights", 0, "W", "b", "scalers", "x_std", "domain"]),
        min_size=1,
        max_size=3,
    ),
    value=json_values,
)
def test_damaged_surrogate_files_are_format_errors(path, value):
    data = tiny_model()
    target = data
    for key in path[:-1]:
        try:
            target = target[key]
        except (KeyError, IndexError, TypeError):
            return
    try:
        target[path[-1]] = value
    except (IndexError, TypeError):
        return
    with contextlib.suppress(SurrogateFormatError):  # any other exception fails the test
        Surrogate.from_json(data)


@pytest.mark.parametrize("field", ["x_std", "y_mean"])
def test_wrong_scaler_length_is_named(field):
    data = tiny_model()
    data["scalers"][field] = [1.0]
    with pytest.raises(SurrogateFormatError, match=f"scalers.{field}"):
        Surrogate.from_json(data)
