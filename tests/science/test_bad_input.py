"""Bad input: one readable line naming file and field, exit 1, nothing written or logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import PROGRAMS


def assert_refused(project, result, *fragments: str, out: str) -> None:
    message = result.stderr.strip()
    assert message.startswith("Error: ") and "\n" not in message, message
    assert "Traceback" not in result.output + result.stderr
    for fragment in fragments:
        assert fragment in message, message
    assert not Path(out).exists()
    assert project.runs() == []


def assert_failed_run(project, result, *fragments: str, out: str) -> None:
    """Accepted input that failed during the work: one readable line, exit 1, no
    output, and the run logged as failed with the same message."""
    message = result.stderr.strip()
    assert message.startswith("Error: ") and "\n" not in message, message
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code != 0
    [run] = project.runs()
    assert (run.status, run.artifacts) == ("failed", [])
    for fragment in fragments:
        assert fragment in message and fragment in run.error, (message, run.error)
    assert not Path(out).exists() or not Path(out).is_file()


def mechanistic(project, *args, expect=1):
    out = project.path("out/result.json")
    return project.produce("run-evidence", "--out", out, "--log", *args, expect=expect), out


def test_missing_config_file(project):
    result, out = mechanistic(project, "--config", project.path("nope.json"))
    assert_refused(project, result, "nope.json", "not found", out=out)


def test_malformed_config(project):
    Path(project.path("bad.json")).write_text('{"mech_threshold": 0.1,,}')
    result, out = mechanistic(project, "--config", project.path("bad.json"))
    assert_refused(project, result, "bad.json:1:24", "malformed JSON", out=out)


def test_unknown_config_key(project):
    Path(project.path("bad.json")).write_text('{"mech_treshold": 0.1}')
    result, out = mechanistic(project, "--config", project.path("bad.json"))
    assert_refused(project, result, "bad.json", "field 'mech_treshold': unknown key", out=out)


def test_wrong_value_type_names_the_field(project):
    Path(project.path("bad.json")).write_text('{"episodes": "many"}')
    out = project.path("policy.json")
    result = project.produce(
        "train-policy-rl",
        "--train-config",
        project.path("bad.json"),
        "--out-policy",
        out,
        expect=1,
    )
    assert_refused(project, result, "bad.json", "field 'episodes'", out=out)


def test_negative_dose_in_the_program(project):
    program = Path(project.path("small_evidence.medlang"))
    program.write_text(program.read_text().replace("dose_mg = 150.0", "dose_mg = -150.0"))
    result, out = mechanistic(project)
    assert_refused(project, result, "small_evidence.medlang", "arms[1].dose_mg", out=out)


def test_surrogate_of_another_program_is_refused(trained, project):
    other, _ = trained
    program = Path(project.path("small_evidence.medlang"))
    program.write_text(program.read_text().replace("param(36.0, 0.25)", "param(20.0, 0.25)"))
    config = {"surrogate": other.path("model/surrogate.json")}
    Path(project.path("hybrid.json")).write_text(json.dumps(config))
    out = project.path("out/result.json")
    result = project.produce(
        "run-evidence-hybrid",
        "--hybrid-config",
        project.path("hybrid.json"),
        "--out",
        out,
        expect=1,
    )
    assert_refused(project, result, "surrogate.json", "field 'program_fingerprint'", out=out)


def test_changed_surrogate_is_refused_by_an_exported_config(trained, tmp_path):
    project, _ = trained
    model = json.loads(Path(project.path("model/surrogate.json")).read_text())
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(model))
    recorded = {
        "command": "run-evidence-hybrid",
        "surrogate": str(copy),
        "inputs": {"surrogate": {"path": str(copy), "sha256": "0" * 64}},
    }
    config = tmp_path / "exported.json"
    config.write_text(json.dumps(recorded))
    out = tmp_path / "r.json"
    before = len(project.runs())
    result = project.produce(
        "run-evidence-hybrid", "--hybrid-config", str(config), "--out", str(out), expect=1
    )
    assert "field 'inputs.surrogate.sha256'" in result.stderr
    assert not out.exists() and len(project.runs()) == before


def test_config_recorded_by_another_command_is_refused(project):
    Path(project.path("bad.json")).write_text('{"command": "train-surrogate", "seed": 1}')
    result, out = mechanistic(project, "--config", project.path("bad.json"))
    assert_refused(project, result, "field 'command'", "'train-surrogate'", out=out)


def test_hybrid_without_surrogate(project):
    Path(project.path("bad.json")).write_text("{}")
    result, out = mechanistic(project, "--backend", "hybrid", "--config", project.path("bad.json"))
    assert_refused(project, result, "field 'surrogate': required", out=out)


@pytest.mark.parametrize("program_name", ["Missing", "SmallEvidence"])
def test_program_lookup_errors(project, program_name):
    if program_name == "SmallEvidence":  # a second definition in another file
        (project.root / "sub").mkdir()
        (project.root / "sub" / "copy.medlang").write_text(
            (PROGRAMS / "small_evidence.medlang").read_text()
        )
    out = project.path("r.json")
    result = project.mlc(
        "run-evidence",
        "--evidence-program",
        program_name,
        "--project",
        str(project.root),
        "--out",
        out,
        expect=1,
    )
    expected = "several files" if program_name == "SmallEvidence" else "not found"
    assert_refused(project, result, program_name, expected, out=out)


def test_evaluating_on_the_training_patients_is_refused(trained, tmp_path):
    project, _ = trained
    config = tmp_path / "eval.json"
    config.write_text('{"seed": 5}')  # the surrogate's training seed (conftest)
    out = tmp_path / "report.json"
    result = project.produce(
        "surrogate-eval",
        "--surrogate",
        project.path("model/surrogate.json"),
        "--eval-config",
        str(config),
        "--out-report",
        str(out),
        expect=1,
    )
    assert "field 'seed'" in result.stderr and "fresh patients" in result.stderr
    assert not out.exists()


def test_policy_trained_for_another_env_is_refused(project):
    policy = project.path("policy.json")
    project.produce(
        "train-policy-rl",
        "--env-config",
        project.path("env.json"),
        "--train-config",
        project.path("rltrain.json"),
        "--out-policy",
        policy,
    )
    env2 = '{"model_version": 1, "dose_levels_mg": [60.0, 250.0]}'
    Path(project.path("env2.json")).write_text(env2)
    out = project.path("report.json")
    result = project.produce(
        "eval-policy-rl",
        "--env-config",
        project.path("env2.json"),
        "--policy",
        policy,
        "--out-report",
        out,
        "--log",
        expect=1,
    )
    assert_refused(project, result, "policy.json", "field 'env.dose_levels_mg'", out=out)


def test_output_that_is_a_directory_is_refused_before_running(project):
    result = project.produce("run-evidence", "--out", str(project.root), "--log", expect=1)
    assert result.stderr == f"Error: {project.root}: --out is a directory, not a file\n"
    assert project.runs() == []


def test_file_that_is_not_a_surrogate(project):
    Path(project.path("fake.json")).write_text('{"format": "something else"}')
    Path(project.path("hybrid.json")).write_text('{"surrogate": "fake.json"}')
    out = project.path("r.json")
    result = project.produce(
        "run-evidence-hybrid",
        "--hybrid-config",
        project.path("hybrid.json"),
        "--out",
        out,
        "--log",
        expect=1,
    )
    assert_refused(project, result, "fake.json", "field 'format'", out=out)
