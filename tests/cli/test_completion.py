"""Shell completion, as bash asks for it: kinds, query fields, run-id prefixes and
--set keys come from the registry and the config models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from medlang.registry import Registry, RunKind
from tests.registry.factories import fixed_id, run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    registry = Registry(tmp_path_factory.mktemp("completion") / "reg")
    registry.log_run(run(1, metrics={"rmse": 0.1}))
    registry.log_run(run(2, RunKind.SurrogateEval, id="abcdef12-0000-4000-8000-000000000002"))
    registry.tag_run(fixed_id(1), {"paper": "fig3"})
    return registry.root


def complete(*words: str) -> list[str]:
    env = {
        **os.environ,
        "COMP_WORDS": " ".join(["mlc", *words]),
        "COMP_CWORD": str(len(words)),
        "_MLC_COMPLETE": "bash_complete",
    }
    done = subprocess.run(
        [sys.executable, "-m", "medlang"], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert done.stderr == ""
    return [line.split(",", 1)[1] for line in done.stdout.splitlines()]


def test_completion(root):
    reg = ["--registry", str(root)]
    assert complete(*reg, "runs", "list", "--kind", "Ev") == [
        "EvidenceMechanistic",
        "EvidenceSurrogate",
        "EvidenceHybrid",
    ]
    assert complete(*reg, "runs", "show", "abc") == ["abcdef12-0000-4000-8000-000000000002"]
    assert complete(*reg, "runs", "tag", "0000") == [fixed_id(1)]
    assert complete(*reg, "runs", "list", "--order-by", "metrics.") == [
        "metrics.rmse",
        "metrics.score",
    ]
    assert complete(*reg, "runs", "list", "--columns", "id,tags.") == ["id,tags.paper"]
    assert complete("train-policy-rl", "--set", "train.ep") == [
        "train.episodes=",
        "train.epsilon_start=",
        "train.epsilon_min=",
        "train.epsilon_decay=",
    ]
    assert complete("config-schema", "eval") == ["eval-policy-rl"]
    assert "runs" in complete("ru")
