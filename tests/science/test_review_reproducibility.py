"""Review: reproducing a run from its exported config, beyond the happy path.

An exported config must reproduce the run by itself (the backend it recorded is
the default), must name every input file the run read, and must refuse to run
when anything the program evaluates to has changed, even in a module it imports.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .conftest import TIMINGS, logged_id, make_project

ARMS_MODULE = """module arms;

import med.evidence::*;

fn trial_arms() -> Vector<DoseArm> {
  [
    { label = "100mg"; dose_mg = 100.0 },
    { label = "200mg"; dose_mg = DOSE },
  ]
}
"""


def untimed(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in TIMINGS}


def export(project, run_id: str, out: Path) -> Path:
    project.mlc("runs", "export-config", "--id", run_id, "--out", str(out))
    return out


def find(project, run_id):
    return next(run for run in project.runs() if run.id == run_id)


def importing_project(tmp_path: Path):
    """The small program with its arms moved into a module it imports."""
    project = make_project(tmp_path / "project", tmp_path / "registry")
    program = project.root / "small_evidence.medlang"
    text = program.read_text()
    start, end = text.index("arms = ["), text.index("];", text.index("arms = [")) + 2
    text = text[:start] + "arms = trial_arms();" + text[end:]
    imports = "import med.evidence::*;"
    text = text.replace(imports, imports + "\nimport arms::{trial_arms};")
    program.write_text(text)
    (project.root / "arms.medlang").write_text(ARMS_MODULE.replace("DOSE", "200.0"))
    return project


def test_a_changed_imported_module_is_refused_when_reproducing(tmp_path):
    project = importing_project(tmp_path)
    out = project.path("out/a.json")
    run_id = logged_id(project.produce("run-evidence", "--out", out, "--log"))
    exported = export(project, run_id, tmp_path / "elsewhere" / "config.json")
    recorded = json.loads(exported.read_text())["inputs"]["evidence_program"]
    assert len(recorded["program_sha256"]) == 64

    (project.root / "arms.medlang").write_text(ARMS_MODULE.replace("DOSE", "250.0"))
    result = project.produce(
        "run-evidence", "--config", str(exported), "--out", project.path("out/b.json"), expect=1
    )
    assert "field 'inputs.evidence_program.program_sha256'" in result.stderr
    assert "has a module it imports changed?" in result.stderr
    assert not Path(project.path("out/b.json")).exists()
    assert [run.id for run in project.runs()] == [run_id]  # nothing logged


def test_an_unchanged_imported_module_reproduces(tmp_path):
    project = importing_project(tmp_path)
    out = Path(project.path("out/a.json"))
    run_id = logged_id(project.produce("run-evidence", "--out", str(out), "--log"))
    exported = export(project, run_id, tmp_path / "elsewhere" / "config.json")
    again = Path(project.path("out/b.json"))
    result = project.produce("run-evidence", "--config", str(exported), "--out", str(again))
    assert again.read_bytes() == out.read_bytes()
    assert "ORR=" in result.output


def test_exported_surrogate_and_hybrid_configs_reproduce_without_repeating_the_backend(
    trained, tmp_path
):
    """The program's own backend is Mechanistic; the exported config says which one ran."""
    project, _ = trained
    for backend in ("surrogate", "hybrid"):
        first = Path(project.path(f"out/{backend}.json"))
        run_id = logged_id(
            project.produce(
                "run-evidence",
                "--backend",
                backend,
                "--config",
                project.path("hybrid.json"),
                "--out",
                str(first),
                "--log",
            )
        )
        exported = export(project, run_id, tmp_path / backend / "config.json")
        again = tmp_path / "again" / f"{backend}.json"
        rerun_id = logged_id(
            project.produce("run-evidence", "--config", str(exported), "--out", str(again), "--log")
        )
        original, rerun = find(project, run_id), find(project, rerun_id)
        assert rerun.kind == original.kind
        assert again.read_bytes() == first.read_bytes()
        assert untimed(rerun.metrics) == untimed(original.metrics)


def test_mlc_run_log_is_reproduced_from_its_exported_config(trained, tmp_path, monkeypatch):
    project, _ = trained
    program = project.path("small_evidence.medlang")
    first = Path(project.path("out/run_hybrid.json"))
    args = ("run", program, "--log", "--backend", "hybrid", "--config", project.path("hybrid.json"))
    run_id = logged_id(project.mlc(*args, "--out", str(first)))
    exported = export(project, run_id, tmp_path / "exported" / "config.json")
    workdir = tmp_path / "another" / "cwd"
    workdir.mkdir(parents=True)
    monkeypatch.chdir(workdir)
    again = workdir / "again.json"
    rerun_id = logged_id(
        project.mlc("run", program, "--log", "--config", str(exported), "--out", str(again))
    )
    assert again.read_bytes() == first.read_bytes()
    original, rerun = find(project, run_id), find(project, rerun_id)
    assert str(rerun.kind) == str(original.kind) == "EvidenceHybrid"
    assert untimed(rerun.metrics) == untimed(original.metrics)


