"""Dose selection as reinforcement learning: an environment over treatment cycles on
the mechanistic PK/PD model, and tabular Q-learning with decaying epsilon.

State at the start of each cycle: (cycle index, ANC bin, tumour bin), where the ANC
bin comes from the previous cycle's nadir (baseline ANC before cycle 1) and the
tumour bin from the relative tumour size (RTS) at the end of the previous cycle.
Action: one of the dose levels. Reward for a cycle:

    tumour_weight * (RTS_before - RTS_after)
    - grade3_penalty * [0.5 <= nadir < 1.0] - grade4_penalty * [nadir < 0.5]
    - violation_penalty * (contract violations during the cycle)
    + response_bonus * [responder] (last cycle only; responder: best RTS <= 0.7)

An episode is one virtual patient; a DLT is grade 4 neutropenia in any cycle;
success is a response without DLT.

Model version 2 shares the trial's assessment schedule and protocol: the tumour is
assessed (observed, rewarded, and counted towards response) only at the trial's
visit cycles, the state keeps the last assessed size in between, response follows
the protocol's definition (unconfirmed or RECIST-confirmed), and a DLT follows the
protocol's DLT definition in every cycle. (Model version 1 assesses every cycle.)
Episodes run in parallel batches (one ODE solve per cycle for the whole batch),
updates are applied in episode order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from medlang.sim.contracts import TUMOUR, ViolationCounter
from medlang.sim.ode import HOURS_PER_DAY, Rates, initial_state, run_cycle
from medlang.sim.params import TrialSpec
from medlang.sim.population import Population, sample_patients


@dataclass(frozen=True)
class EnvSettings:
    dose_levels_mg: tuple[float, ...]
    cycles: int
    anc_bin_edges: tuple[float, ...]  # ascending, 10^9/L
    rts_bin_edges: tuple[float, ...]  # ascending, relative tumour size
    tumour_weight: float
    response_bonus: float
    grade3_penalty: float
    grade4_penalty: float
    violation_penalty: float

    @property
    def state_shape(self) -> tuple[int, int, int]:
        return (self.cycles, len(self.anc_bin_edges) + 1, len(self.rts_bin_edges) + 1)

    @property
    def n_states(self) -> int:
        cycles, anc, rts = self.state_shape
        return cycles * anc * rts


@dataclass(frozen=True)
class QLearning:
    episodes: int
    batch_size: int
    learning_rate: float
    discount: float
    epsilon_start: float
    epsilon_min: float
    epsilon_decay: float  # multiplicative, per episode
    convergence_window: int
    convergence_tolerance: float
    seed: int


@dataclass(frozen=True)
class Rollouts:
    rewards: np.ndarray  # (n,) episode returns
    success: np.ndarray  # (n,) bool
    dlt: np.ndarray
    responder: np.ndarray
    violations: np.ndarray  # (n,) int
    doses: np.ndarray  # (n, cycles)


class DoseEnv:
    """A batch of patients stepping through cycles together."""

    def __init__(self, spec: TrialSpec, env: EnvSettings, patients: dict[str, np.ndarray]):
        n = len(patients["weight_kg"])
        self.spec, self.env = spec, env
        self.population = Population(patients, np.zeros(n), np.zeros(n, dtype=int))
        self.rates = Rates.of(self.population, spec.pk.molar_mass_g_per_mol)
        self.state = initial_state(self.population)
        self.baseline = self.population["baseline_tumour_mm"]
        self.rts = np.ones(n)
        self.best_rts = np.ones(n)
        self.last_nadir = self.population["circ0"].copy()
        self.dlt = np.zeros(n, dtype=bool)
        self.violations = np.zeros(n, dtype=np.int64)
        self.cycle = 0
        self.model2 = None
        if spec.model_version >= 2:
            from medlang.sim.model2 import Model2Run
            from medlang.sim.trial import visit_cycles

            self.model2 = Model2Run(spec, self.population, block_size=max(1, n))
            self.visits = visit_cycles(replace(spec, cycles=env.cycles))
            self.visit_rts: list[np.ndarray] = []

    def observe(self) -> np.ndarray:
        """Flat state index per patient."""
        _, n_anc, n_rts = self.env.state_shape
        with np.errstate(invalid="ignore"):
            anc = np.searchsorted(self.env.anc_bin_edges, np.nan_to_num(self.last_nadir))
            rts = np.searchsorted(self.env.rts_bin_edges, np.nan_to_num(self.rts, nan=1e9))
        return (self.cycle * n_anc + anc) * n_rts + rts

    def step(self, actions: np.ndarray) -> np.ndarray:
        """Give each patient its dose level for this cycle; return the cycle's rewards."""
        if self.model2 is not None:
            return self._step_model2(actions)
        env, spec = self.env, self.spec
        cycle_h = spec.cycle_days * HOURS_PER_DAY
        counter = ViolationCounter(self.population.n)
        dose = np.asarray(env.dose_levels_mg, dtype=float)[actions]
        result = run_cycle(
            self.state,
            self.rates,
            dose,
            self.cycle * cycle_h,
            cycle_h,
            spec.schedule,
            counter,
            block_size=self.population.n,
        )
        self.state = result.state
        rts = self.state[TUMOUR] / self.baseline
        nadir = result.anc_nadir
        with np.errstate(invalid="ignore"):
            grade4 = nadir < spec.thresholds.dlt_anc
            grade3 = (nadir < spec.thresholds.grade3_anc) & ~grade4
            reward = env.tumour_weight * np.nan_to_num(self.rts - rts, nan=0.0)
            self.best_rts = np.minimum(self.best_rts, rts)  # NaN: not a responder
        reward -= env.grade3_penalty * grade3 + env.grade4_penalty * grade4
        reward -= env.violation_penalty * counter.per_patient
        self.rts, self.last_nadir = rts, nadir
        self.dlt |= grade4
        self.violations += counter.per_patient
        self.cycle += 1
        if self.done:
            reward += env.response_bonus * self.responder
        return reward

    def _step_model2(self, actions: np.ndarray) -> np.ndarray:
        from medlang.sim.trial import GRADE4_DLT_DAYS, confirmed_responders

        env, spec = self.env, self.spec
        counter = ViolationCounter(self.population.n)
        dose = np.asarray(env.dose_levels_mg, dtype=float)[actions]
        needs_duration = spec.protocol.dlt == "grade4_7days_or_fn"
        outcome = self.model2.run_cycle(dose, counter, timing=needs_duration)
        nadir = outcome.anc_nadir
        with np.errstate(invalid="ignore"):
            grade4 = nadir < spec.thresholds.dlt_anc
            grade3 = (nadir < spec.thresholds.grade3_anc) & ~grade4
            dlt = grade4
            if spec.protocol.dlt == "grade4_7days_or_fn":
                dlt = grade4 & (outcome.grade4_hours / HOURS_PER_DAY >= GRADE4_DLT_DAYS)
        reward = np.zeros(self.population.n)
        self.cycle += 1
        if self.cycle in self.visits:  # an assessment: the tumour is seen
            rts = outcome.rts_end
            with np.errstate(invalid="ignore"):
                reward += env.tumour_weight * np.nan_to_num(self.rts - rts, nan=0.0)
                self.best_rts = np.minimum(self.best_rts, rts)
            self.visit_rts.append(rts)
            self.rts = rts
        reward -= env.grade3_penalty * grade3 + env.grade4_penalty * grade4
        reward -= env.violation_penalty * counter.per_patient
        self.last_nadir = nadir
        self.dlt |= dlt
        self.violations += counter.per_patient
        if self.done:
            if spec.protocol.response == "confirmed":
                assessed = replace(spec, cycles=env.cycles)
                self._responder = confirmed_responders(assessed, np.array(self.visit_rts))
            reward += env.response_bonus * self.responder
        return reward

    @property
    def done(self) -> bool:
        return self.cycle >= self.env.cycles

    @property
    def responder(self) -> np.ndarray:
        confirmed = getattr(self, "_responder", None)
        if confirmed is not None:
            return confirmed
        return self.best_rts <= self.spec.responder_rts


