"""Training configs found in review to crash or hang: each is one readable error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .test_bad_input import assert_failed_run, assert_refused


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


# Found only once the training set is simulated: the run is logged as failed.
def test_a_validation_split_leaving_nothing_to_fit_fails_the_run(project):
    result, out = _train(project, {"n_patients": 20, "epochs": 1, "val_fraction": 0.99})
    assert_failed_run(project, result, "bad.json", "val_fraction", "to fit", out=out)


def test_doses_whose_simulations_are_all_non_finite_fail_the_run(project):
    config = {"n_patients": 20, "epochs": 1, "dose_range_mg": [0.0, 1e300]}
    result, out = _train(project, config)
    assert_failed_run(project, result, "bad.json", "non-finite", "dose_range_mg", out=out)


@pytest.fixture
def policy(project) -> str:
    out = project.path("policy.json")
    args = (
        "--env-config",
        project.path("env.json"),
        "--train-config",
        project.path("rltrain.json"),
    )
    project.produce("train-policy-rl", *args, "--out-policy", out, "--quiet")
    return out


@pytest.mark.parametrize(
    ("field", "value"),
    [("n_episodes", "abc"), ("n_episodes", None), ("n_episodes", [1]), ("seed", -5)],
)
def test_an_edited_exported_eval_config_names_the_bad_field(project, policy, field, value):
    env = json.loads(Path(project.path("env.json")).read_text())
    recorded = {"command": "eval-policy-rl", "env": env, "n_episodes": 3, "seed": 1}
    Path(project.path("bad.json")).write_text(json.dumps({**recorded, field: value}))
    out = project.path("report.json")
    args = ("--policy", policy, "--env-config", project.path("bad.json"), "--out-report", out)
    result = project.produce("eval-policy-rl", *args, "--log", expect=1)
    assert_refused(project, result, "bad.json", f"field '{field}'", out=out)


def test_n_episodes_is_bounded_like_the_training_episodes(project, policy):
    out = project.path("report.json")
    env = ("--env-config", project.path("env.json"))
    args = ("--policy", policy, *env, "--n-episodes", "100000000000", "--out-report", out)
    result = project.produce("eval-policy-rl", *args, expect=2)
    assert "--n-episodes" in result.stderr and "1000000" in result.stderr
    assert not Path(out).exists()


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_number_in_a_config_is_refused(project, value):
    Path(project.path("bad.json")).write_text(f'{{"tumour_weight": {value}}}')
    out = project.path("policy.json")
    args = ("--env-config", project.path("bad.json"), "--out-policy", out, "--log")
    result = project.produce("train-policy-rl", *args, expect=1)
    assert_refused(project, result, "bad.json", "field 'tumour_weight'", "finite", out=out)


def test_a_solver_step_that_would_never_finish_is_refused(project):
    program = Path(project.path("small_evidence.medlang"))
    program.write_text(program.read_text().replace("step_hours = 1.0", "step_hours = 1e-300"))
    out = project.path("out/result.json")
    result = project.produce("run-evidence", "--out", out, "--log", expect=1)
    assert_refused(project, result, "small_evidence.medlang", "field 'solver'", "steps", out=out)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"seed": "1"}, "seed"),
        ({"seed": True}, "seed"),
        ({"mech_threshold": "0.1"}, "mech_threshold"),
        ({"audit_fraction": False}, "audit_fraction"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_refused_not_converted(project, config, field):
    # converting would record a config the user never wrote ("1" -> 1, true -> 1)
    Path(project.path("bad.json")).write_text(json.dumps(config))
    out = project.path("out/result.json")
    args = ("--config", project.path("bad.json"), "--out", out, "--log")
    result = project.produce("run-evidence", *args, expect=1)
    assert_refused(project, result, "bad.json", f"field '{field}'", out=out)


def test_a_config_from_a_pipe_is_refused_with_a_reason(project, tmp_path):
    # its sha256 cannot be recorded: the run could not be reproduced from the record
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    out = project.path("out/result.json")
    result = project.produce("run-evidence", "--config", str(fifo), "--out", out, expect=1)
    assert_refused(project, result, "config.fifo", "not a regular file", out=out)
