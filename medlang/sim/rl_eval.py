"""Honest evaluation of dosing policies: a learned policy against fixed doses and a
titration rule, all played on the same (paired) virtual patients, with 95% CIs.

Policies see what a clinician sees at the start of a cycle (the environment's
observation: cycle, last ANC nadir, last assessed tumour size) and pick a dose
level. ``rollouts`` draws the patients from the seed exactly as
``medlang.sim.rl.greedy_rollouts`` does, so every policy meets the same patients
and differences are paired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from medlang.sim.params import TrialSpec
from medlang.sim.population import sample_patients
from medlang.sim.rl import DoseEnv, EnvSettings, Rollouts

Z95 = 1.959963984540054


class Policy:
    name: str

    def start(self, n: int, env: EnvSettings) -> None:
        """A new batch of ``n`` patients begins."""

    def act(self, sim: DoseEnv) -> np.ndarray:
        raise NotImplementedError


@dataclass
class GreedyQ(Policy):
    table: np.ndarray
    name: str = "Q-learning"

    def act(self, sim: DoseEnv) -> np.ndarray:
        return self.table[sim.observe()].argmax(axis=1)


@dataclass
class FixedDose(Policy):
    level: int
    name: str = ""

    def act(self, sim: DoseEnv) -> np.ndarray:
        return np.full(sim.population.n, self.level)


@dataclass
class Titration(Policy):
    """Start at ``start_mg``; one level down after a cycle with grade 4 (nadir below
    the DLT threshold), one level up after a nadir >= ``up_anc`` (x 10^9/L)."""

    start_mg: float = 175.0
    up_anc: float = 1.5
    name: str = "titration"

    def start(self, n: int, env: EnvSettings) -> None:
        levels = np.asarray(env.dose_levels_mg)
        self.levels = np.full(n, int(np.abs(levels - self.start_mg).argmin()))
        self.top = len(levels) - 1

    def act(self, sim: DoseEnv) -> np.ndarray:
        if sim.cycle > 0:
            nadir = np.nan_to_num(sim.last_nadir, nan=0.0)
            down = nadir < sim.spec.thresholds.dlt_anc
            up = nadir >= self.up_anc
            self.levels = np.clip(self.levels - down + (up & ~down), 0, self.top)
        return self.levels.copy()


def rollouts(
    spec: TrialSpec,
    env: EnvSettings,
    policy: Policy,
    n_episodes: int,
    seed: int,
    batch_size: int = 50,
    progress=None,
) -> Rollouts:
    """Play ``policy`` on ``n_episodes`` patients drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    parts: list[Rollouts] = []
    for first in range(0, n_episodes, batch_size):
        n = min(batch_size, n_episodes - first)
        sim = DoseEnv(spec, env, sample_patients(spec, n, rng))
        policy.start(n, env)
        total, doses = np.zeros(n), []
        while not sim.done:
            actions = policy.act(sim)
            doses.append(np.asarray(env.dose_levels_mg)[actions])
            total += sim.step(actions)
        responder = sim.responder
        parts.append(
            Rollouts(
                total,
                responder & ~sim.dlt,
                sim.dlt,
                responder,
                sim.violations,
                np.column_stack(doses),
            )
        )
        if progress is not None:
            progress(n)
    return Rollouts(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in Rollouts.__dataclass_fields__)
    )


def mean_ci(values: np.ndarray) -> list[float]:
    values = np.asarray(values, dtype=float)
    half = Z95 * values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return [float(values.mean() - half), float(values.mean() + half)]


def wilson_ci(successes: np.ndarray) -> list[float]:
    n = len(successes)
    if n == 0:
        return [math.nan, math.nan]
    p = float(np.mean(successes))
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return [centre - half, centre + half]


def summary(r: Rollouts) -> dict:
    return {
        "avg_reward": float(r.rewards.mean()),
        "avg_reward_ci95": mean_ci(r.rewards),
        "success_rate": float(r.success.mean()),
        "success_rate_ci95": wilson_ci(r.success),
        "response_rate": float(r.responder.mean()),
        "response_rate_ci95": wilson_ci(r.responder),
        "dlt_rate": float(r.dlt.mean()),
        "dlt_rate_ci95": wilson_ci(r.dlt),
        "mean_dose_mg": float(r.doses.mean()),
    }


def baselines(env: EnvSettings) -> list[Policy]:
    fixed: list[Policy] = [
        FixedDose(level, name=f"fixed {dose:g} mg") for level, dose in enumerate(env.dose_levels_mg)
    ]
    return [*fixed, Titration()]


def compare(
    spec: TrialSpec,
    env: EnvSettings,
    policy: Policy,
    n_episodes: int,
    seed: int,
    played: Rollouts | None = None,
) -> tuple[Rollouts, dict]:
    """``policy`` (or its ``played`` rollouts) and every baseline on the same patients:
    per-baseline summaries with the paired difference (policy - baseline) and 95% CIs."""
    if played is None:
        played = rollouts(spec, env, policy, n_episodes, seed)
    table = {}
    for baseline in baselines(env):
        other = rollouts(spec, env, baseline, n_episodes, seed)
        row = summary(other)
        difference = played.rewards - other.rewards
        row["reward_difference"] = float(difference.mean())
        row["reward_difference_ci95"] = mean_ci(difference)
        row["success_difference"] = float(played.success.mean() - other.success.mean())
        row["success_difference_ci95"] = mean_ci(
            played.success.astype(float) - other.success.astype(float)
        )
        table[baseline.name] = row
    return played, table
