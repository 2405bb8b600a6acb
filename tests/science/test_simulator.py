"""The simulator's science: determinism, sane endpoints, contracts, surrogate, RL."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from medlang.sim.contracts import ViolationCounter
from medlang.sim.hybrid import Routing, run_evidence
from medlang.sim.mlp import AdamSettings
from medlang.sim.ode import Rates, initial_state, run_cycle
from medlang.sim.params import Arm, MarrowParams, Param, TrialSpec
from medlang.sim.population import trial_population
from medlang.sim.rl import EnvSettings, QLearning, convergence_episode, greedy_rollouts, train_q
from medlang.sim.surrogate import Surrogate
from medlang.sim.surrogate_fit import SurrogateTraining, error_metrics, fit_surrogate
from medlang.sim.trial import simulate, summarise


def small_spec(**changes) -> TrialSpec:
    spec = TrialSpec(
        arms=(Arm("low", 60.0), Arm("high", 240.0)), patients_per_arm=30, cycles=2, seed=3
    )
    return dataclasses.replace(spec, **changes)


@pytest.fixture(scope="module")
def typical_outcome():
    spec = small_spec()
    population = trial_population(spec)
    return spec, population, simulate(spec, population)


def test_same_seed_same_endpoints_and_another_seed_differs(typical_outcome):
    spec, population, outcome = typical_outcome
    again = simulate(spec, trial_population(spec))
    np.testing.assert_array_equal(again.endpoints.best_rts, outcome.endpoints.best_rts)
    np.testing.assert_array_equal(again.endpoints.anc_nadir, outcome.endpoints.anc_nadir)
    other = trial_population(spec, seed=4)
    assert not np.array_equal(other["cl_l_per_h"], population["cl_l_per_h"])


def test_higher_dose_gives_more_response_and_more_dlt(typical_outcome):
    spec, population, outcome = typical_outcome
    summary = summarise(spec, population, outcome.endpoints)
    assert summary.orr_by_arm["high"] > summary.orr_by_arm["low"]
    assert summary.dlt_rate_by_arm["high"] > summary.dlt_rate_by_arm["low"]
    low, high = population.arm_index == 0, population.arm_index == 1
    assert np.median(outcome.endpoints.anc_nadir[high]) < np.median(
        outcome.endpoints.anc_nadir[low]
    )


def test_typical_parameters_break_no_contract(typical_outcome):
    spec, population, outcome = typical_outcome
    assert outcome.violations.total == 0
    assert np.isfinite(outcome.endpoints.best_rts).all()
    # nadir below baseline, above zero: the Friberg chain stays physiological
    assert (outcome.endpoints.anc_nadir > 0).all()
    assert (outcome.endpoints.anc_nadir < population["circ0"]).all()


def test_pathological_parameters_are_counted_not_hidden():
    # A drug effect 1000x too strong with coarse steps makes RK4 blow up.
    marrow = dataclasses.replace(MarrowParams(), slope_per_umol_l=Param(8580.0, 0.0))
    spec = small_spec(marrow=marrow, post_dose_step_hours=2.0, patients_per_arm=5)
    population = trial_population(spec)
    outcome = simulate(spec, population)
    counts = outcome.violations.counts
    assert counts["non_finite_state"] > 0
    assert outcome.violations.total == sum(counts.values())
    assert (outcome.violations.per_patient > 0).all()
    summary = summarise(spec, population, outcome.endpoints)
    assert summary.n_non_finite_patients == population.n
    assert np.isnan(outcome.endpoints.anc_nadir).all()  # not clipped into a "valid" value


def test_block_size_does_not_change_results(typical_outcome):
    spec, population, outcome = typical_outcome
    for block_size in (7, population.n):
        blocked = simulate(spec, population, block_size=block_size)
        np.testing.assert_array_equal(blocked.endpoints.best_rts, outcome.endpoints.best_rts)
        np.testing.assert_array_equal(blocked.endpoints.anc_nadir, outcome.endpoints.anc_nadir)


def _plain_rk4_cycle(y: np.ndarray, r: Rates, start_h: float, segments) -> tuple:
    """The textbook formulas of medlang.sim.ode, one allocation per operation."""

    def derivative(y: np.ndarray, t: float) -> np.ndarray:
        d = np.empty_like(y)
        conc = y[0] * r.inv_v
        d[0] = -r.k_el * y[0]
        d[1] = (r.growth - r.kill0 * np.exp(-r.resistance * t) * conc) * y[1]
        feedback = (r.circ0 / y[6]) ** r.gamma
        d[2] = r.ktr * y[2] * ((1.0 - r.slope_mg_l * conc) * feedback - 1.0)
        d[3:] = r.ktr * (y[2:6] - y[3:])
        return d

    nadir, t = y[6].copy(), start_h
    for n_steps, h in segments:
        for _ in range(n_steps):
            k1 = derivative(y, t)
            k2 = derivative(y + (0.5 * h) * k1, t + 0.5 * h)
            k3 = derivative(y + (0.5 * h) * k2, t + 0.5 * h)
            k4 = derivative(y + h * k3, t + h)
            y = y + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            t += h
            nadir = np.minimum(nadir, y[6])
    return y, nadir


def test_solver_matches_plain_rk4_bit_for_bit():
    """The buffered, row-stacked solver does the same float operations in the same order."""
    spec = small_spec(patients_per_arm=4, cycle_days=3)
    population = trial_population(spec)
    rates = Rates.of(population, spec.pk.molar_mass_g_per_mol)
    state = initial_state(population)
    cycle_h = spec.cycle_days * 24.0
    counter = ViolationCounter(population.n)
    fast = run_cycle(state, rates, population.dose_mg, cycle_h, cycle_h, spec.schedule, counter, 5)
    dosed = state.copy()
    dosed[0] += population.dose_mg
    y, nadir = _plain_rk4_cycle(dosed, rates, cycle_h, spec.schedule.segments(cycle_h))
    np.testing.assert_array_equal(fast.state, y)
    np.testing.assert_array_equal(fast.anc_nadir, nadir)
    assert not np.array_equal(y, dosed)  # the cycle did integrate something


@pytest.fixture(scope="module")
def surrogate():
    spec = small_spec()
    settings = SurrogateTraining(80, 50.0, 250.0, (16,), AdamSettings(epochs=60), 0.25, seed=5)
    model, metrics = fit_surrogate(spec, settings, "Small", "fp")
    return spec, model, metrics


def test_surrogate_learns_and_round_trips_through_json(surrogate):
    spec, model, metrics = surrogate
    assert metrics["val_loss"] < 0.5  # standardised: 1.0 would be predicting the mean
    population = trial_population(spec, seed=9)
    reloaded = Surrogate.from_json(json.loads(json.dumps(model.to_json())))
    np.testing.assert_array_equal(
        reloaded.predict(population).best_rts, model.predict(population).best_rts
    )
    errors = error_metrics(model.predict(population), simulate(spec, population).endpoints)
    assert errors["r_squared"] > 0.5


def test_adaptive_hybrid_routes_uncertain_patients_to_the_mechanistic_model(surrogate):
    spec, model, _ = surrogate
    population = trial_population(spec, seed=9)
    mech = run_evidence(spec, population, Routing("mechanistic"), None)
    strict = run_evidence(spec, population, Routing("adaptive", 10.0, 0.0), model)
    assert strict.metrics["mech_fraction"] == 1.0
    assert strict.summary.orr == mech.summary.orr
    loose = run_evidence(spec, population, Routing("adaptive", 0.0, 0.0), model)
    out_of_domain = ~model.in_domain(population)
    assert loose.metrics["mech_fraction"] == pytest.approx(out_of_domain.mean())


def rl_setup():
    env = EnvSettings((60.0, 200.0), 2, (0.5, 1.0), (0.7, 1.0), 1.0, 2.0, 0.2, 1.0, 1.0)
    q = QLearning(20, 10, 0.2, 0.9, 1.0, 0.05, 0.9, 5, 0.1, seed=1)
    return small_spec(), env, q


def test_q_learning_is_deterministic_and_decays_epsilon():
    spec, env, q = rl_setup()
    table, returns, epsilon = train_q(spec, env, q)
    table2, returns2, _ = train_q(spec, env, q)
    np.testing.assert_array_equal(table, table2)
    np.testing.assert_array_equal(returns, returns2)
    assert epsilon == pytest.approx(max(0.05, 0.9**19))
    assert table.shape == (env.n_states, 2) and np.abs(table).sum() > 0
    rollouts = greedy_rollouts(spec, env, table, 6, seed=2)
    assert rollouts.doses.shape == (6, 2)
    assert set(np.unique(rollouts.doses)) <= {60.0, 200.0}


def test_convergence_episode_finds_where_the_average_settles():
    returns = np.concatenate([np.linspace(-5, 0, 50), np.zeros(50)])
    # returns settle at episode 50; the 10-episode average ending at episode 59 is
    # the first whose window holds no unsettled episode
    assert convergence_episode(returns, window=10, tolerance=0.01) == 59
    assert convergence_episode(np.zeros(30), window=10, tolerance=0.01) == 10


def test_each_invariant_is_counted_per_patient_and_check_point():
    from medlang.sim.contracts import CIRC, PROL, TUMOUR, ViolationCounter

    state = np.ones((7, 4))
    state[TUMOUR, 0] = -1.0  # negative size
    state[CIRC, 1] = 500.0  # ANC far above physiological
    state[PROL, 2] = -0.1  # negative cell count
    state[TUMOUR, 3] = np.inf  # non-finite
    counter = ViolationCounter(6)
    counter.check(state, slice(2, 6))
    counter.check(state, slice(2, 6))
    assert counter.counts == {
        "non_finite_state": 2,
        "negative_drug_amount": 0,
        "negative_tumour_size": 2,
        "negative_cell_count": 2,
        "anc_above_physiological": 2,
        "tumour_above_physiological": 2,  # inf is also above the bound
    }
    assert counter.per_patient.tolist() == [0, 0, 2, 2, 2, 4]
