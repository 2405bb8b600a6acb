"""Every producing command through the real CLI: logged records, reproduction from an
exported config, hybrid agreement, determinism, metric snapshots."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import TIMINGS, logged_id

EVIDENCE_METRICS = {
    "ORR",
    "DLT_rate",
    "mech_fraction",
    "rmse",
    "mae",
    "mech_violations",
    "surr_violations",
    "execution_time_ms",
}


def artifact_kinds(project, run) -> list[str]:
    from medlang.registry import Registry

    registry = Registry(project.registry)
    records = [registry.find_artifact(artifact_id) for artifact_id in run.artifacts]
    for record in records:
        assert record.sha256 and Path(record.path).is_absolute()
    return [str(record.kind) for record in records]


def find(project, run_id):
    return next(run for run in project.runs() if run.id == run_id)


def untimed(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in TIMINGS}


def rounded(value):
    """Snapshot floats to 6 significant digits: BLAS builds may differ in the last bits."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return value


def test_train_surrogate_is_logged_with_its_model(trained, snapshot):
    project, run_id = trained
    run = find(project, run_id)
    assert str(run.kind) == "SurrogateTrain"
    assert run.evidence_program == "SmallEvidence"
    assert run.module_path == "med.test.small_evidence"  # the module's dotted name
    recorded = run.config["inputs"]["evidence_program"]
    assert recorded["module_path"] == project.path("small_evidence.medlang")
    assert artifact_kinds(project, run) == ["SurrogateModel"]
    assert {"train_loss", "val_loss", "n_epochs", "training_time_s"} <= set(run.metrics)
    assert run.config["seed"] == 5 and run.config["batch_size"] == 64  # a resolved default
    assert run.config["inputs"]["evidence_program"]["sha256"]
    model = json.loads(Path(project.path("model/surrogate.json")).read_text())
    assert model["domain"]["dose_mg"][0] >= 40.0 and model["evidence_program"] == "SmallEvidence"
    assert rounded(untimed(run.metrics)) == snapshot


def test_surrogate_eval_is_logged_with_its_report(trained):
    project, _ = trained
    result = project.produce(
        "surrogate-eval",
        "--surrogate",
        project.path("model/surrogate.json"),
        "--eval-config",
        project.path("eval.json"),
        "--out-report",
        project.path("out/eval.json"),
        "--log",
    )
    run = find(project, logged_id(result))
    assert str(run.kind) == "SurrogateEval"
    assert artifact_kinds(project, run) == ["SurrogateEvalReport"]
    expected = {"rmse", "mae", "r_squared", "max_abs_err", "mech_violations", "surr_violations"}
    assert expected | {"qualification_passed"} <= set(run.metrics)
    assert run.config["inputs"]["surrogate"]["path"] == project.path("model/surrogate.json")


def test_hybrid_run_is_reproduced_from_its_exported_config(trained, tmp_path):
    project, _ = trained
    first = project.produce(
        "run-evidence-hybrid",
        "--hybrid-config",
        project.path("hybrid.json"),
        "--out",
        project.path("out/results.json"),
        "--log",
    )
    run = find(project, logged_id(first))
    assert str(run.kind) == "EvidenceHybrid"
    assert set(run.metrics) >= EVIDENCE_METRICS
    assert artifact_kinds(project, run) == ["EvidenceResult"]
    exported = tmp_path / "elsewhere" / "original_config.json"
    project.mlc("runs", "export-config", "--id", run.id, "--out", str(exported))
    again = project.produce(
        "run-evidence-hybrid",
        "--hybrid-config",
        str(exported),
        "--out",
        str(tmp_path / "results_reproduced.json"),
        "--log",
    )
    rerun = find(project, logged_id(again))
    assert untimed(rerun.metrics) == untimed(run.metrics)
    assert (tmp_path / "results_reproduced.json").read_bytes() == Path(
        project.path("out/results.json")
    ).read_bytes()


def test_hybrid_agrees_with_mechanistic(trained, snapshot):
    project, _ = trained
    outputs = {}
    for backend in ("mechanistic", "hybrid"):
        out = project.path(f"out/{backend}.json")
        args = ["--backend", backend, "--out", out]
        config = "hybrid.json" if backend == "hybrid" else "v1.json"
        args += ["--config", project.path(config)]
        project.produce("run-evidence", *args)
        outputs[backend] = json.loads(Path(out).read_text())["summary"]
    mech, hybrid = outputs["mechanistic"], outputs["hybrid"]
    assert abs(hybrid["ORR"] - mech["ORR"]) <= 0.05
    assert abs(hybrid["DLT_rate"] - mech["DLT_rate"]) <= 0.05
    assert hybrid["mech_fraction"] < 1.0
    assert rounded(mech) == snapshot


def test_mechanistic_run_is_deterministic(project):
    for name in ("a.json", "b.json"):
        project.produce("run-evidence", "--backend", "mechanistic", "--out", project.path(name))
    assert Path(project.path("a.json")).read_bytes() == Path(project.path("b.json")).read_bytes()


