"""One consistent CLI across producers: --config/--out (old names still accepted),
--seed and --set recorded in the run, --out - on stdout, config-schema generated
from the models (checked against every producer's real exported config)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.evidence import PRODUCERS
from medlang.registry import Registry

from .conftest import logged_id

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def runs(trained):
    """Every producer run once with the new option names, --seed and --set, logged."""
    project, _ = trained
    p = project.path
    made = {}

    def produce(command, *args):
        made[command] = logged_id(project.produce(command, *args, "--log"))

    produce(
        "train-surrogate",
        *("--config", p("train.json"), "--seed", "9", "--set", "epochs=3"),
        *("--set", "hidden_layers=[8, 4]", "--out", p("s2.json")),
    )
    produce(
        "surrogate-eval",
        *("--surrogate", p("model/surrogate.json"), "--config", p("eval.json")),
        *("--set", "n_patients=12", "--out", p("eval_out.json")),
    )
    produce("run-evidence", "--backend", "mechanistic", "--seed", "4", "--out", p("r1.json"))
    produce(
        "run-evidence-hybrid",
        *("--config", p("hybrid.json"), "--set", "mech_threshold=0.2", "--out", p("r2.json")),
    )
    (project.root / "rl.json").write_text(
        json.dumps({"env": {"dose_levels_mg": [60.0, 200.0]}, "train": {"episodes": 20}})
    )
    produce(
        "train-policy-rl",
        *("--config", p("rl.json"), "--seed", "3", "--set", "train.batch_size=5"),
        *("--out", p("policy2.json")),
    )
    produce(
        "eval-policy-rl",
        *("--config", p("rl.json"), "--policy", p("policy2.json"), "--seed", "8"),
        *("--set", "n_episodes=7", "--out", p("eval_rl.json")),
    )
    return project, made


def _config(project, run_id: str) -> dict:
    return Registry(project.registry).find_run(run_id).config


def test_seed_and_set_are_recorded_in_the_run(runs):
    project, made = runs
    train = _config(project, made["train-surrogate"])
    assert (train["seed"], train["epochs"], train["hidden_layers"]) == (9, 3, [8, 4])
    assert _config(project, made["surrogate-eval"])["n_patients"] == 12
    assert _config(project, made["run-evidence"])["seed"] == 4
    assert _config(project, made["run-evidence-hybrid"])["mech_threshold"] == 0.2
    rl = _config(project, made["train-policy-rl"])
    assert (rl["train"]["seed"], rl["train"]["batch_size"], rl["train"]["episodes"]) == (3, 5, 20)
    assert rl["env"]["dose_levels_mg"] == [60.0, 200.0]
    evaluated = _config(project, made["eval-policy-rl"])
    assert (evaluated["seed"], evaluated["n_episodes"]) == (8, 7)


@pytest.mark.parametrize("command", PRODUCERS)
def test_config_schema_describes_what_the_run_recorded(runs, command):
    """The schema is generated from the models: a real exported config (less the
    `command` and `inputs` it adds) must be valid against it, and a typo must not."""
    project, made = runs
    result = CliRunner().invoke(cli, ["config-schema", command])
    assert result.exit_code == 0, result.stderr
    schema = json.loads(result.stdout)
    recorded = {
        k: v for k, v in _config(project, made[command]).items() if k not in ("command", "inputs")
    }
    jsonschema.validate(recorded, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**recorded, "sead": 1}, schema)


def test_an_exported_config_with_set_values_reproduces_the_run(runs):
    project, made = runs
    exported = project.root / "exported_train.json"
    project.mlc("runs", "export-config", made["train-surrogate"], "--out", str(exported))
    rerun = project.produce(
        "train-surrogate", "--config", str(exported), "--out", project.path("s3.json")
    )
    assert rerun.exit_code == 0
    assert Path(project.path("s3.json")).read_bytes() == Path(project.path("s2.json")).read_bytes()


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("train-surrogate", ["--set", "epocs=3"], "no config key 'epocs'; did you mean 'epochs'?"),
        ("train-policy-rl", ["--set", "episodes=3"], "did you mean 'train.episodes'?"),
        ("train-surrogate", ["--set", "epochs"], "expected KEY=VALUE"),
        ("train-surrogate", ["--set", "epochs=many"], "field 'epochs'"),
        ("run-evidence", ["--out", "-", "--log"], "--out - cannot be combined with --log"),
        (
            "train-surrogate",
            ["--config", "a.json", "--train-config", "b.json"],
            "give --config once",
        ),
    ],
)
def test_bad_overrides_are_one_line_errors(project, command, args, message):
    out = [] if "--out" in args else ["--out", project.path("o.json")]
    result = project.produce(command, *args, *out, expect=result_code(message))
    assert result.stdout == ""
    assert message in result.stderr
    *usage, error = result.stderr.splitlines()
    assert error.startswith("Error: ") and message in error
    assert len(usage) in (0, 3)  # usage errors come after click's usage hint
    assert project.runs() == []


def result_code(message: str) -> int:
    return 1 if message.startswith("field") else 2


def test_out_dash_writes_only_the_json_document_to_stdout(trained):
    project, _ = trained
    command = [
        sys.executable,
        "-m",
        "medlang",
        "--registry",
        str(project.registry),
        "surrogate-eval",
        "--evidence-program",
        "SmallEvidence",
        "--project",
        str(project.root),
        "--surrogate",
        project.path("model/surrogate.json"),
        "--config",
        project.path("eval.json"),
        "--set",
        "n_patients=6",
        "--out",
        "-",
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["config"]["n_patients"] == 6
    assert "rmse=" in done.stderr  # the summary is for people: stderr
    assert not (project.root / "-").exists()


@pytest.mark.parametrize("command", PRODUCERS)
def test_every_producer_documents_the_common_options_and_an_example(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    for flag in ("--config", "--out", "--seed", "--set", "--log", "--evidence-program"):
        assert flag in result.stdout, (command, flag)
    assert "Examples:" in result.stdout or "Example:" in result.stdout
    for old in ("--hybrid-config", "--out-model", "--eval-config", "--out-policy"):
        assert old not in result.stdout  # hidden aliases


def test_mlc_run_log_takes_seed_and_set_too(project, monkeypatch):
    monkeypatch.chdir(project.root)
    program = project.path("small_evidence.medlang")
    args = ("run", program, "--log", "--backend", "mechanistic", "--out", project.path("r.json"))
    result = project.mlc(*args, "--seed", "17", "--set", "audit_seed=3")
    (run,) = project.runs()
    assert (run.config["seed"], run.config["audit_seed"]) == (17, 3)
    assert "Logged run:" in result.stdout
    refused = project.mlc(*args, "--set", "sed=1", expect=2)
    assert "did you mean 'seed'?" in refused.stderr


def test_the_producer_list_is_every_producer_command():
    """``medlang.evidence.PRODUCERS`` (config-schema, replay, these tests) names exactly
    the commands the CLI runs from medlang.cli.produce and the configs they validate."""
    from medlang.cli.main import _LAZY_COMMANDS
    from medlang.evidence.configs import CONFIG_MODELS

    commands = [name for name, target in _LAZY_COMMANDS.items() if ".produce:" in target]
    assert sorted(PRODUCERS) == sorted(commands) == sorted(CONFIG_MODELS)