def test_rl_evaluation_records_its_env_config_file(project):
    project.produce(
        "train-policy-rl",
        "--env-config",
        project.path("env.json"),
        "--train-config",
        project.path("rltrain.json"),
        "--out-policy",
        project.path("policy.json"),
    )
    run_id = logged_id(
        project.produce(
            "eval-policy-rl",
            "--env-config",
            project.path("env.json"),
            "--policy",
            project.path("policy.json"),
            "--n-episodes",
            "3",
            "--out-report",
            project.path("eval.json"),
            "--log",
        )
    )
    inputs = find(project, run_id).config["inputs"]
    env_file = Path(project.path("env.json"))
    assert inputs["env_config_file"]["path"] == str(env_file)
    assert inputs["env_config_file"]["sha256"] == hashlib.sha256(env_file.read_bytes()).hexdigest()


def test_a_simulation_run_records_the_numpy_version_it_ran_with(project):
    """Results are bit-identical only with the same numerical library."""
    import numpy

    run_id = logged_id(
        project.produce("run-evidence", "--out", project.path("out/r.json"), "--log")
    )
    assert find(project, run_id).env["numpy"] == numpy.__version__


def test_an_exported_rl_training_config_given_to_one_option_serves_both(project, tmp_path):
    """Its env and train sections belong together: the other must not silently
    fall back to defaults (2,000 episodes instead of the run's 20)."""
    policy = Path(project.path("policy.json"))
    run_id = logged_id(
        project.produce(
            "train-policy-rl",
            "--env-config",
            project.path("env.json"),
            "--train-config",
            project.path("rltrain.json"),
            "--out-policy",
            str(policy),
            "--log",
        )
    )
    exported = export(project, run_id, tmp_path / "exported" / "rl.json")
    for option in ("--env-config", "--train-config"):
        again = tmp_path / f"policy{option}.json"
        rerun_id = logged_id(
            project.produce(
                "train-policy-rl", option, str(exported), "--out-policy", str(again), "--log"
            )
        )
        assert again.read_bytes() == policy.read_bytes(), option
        rerun, original = find(project, rerun_id), find(project, run_id)
        assert rerun.config["train"] == original.config["train"]
        assert rerun.config["env"] == original.config["env"]


def test_an_exported_config_refuses_another_program_of_the_same_module(project, tmp_path):
    """Same file, same sha256, but another evidence program: not a reproduction."""
    program = project.root / "small_evidence.medlang"
    text = program.read_text()
    other = text[text.index("fn SmallEvidence()") :].replace("SmallEvidence", "OtherEvidence")
    program.write_text(text + "\n" + other.replace("seed = 7", "seed = 8"))
    run_id = logged_id(project.produce("run-evidence", "--out", project.path("a.json"), "--log"))
    exported = export(project, run_id, tmp_path / "exported.json")
    result = project.mlc(
        "run-evidence",
        "--file",
        str(program),
        "--evidence-program",
        "OtherEvidence",
        "--config",
        str(exported),
        "--out",
        project.path("b.json"),
        expect=1,
    )
    assert "field 'inputs.evidence_program.program_sha256'" in result.stderr
    assert not Path(project.path("b.json")).exists()


def test_an_exported_config_alone_finds_its_program_from_any_directory(
    trained, tmp_path, monkeypatch
):
    """No --project, no --file, no --evidence-program: the recorded inputs name it."""
    project, train_id = trained
    exported = export(project, train_id, tmp_path / "exported" / "train.json")
    workdir = tmp_path / "unrelated"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    model = workdir / "surrogate.json"
    result = project.mlc(
        "train-surrogate", "--train-config", str(exported), "--out-model", str(model)
    )
    assert model.read_bytes() == Path(project.path("model/surrogate.json")).read_bytes()
    assert "Wrote" in result.output
    # with the name given, too
    project.mlc(
        "train-surrogate",
        "--evidence-program",
        "SmallEvidence",
        "--train-config",
        str(exported),
        "--out-model",
        str(workdir / "again.json"),
    )
    assert (workdir / "again.json").read_bytes() == model.read_bytes()


def test_without_a_recorded_config_the_program_is_still_searched_in_the_project(
    project, tmp_path, monkeypatch
):
    workdir = tmp_path / "unrelated"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    result = project.mlc(
        "train-surrogate",
        "--evidence-program",
        "SmallEvidence",
        "--train-config",
        project.path("train.json"),
        "--out-model",
        str(workdir / "m.json"),
        expect=1,
    )
    assert "not found in any .medlang file under" in result.stderr
