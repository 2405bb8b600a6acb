"""A small project (3 arms x 8 patients x 2 cycles) and a helper running the real CLI."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry

PROGRAMS = Path(__file__).parent / "programs"

# The configs pin model version 1: these tests and their snapshots are the numbers
# of runs logged before model versions existed (test_model_v2.py covers version 2).
CONFIGS = {
    "train.json": {
        "model_version": 1,
        "seed": 5,
        "n_patients": 60,
        "dose_range_mg": [40.0, 260.0],
        "hidden_layers": [16],
        "epochs": 40,
    },
    "eval.json": {
        "model_version": 1,
        "seed": 6,
        "n_patients": 24,
        "max_rmse": 0.5,
        "min_r_squared": 0.5,
    },
    "hybrid.json": {
        "model_version": 1,
        "surrogate": "model/surrogate.json",
        "mech_threshold": 0.1,
    },
    "v1.json": {"model_version": 1},
    "env.json": {"model_version": 1, "dose_levels_mg": [60.0, 200.0], "anc_bin_edges": [0.5, 1.0]},
    "rltrain.json": {"episodes": 20, "batch_size": 10, "epsilon_decay": 0.9, "seed": 1},
}

TIMINGS = {"execution_time_ms", "training_time_s", "evaluation_time_s"}


@dataclass
class Project:
    root: Path
    registry: Path

    def mlc(self, *args: str, expect: int = 0):
        runner = CliRunner()
        result = runner.invoke(
            cli, ["--registry", str(self.registry), *args], catch_exceptions=False
        )
        assert result.exit_code == expect, result.output + result.stderr
        return result

    def produce(self, command: str, *args: str, expect: int = 0):
        return self.mlc(
            command,
            "--evidence-program",
            "SmallEvidence",
            "--project",
            str(self.root),
            *args,
            expect=expect,
        )

    def path(self, name: str) -> str:
        return str(self.root / name)

    def runs(self) -> list:
        return Registry(self.registry).load_runs()


def make_project(root: Path, registry: Path) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROGRAMS / "small_evidence.medlang", root / "small_evidence.medlang")
    for name, content in CONFIGS.items():
        (root / name).write_text(json.dumps(content))
    return Project(root, registry)


def logged_id(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("Logged run: ")]
    assert len(lines) == 1, result.output
    return lines[0].removeprefix("Logged run: ")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Project, str]:
    """A project whose surrogate has been trained (and logged) once for the module."""
    base = tmp_path_factory.mktemp("science")
    project = make_project(base / "project", base / "registry")
    result = project.produce(
        "train-surrogate",
        "--train-config",
        project.path("train.json"),
        "--out-model",
        project.path("model/surrogate.json"),
        "--log",
    )
    return project, logged_id(result)


@pytest.fixture
def project(tmp_path) -> Project:
    return make_project(tmp_path / "project", tmp_path / "registry")
