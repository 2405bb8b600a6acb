"""Training configs found in review to crash or hang: each is one readable error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_bad_input import assert_refused


def _train(project, config: dict, expect: int = 1):
    Path(project.path("bad.json")).write_text(json.dumps(config))
    out = project.path("model/surrogate.json")
    args = ("--train-config", project.path("bad.json"), "--out-model", out, "--log")
    return project.produce("train-surrogate", *args, expect=expect), out


@pytest.mark.parametrize(
    ("hidden_layers", "fragment"),
    [([100_000_000], "hidden_layers[0]"), ([8] * 100, "hidden_layers")],
    ids=["a-layer-of-100-million-units", "a-hundred-layers"],
)
def test_a_network_too_large_to_train_is_refused_before_any_work(project, hidden_layers, fragment):
    config = {"n_patients": 20, "epochs": 1, "hidden_layers": hidden_layers}
    result, out = _train(project, config)
    assert_refused(project, result, "bad.json", f"field '{fragment}'", out=out)


def test_a_validation_split_leaving_nothing_to_fit_is_refused(project):
    result, out = _train(project, {"n_patients": 20, "epochs": 1, "val_fraction": 0.99})
    assert_refused(project, result, "bad.json", "val_fraction", "to fit", out=out)


def test_doses_whose_simulations_are_all_non_finite_are_refused(project):
    config = {"n_patients": 20, "epochs": 1, "dose_range_mg": [0.0, 1e300]}
    result, out = _train(project, config)
    assert_refused(project, result, "bad.json", "non-finite", "dose_range_mg", out=out)
