"""Model version 2: calibration pinned against the label, the production solver
against an independent scipy DOP853 reference, the closed-form PK against the
matrix exponential, the step-size guard, the protocol definitions, and old-style
configs that still give model version 1's exact numbers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from medlang.evidence.discovery import load_evidence_program
from medlang.resources import examples_dir
from medlang.sim.contracts import STEP_SIZE_GUARD, ViolationCounter
from medlang.sim.model2 import Model2Run, cycle_segments
from medlang.sim.params import Arm, Protocol
from medlang.sim.population import trial_population

from .conftest import logged_id
from .reference_solver import reference_patient

pytest.importorskip("scipy", reason="scipy is a test dependency (pip install -e .[test])")


@pytest.fixture(scope="module")
def example_spec():
    example = examples_dir() / "oncology" / "evidence.medlang"
    loaded = load_evidence_program("OncologyEvidence", example, example.parent, example.parent)
    return loaded.program.to_spec(model_version=2)


def test_calibration_reproduces_the_label_within_its_tolerances(example_spec):
    """2 x 2,000 patients, fixed seed: the pinning test of the calibration table."""
    from medlang.sim.calibration import calibration_rows

    rows = calibration_rows(example_spec, patients_per_dose=2000, seed=2026)
    for row in rows:
        t = row.target
        assert row.within, f"{t.quantity} at {t.dose_mg_m2} mg/m2: {row.simulated} not in {t}"
    rate = {r.target.dose_mg_m2: r.simulated for r in rows if r.target.quantity == "grade4_rate"}
    assert rate[75.0] < rate[100.0]  # dose-response


def test_production_solver_matches_dop853_within_1e4(example_spec):
    """Every node of two cycles, two doses (the arms' 135 mg and a high 300 mg)."""
    spec = replace(
        example_spec, arms=(Arm("low", 135.0), Arm("high", 300.0)), patients_per_arm=3, cycles=2
    )
    population = trial_population(spec, seed=11)
    run = Model2Run(spec, population)
    counter = ViolationCounter(population.n)
    anc_nodes, outcomes = [], []
    cycle_h = spec.cycle_days * 24.0
    steps = np.concatenate([np.full(n, h) for n, h in cycle_segments(spec, cycle_h)])
    nodes = np.concatenate([[0.0], np.cumsum(steps)])
    nodes[-1] = cycle_h
    for _ in range(spec.cycles):
        outcomes.append(run.run_cycle(population.dose_mg, counter))
        anc_nodes.append(run.chain[-1].copy())
    assert counter.total == 0
    times = np.concatenate([nodes, cycle_h + nodes[1:]])
    for i in range(population.n):
        ref = reference_patient(spec, population, i, [population.dose_mg[i]] * 2, times)
        assert np.isfinite(ref).all()
        # cycle ends: ANC and relative tumour size
        for c in range(spec.cycles):
            end = (c + 1) * (len(nodes) - 1)
            assert abs(ref[0, end] - anc_nodes[c][i]) <= 1e-4
            assert abs(ref[1, end] - outcomes[c].rts_end[i]) <= 1e-4
        # cycle-1 nadir over the nodes
        assert abs(ref[0, : len(nodes)].min() - outcomes[0].anc_nadir[i]) <= 1e-4


def test_closed_form_pk_is_the_matrix_exponential():
    """Two cycles of 1-hour infusions: the modal closed form against expm of the
    rate matrix (an infusion is the bolus response integrated over its duration)."""
    from scipy.integrate import quad
    from scipy.linalg import expm

    from medlang.sim.pk3 import MacroConstants, cycle_concentrations

    cl, v1, q2, v2, q3, v3 = 36.0, 9.8, 6.9, 7.5, 15.7, 376.0
    macro = MacroConstants.of(*(np.array([x]) for x in (cl, v1, q2, v2, q3, v3)))
    k10, k12, k21, k13, k31 = cl / v1, q2 / v1, q2 / v2, q3 / v1, q3 / v3
    rates = np.array([[-(k10 + k12 + k13), k21, k31], [k12, -k21, 0], [k13, 0, -k31]])

    def response(u: float, since: float, k: int) -> float:
        """Amount in compartment k at ``since`` h after the start of a 100 mg/h
        infusion, from the drug given at time u."""
        return (expm(rates * (since - u)) @ [100.0, 0, 0])[k]

    def expected(t: float, cycle: float = 50.0) -> float:
        amount = np.zeros(3)
        for start in (0.0, cycle):
            if t > start:
                span = min(t - start, 1.0)
                amount += [quad(response, 0, span, args=(t - start, k))[0] for k in range(3)]
        return amount[0] / v1

    times = np.array([0.5, 1.0, 3.0, 30.0, 50.0])
    first, modes = cycle_concentrations(macro, np.zeros((3, 1)), np.array([100.0]), 1.0, times)
    second, _ = cycle_concentrations(macro, modes, np.array([100.0]), 1.0, times)
    np.testing.assert_allclose(first[:, 0], [expected(t) for t in times], rtol=1e-7)
    np.testing.assert_allclose(second[:, 0], [expected(50.0 + t) for t in times], rtol=1e-7)


def test_a_too_long_step_is_a_contract_violation(example_spec):
    spec = replace(example_spec, arms=(Arm("a", 300.0),), patients_per_arm=5, cycles=1)
    population = trial_population(spec, seed=3)
    for step, expect_guard in ((0.1, False), (1.0, True)):
        coarse = replace(spec, post_dose_step_hours=step)
        counter = ViolationCounter(population.n)
        Model2Run(coarse, population).run_cycle(population.dose_mg, counter)
        assert (counter.counts.get(STEP_SIZE_GUARD, 0) > 0) == expect_guard


def test_protocol_definitions_are_nested(example_spec):
    from medlang.sim.trial import dlts, responders, simulate

    spec = replace(example_spec, patients_per_arm=40, cycles=4)
    population = trial_population(spec)
    endpoints = simulate(spec, population).endpoints
    variants = {
        (dlt, response): replace(spec, protocol=Protocol(dlt, response))
        for dlt in ("grade4_any", "grade4_7days_or_fn")
        for response in ("unconfirmed", "confirmed")
    }
    any4 = dlts(variants["grade4_any", "unconfirmed"], endpoints)
    long4 = dlts(variants["grade4_7days_or_fn", "unconfirmed"], endpoints)
    unconfirmed = responders(variants["grade4_any", "unconfirmed"], endpoints)
    confirmed = responders(variants["grade4_any", "confirmed"], endpoints)
    assert (long4 <= any4).all() and long4.sum() < any4.sum()
    assert (confirmed <= unconfirmed).all() and unconfirmed.any()
    assert np.array_equal(long4, any4 & (endpoints.grade4_days >= 7.0))


def test_old_style_config_gives_model_version_1s_exact_numbers(project, tmp_path):
    """A config exported before model versions (no model_version) is version 1: the
    numbers of the old snapshot, and an output byte-identical to a version-1 run."""
    first = Path(project.path("out/v1.json"))
    run_id = logged_id(
        project.produce(
            "run-evidence", "--config", project.path("v1.json"), "--out", str(first), "--log"
        )
    )
    exported = tmp_path / "exported.json"
    project.mlc("runs", "export-config", "--id", run_id, "--out", str(exported))
    old_style = json.loads(exported.read_text())
    assert old_style["model_version"] == 1  # recorded in every new run
    for key in ("model_version", "dlt_definition", "response_definition", "allow_extrapolation"):
        old_style.pop(key)
    exported.write_text(json.dumps(old_style))
    again = Path(project.path("out/replayed.json"))
    project.produce("run-evidence", "--config", str(exported), "--out", str(again))
    assert again.read_bytes() == first.read_bytes()
    summary = json.loads(again.read_text())["summary"]
    assert (summary["ORR"], summary["DLT_rate"]) == (pytest.approx(0.166667, abs=1e-6), 0.25)
    assert "model_version" not in json.loads(again.read_text())


def test_new_runs_record_model_version_2_and_report_neutropenia(project):
    out = Path(project.path("out/v2.json"))
    project.produce("run-evidence", "--backend", "mechanistic", "--out", str(out), "--log")
    result = json.loads(out.read_text())
    assert result["model_version"] == 2
    summary = result["summary"]
    for key in ("grade4_rate", "median_nadir_day", "median_grade4_days"):
        assert key in summary and set(summary[f"{key}_by_arm"]) == {"100mg", "150mg", "200mg"}
    assert summary["grade4_rate"] == summary["DLT_rate"]  # grade4_any is the default
    run = project.runs()[-1]
    assert run.config["model_version"] == 2
    assert run.config["dlt_definition"] == "grade4_any"


def test_model_version_1_refuses_definitions_it_cannot_compute(project):
    Path(project.path("bad.json")).write_text(
        json.dumps({"model_version": 1, "dlt_definition": "grade4_7days_or_fn"})
    )
    result = project.produce(
        "run-evidence",
        "--config",
        project.path("bad.json"),
        "--out",
        project.path("x.json"),
        expect=1,
    )
    assert "field 'dlt_definition'" in result.stderr and "model_version 2" in result.stderr


@pytest.fixture(scope="module")
def surrogate_v2(tmp_path_factory):
    """A small version-2 surrogate (trained on 60 patients: a narrow training box)."""
    from .conftest import make_project

    base = tmp_path_factory.mktemp("v2")
    project = make_project(base / "project", base / "registry")
    train = {"seed": 5, "n_patients": 60, "dose_range_mg": [40.0, 260.0], "epochs": 20}
    Path(project.path("train2.json")).write_text(json.dumps(train))
    model = project.path("model/surrogate2.json")
    project.produce(
        "train-surrogate", "--train-config", project.path("train2.json"), "--out-model", model
    )
    Path(project.path("surr2.json")).write_text(json.dumps({"surrogate": model}))
    return project, model


def test_surrogate_backend_refuses_patients_outside_its_domain(surrogate_v2):
    project, model = surrogate_v2
    assert json.loads(Path(model).read_text())["model_version"] == 2
    out = Path(project.path("out/surrogate.json"))
    args = ("--backend", "surrogate", "--config", project.path("surr2.json"), "--out", str(out))
    refused = project.produce("run-evidence", *args, expect=1)
    assert "outside the surrogate's training domain" in refused.stderr
    assert "--allow-extrapolation" in refused.stderr and not out.exists()
    project.produce("run-evidence", *args, "--allow-extrapolation")
    summary = json.loads(out.read_text())["summary"]
    assert 0.0 < summary["out_of_domain_fraction"] < 1.0
    assert summary["n_audit"] == 24  # at least 30 audited, or everyone when fewer
    low, high = summary["rmse_ci95"]
    assert low <= summary["rmse"] <= high


def test_qualification_samples_the_training_dose_range(surrogate_v2):
    project, model = surrogate_v2
    Path(project.path("eval2.json")).write_text(json.dumps({"seed": 9, "n_patients": 50}))
    report = Path(project.path("out/eval2.json"))
    project.produce(
        "surrogate-eval",
        "--surrogate",
        model,
        "--eval-config",
        project.path("eval2.json"),
        "--out-report",
        str(report),
    )
    metrics = json.loads(report.read_text())["metrics"]
    strata = metrics["rmse_by_dose_stratum"]
    assert len(strata) == 5 and all(label.endswith(" mg") for label in strata)
    assert json.loads(report.read_text())["config"]["doses_mg"] is None  # uniform, not arms
    assert metrics["n_patients"] == 50


def test_rl_evaluation_compares_with_baselines_on_paired_patients(project):
    env = {"dose_levels_mg": [60.0, 120.0, 175.0], "anc_bin_edges": [0.5, 1.0, 1.5]}
    Path(project.path("env2.json")).write_text(json.dumps(env))
    policy, report = project.path("policy2.json"), Path(project.path("out/rl2.json"))
    env_args = ("--env-config", project.path("env2.json"))
    project.produce(
        "train-policy-rl",
        *env_args,
        "--train-config",
        project.path("rltrain.json"),
        "--out-policy",
        policy,
    )
    assert json.loads(Path(policy).read_text())["env"]["model_version"] == 2
    project.produce(
        "eval-policy-rl",
        *env_args,
        "--policy",
        policy,
        "--n-episodes",
        "12",
        "--out-report",
        str(report),
    )
    document = json.loads(report.read_text())
    metrics, baselines = document["metrics"], document["baselines"]
    assert set(baselines) == {"fixed 60 mg", "fixed 120 mg", "fixed 175 mg", "titration"}
    titration = baselines["titration"]
    assert metrics["reward_minus_titration"] == pytest.approx(
        metrics["avg_reward"] - titration["avg_reward"]
    )
    low, high = metrics["avg_reward_ci95"]
    assert low <= metrics["avg_reward"] <= high
    assert "grade4_penalty" in document["reward"]
    assert baselines["fixed 175 mg"]["mean_dose_mg"] == 175.0


def test_titration_steps_down_after_grade_4_and_up_after_recovery(example_spec):
    from medlang.sim.rl import DoseEnv, EnvSettings
    from medlang.sim.rl_eval import Titration

    env = EnvSettings((75.0, 125.0, 175.0, 225.0), 2, (0.5, 1.0), (0.7,), 1.0, 2.0, 0.2, 1.0, 1.0)
    rng = np.random.default_rng(0)
    from medlang.sim.population import sample_patients

    sim = DoseEnv(example_spec, env, sample_patients(example_spec, 3, rng))
    rule = Titration()
    rule.start(3, env)
    assert rule.act(sim).tolist() == [2, 2, 2]  # 175 mg
    sim.cycle, sim.last_nadir = 1, np.array([0.3, 1.2, 2.0])
    assert rule.act(sim).tolist() == [1, 2, 3]
