"""Review: every producing command, logged, exported to another directory and
re-run from its exported config in yet another working directory, reproduces its
outputs byte for byte and its metrics except timings; its recorded config names
every input file by absolute path with the file's sha256 and holds the seed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from .conftest import TIMINGS, logged_id

# command -> (options of the first run, config options given the exported file, outputs)
PRODUCERS = {
    "train-surrogate": (["--train-config", "train.json"], ["--train-config"], ["--out-model"]),
    "surrogate-eval": (
        ["--surrogate", "model/surrogate.json", "--eval-config", "eval.json"],
        ["--eval-config"],
        ["--out-report"],
    ),
    "run-evidence-mechanistic": (["--backend", "mechanistic"], ["--config"], ["--out"]),
    "run-evidence-surrogate": (
        ["--backend", "surrogate", "--config", "hybrid.json"],
        ["--config"],
        ["--out"],
    ),
    "run-evidence-hybrid": (["--hybrid-config", "hybrid.json"], ["--hybrid-config"], ["--out"]),
    "train-policy-rl": (
        ["--env-config", "env.json", "--train-config", "rltrain.json"],
        ["--env-config", "--train-config"],
        ["--out-policy", "--out-report"],
    ),
    "eval-policy-rl": (
        ["--env-config", "env.json", "--policy", "policy.json", "--n-episodes", "5"],
        ["--env-config"],
        ["--out-report"],
    ),
    "run-log": ([], ["--config"], ["--out"]),
}
KEEP_OPTIONS = {"--surrogate", "--policy"}  # inputs that are options, not config keys


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def absolute(project, options: list[str]) -> list[str]:
    """Options with file values made absolute (the test runs from other directories)."""
    out = []
    for option in options:
        candidate = project.root / option
        out.append(str(candidate) if option.endswith(".json") else option)
    return out


def invoke(project, command: str, options: list[str], outputs: dict[str, Path]):
    args = [*options]
    for option, path in outputs.items():
        args += [option, str(path)]
    if command == "run-log":
        program = project.path("small_evidence.medlang")
        return project.mlc("run", program, "--log", *args)
    name = {"run-evidence-mechanistic": "run-evidence", "run-evidence-surrogate": "run-evidence"}
    return project.produce(name.get(command, command), *args, "--log")


def recorded_files(config: dict) -> list[dict]:
    inputs = config["inputs"]
    return list(inputs.values())


@pytest.mark.parametrize("command", list(PRODUCERS))
def test_reproduced_from_its_exported_config(trained, tmp_path, monkeypatch, command):
    project, _ = trained
    if command == "eval-policy-rl" and not (project.root / "policy.json").exists():
        project.produce(
            "train-policy-rl",
            *absolute(project, ["--env-config", "env.json", "--train-config", "rltrain.json"]),
            "--out-policy",
            project.path("policy.json"),
        )
    first_options, config_options, output_options = PRODUCERS[command]
    monkeypatch.chdir(project.root)
    first_out = {option: tmp_path / "first" / f"{option[2:]}.json" for option in output_options}
    first_id = logged_id(invoke(project, command, absolute(project, first_options), first_out))

    exported = tmp_path / "exported" / "config.json"
    project.mlc("runs", "export-config", "--id", first_id, "--out", str(exported))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    kept = [
        value
        for i, value in enumerate(first_options)
        if value in KEEP_OPTIONS or (i and first_options[i - 1] in KEEP_OPTIONS)
    ]
    # n_episodes (eval-policy-rl) and the backend (run-evidence) come from the export
    options = absolute(project, kept)
    for option in config_options:
        options += [option, str(exported)]
    again_out = {option: tmp_path / "again" / f"{option[2:]}.json" for option in output_options}
    if command != "run-log":
        options += ["--file", project.path("small_evidence.medlang")]
    again_id = logged_id(invoke(project, command, options, again_out))

    for option in output_options:
        assert again_out[option].read_bytes() == first_out[option].read_bytes(), option
    runs = {run.id: run for run in project.runs()}
    first, again = runs[first_id], runs[again_id]
    assert again.kind == first.kind
    untimed = [{k: v for k, v in r.metrics.items() if k not in TIMINGS} for r in (first, again)]
    assert untimed[0] == untimed[1]
    assert set(first.metrics) - set(untimed[0]) <= TIMINGS

    config = first.config
    text = json.dumps(config)
    assert '"seed"' in text  # every run records its seed(s)
    for recorded in recorded_files(config):
        path = Path(recorded.get("path") or recorded["module_path"])
        assert path.is_absolute() and recorded["sha256"] == sha256(path)
    without_inputs = [{k: v for k, v in r.config.items() if k != "inputs"} for r in (first, again)]
    assert without_inputs[0] == without_inputs[1]