def test_rl_training_and_evaluation_are_logged_and_reproducible(project, tmp_path, snapshot):
    train_args = ["--env-config", project.path("env.json")]
    train_args += ["--train-config", project.path("rltrain.json")]
    result = project.produce(
        "train-policy-rl",
        *train_args,
        "--out-policy",
        project.path("policy.json"),
        "--out-report",
        project.path("train_report.json"),
        "--log",
    )
    run = find(project, logged_id(result))
    assert str(run.kind) == "RLTrain"
    assert artifact_kinds(project, run) == ["RLPolicy", "RLTrainReport"]
    assert {"avg_reward", "final_epsilon", "convergence_episodes", "training_time_s"} <= set(
        run.metrics
    )
    exported = tmp_path / "rl_config.json"
    project.mlc("runs", "export-config", "--id", run.id, "--out", str(exported))
    project.produce(
        "train-policy-rl",
        "--env-config",
        str(exported),
        "--train-config",
        str(exported),
        "--out-policy",
        str(tmp_path / "policy2.json"),
    )
    policy = Path(project.path("policy.json")).read_bytes()
    assert (tmp_path / "policy2.json").read_bytes() == policy

    evaluated = project.produce(
        "eval-policy-rl",
        "--env-config",
        project.path("env.json"),
        "--policy",
        project.path("policy.json"),
        "--n-episodes",
        "8",
        "--out-report",
        project.path("eval_report.json"),
        "--log",
    )
    eval_run = find(project, logged_id(evaluated))
    assert str(eval_run.kind) == "RLEval"
    assert artifact_kinds(project, eval_run) == ["RLEvalReport"]
    assert eval_run.metrics["n_simulations"] == 8
    assert rounded(untimed(eval_run.metrics)) == snapshot
    exported_eval = tmp_path / "eval_config.json"
    project.mlc("runs", "export-config", "--id", eval_run.id, "--out", str(exported_eval))
    project.produce(
        "eval-policy-rl",
        "--env-config",
        str(exported_eval),
        "--policy",
        project.path("policy.json"),
        "--out-report",
        str(tmp_path / "eval2.json"),
    )  # episodes and seed come from the exported config
    report = Path(project.path("eval_report.json")).read_bytes()
    assert (tmp_path / "eval2.json").read_bytes() == report


def test_progress_and_summary_are_silenced_by_quiet(project):
    result = project.produce(
        "run-evidence", "--backend", "mechanistic", "--out", project.path("r.json"), "--quiet"
    )
    assert result.output == ""


def test_mlc_run_log_simulates_and_logs_the_returned_program(project, monkeypatch):
    monkeypatch.chdir(project.root)
    out = project.path("r.json")
    program = project.path("small_evidence.medlang")
    result = project.mlc("run", program, "--log", "--backend", "mechanistic", "--out", out)
    run = find(project, logged_id(result))
    assert str(run.kind) == "EvidenceMechanistic"
    assert (run.evidence_program, run.module_path) == ("SmallEvidence", "med.test.small_evidence")
    assert run.config["inputs"]["evidence_program"]["module_path"] == str(program)
    assert json.loads(Path(out).read_text())["summary"]["n_patients"] == 24


def test_mlc_run_log_quiet_prints_only_the_run_id(project, monkeypatch):
    monkeypatch.chdir(project.root)
    program = project.path("small_evidence.medlang")
    args = ("run", program, "--log", "--backend", "mechanistic", "--out", project.path("r.json"))
    result = project.mlc(*args, "--quiet")
    run_id = logged_id(result)
    assert result.output == f"Logged run: {run_id}\n"
    assert "ORR=" in project.mlc(*args).output  # the summary is there without --quiet


def test_mlc_run_log_refuses_a_program_without_evidence(project):
    script = project.root / "hello.medlang"
    script.write_text('fn main() { println("hello"); }\n')
    result = project.mlc("run", str(script), "--log", expect=1)
    assert "'main' returns Unit" in result.stderr and "EvidenceProgram" in result.stderr
    assert project.runs() == []


def test_surrogate_training_and_evaluation_are_reproduced_from_exported_configs(trained, tmp_path):
    project, train_id = trained
    exported = tmp_path / "train_config.json"
    project.mlc("runs", "export-config", "--id", train_id, "--out", str(exported))
    retrained = tmp_path / "surrogate.json"
    result = project.produce(
        "train-surrogate", "--train-config", str(exported), "--out-model", str(retrained), "--log"
    )
    original = find(project, train_id)
    assert untimed(find(project, logged_id(result)).metrics) == untimed(original.metrics)
    assert retrained.read_bytes() == Path(project.path("model/surrogate.json")).read_bytes()

    surrogate = ["--surrogate", project.path("model/surrogate.json")]
    first = project.produce(
        "surrogate-eval",
        *surrogate,
        "--eval-config",
        project.path("eval.json"),
        "--out-report",
        str(tmp_path / "a.json"),
        "--log",
    )
    exported_eval = tmp_path / "eval_config.json"
    project.mlc("runs", "export-config", "--id", logged_id(first), "--out", str(exported_eval))
    project.produce(
        "surrogate-eval",
        *surrogate,
        "--eval-config",
        str(exported_eval),
        "--out-report",
        str(tmp_path / "b.json"),
    )
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