def train_q(spec: TrialSpec, env: EnvSettings, q: QLearning, progress=None):
    """Tabular Q-learning; returns (Q table, per-episode returns, final epsilon)."""
    rng = np.random.default_rng(q.seed)
    table = np.zeros((env.n_states, len(env.dose_levels_mg)))
    returns = np.empty(q.episodes)
    epsilon = q.epsilon_start
    for first in range(0, q.episodes, q.batch_size):
        n = min(q.batch_size, q.episodes - first)
        episode_index = np.arange(first, first + n)
        epsilon_of = np.maximum(q.epsilon_min, q.epsilon_start * q.epsilon_decay**episode_index)
        sim = DoseEnv(spec, env, sample_patients(spec, n, rng))
        total = np.zeros(n)
        while not sim.done:
            states = sim.observe()
            greedy = table[states].argmax(axis=1)
            explore = rng.random(n) < epsilon_of
            actions = np.where(explore, rng.integers(0, table.shape[1], n), greedy)
            rewards = sim.step(actions)
            total += rewards
            next_states = None if sim.done else sim.observe()
            for i in range(n):  # sequential updates keep episode order meaningful
                target = rewards[i]
                if next_states is not None:
                    target += q.discount * table[next_states[i]].max()
                cell = (states[i], actions[i])
                table[cell] += q.learning_rate * (target - table[cell])
        returns[first : first + n] = total
        epsilon = float(epsilon_of[-1])
        if progress is not None:
            progress(n)
    return table, returns, epsilon


def convergence_episode(returns: np.ndarray, window: int, tolerance: float) -> int:
    """Episodes until the moving-average return stays within ``tolerance`` of its final value."""
    window = max(1, min(window, len(returns)))
    moving = np.convolve(returns, np.ones(window) / window, mode="valid")
    outside = np.flatnonzero(np.abs(moving - moving[-1]) > tolerance)
    return int(window if len(outside) == 0 else outside[-1] + 1 + window)


def greedy_rollouts(
    spec: TrialSpec,
    env: EnvSettings,
    table: np.ndarray,
    n_episodes: int,
    seed: int,
    batch_size: int = 50,
    progress=None,
) -> Rollouts:
    """Play the greedy policy on fresh patients (patients drawn from ``seed``): the one
    rollout loop of ``medlang.sim.rl_eval``, with the Q-table's greedy choice."""
    from medlang.sim.rl_eval import GreedyQ, rollouts  # rl_eval builds on this module

    return rollouts(spec, env, GreedyQ(table), n_episodes, seed, batch_size, progress)
