"""Review: an exported eval-policy-rl config edited by hand into nonsense is bad
input like any other: one line naming file and field, nothing written or logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import logged_id


@pytest.mark.parametrize(
    ("key", "value"),
    [("seed", "abc"), ("seed", -1), ("seed", 1.5), ("n_episodes", 0), ("n_episodes", [3])],
)
def test_a_bad_recorded_seed_or_episode_count_is_refused(project, tmp_path, key, value):
    policy = project.path("policy.json")
    env = project.path("env.json")
    project.produce(
        "train-policy-rl", "--env-config", env, "--train-config", project.path("rltrain.json"),
        "--out-policy", policy,
    )  # fmt: skip
    args = ["--policy", policy, "--n-episodes", "3", "--out-report"]
    run_id = logged_id(
        project.produce(
            "eval-policy-rl", "--env-config", env, *args, project.path("a.json"), "--log"
        )
    )
    exported = tmp_path / "exported.json"
    project.mlc("runs", "export-config", "--id", run_id, "--out", str(exported))
    config = json.loads(exported.read_text())
    config[key] = value
    exported.write_text(json.dumps(config))

    out = Path(project.path("b.json"))
    result = project.produce(
        "eval-policy-rl", "--env-config", str(exported), "--policy", policy,
        "--out-report", str(out), "--log", expect=1,
    )  # fmt: skip
    message = result.stderr.strip()
    assert message.startswith(f"Error: {exported}: field '{key}':"), message
    assert "\n" not in message and "internal error" not in message
    assert not out.exists()
    assert [run.id for run in project.runs()] == [run_id]


@pytest.mark.parametrize("value", [5, ["x"], {"a": 1}])
def test_a_recorded_checksum_that_is_not_text_is_refused_cleanly(project, tmp_path, value):
    out = project.path("a.json")
    run_id = logged_id(project.produce("run-evidence", "--out", out, "--log"))
    exported = tmp_path / "exported.json"
    project.mlc("runs", "export-config", "--id", run_id, "--out", str(exported))
    config = json.loads(exported.read_text())
    config["inputs"]["evidence_program"]["sha256"] = value
    exported.write_text(json.dumps(config))
    result = project.produce(
        "run-evidence", "--config", str(exported), "--out", project.path("b.json"), expect=1
    )
    message = result.stderr.strip()
    assert message.startswith(f"Error: {exported}: field 'inputs.evidence_program.sha256':")
    assert "\n" not in message
    assert not Path(project.path("b.json")).exists()
