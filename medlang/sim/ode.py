"""The mechanistic PK/PD model: an ODE system integrated with fixed-step RK4.

State rows (see ``contracts``): drug amount A (mg), sum of tumour diameters TS
(mm), and the Friberg chain Prol, Transit1-3, Circ (10^9 cells/L).

    dA/dt    = -CL/V * A                                 (one compartment)
    dTS/dt   = (KL - KD0 * exp(-lambda * t) * C) * TS       (Claret 2009)
    dProl/dt = ktr * Prol * ((1 - E) * (Circ0/Circ)^gamma - 1)  (Friberg 2002)
    dT_i/dt  = ktr * (T_{i-1} - T_i),  dCirc/dt = ktr * (T3 - Circ)
    C = A / V (mg/L),  E = slope * C_umol,  ktr = 4 / MTT

Patients are integrated in blocks of ``block_size``: within a block every numpy
call works on all its patients, and the cost of a solve grows with the number of
patients simulated, as it would for a per-patient solver. (Integrating all
patients in one block makes a 300-patient solve cost about 1.6 times a
30-patient one at these sizes, because numpy's per-call overhead dominates; the
hybrid backend's saving is simulating fewer patients, so the cost model must
reflect that. Measured in BENCHMARKS.md.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medlang.sim.contracts import AMOUNT, CIRC, PROL, TUMOUR, ViolationCounter
from medlang.sim.population import Population

HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class Rates:
    """Per-patient rate constants in per-hour units, derived once from a Population."""

    k_el: np.ndarray
    inv_v: np.ndarray
    growth: np.ndarray
    kill0: np.ndarray
    resistance: np.ndarray
    ktr: np.ndarray
    circ0: np.ndarray
    gamma: np.ndarray
    slope_mg_l: np.ndarray

    @classmethod
    def of(cls, population: Population, molar_mass: float) -> Rates:
        p = population
        return cls(
            k_el=p["cl_l_per_h"] / p["v_l"],
            inv_v=1.0 / p["v_l"],
            growth=p["growth_per_day"] / HOURS_PER_DAY,
            kill0=p["kill_per_mg_l_per_day"] / HOURS_PER_DAY,
            resistance=p["resistance_per_day"] / HOURS_PER_DAY,
            ktr=4.0 / p["mtt_h"],
            circ0=p["circ0"],
            gamma=p["gamma"],
            # E = slope [per umol/L] * C [mg/L] * 1000 / molar mass [g/mol]
            slope_mg_l=p["slope_per_umol_l"] * 1000.0 / molar_mass,
        )

    def block(self, index: slice) -> Rates:
        return Rates(**{name: value[index] for name, value in vars(self).items()})


def initial_state(population: Population) -> np.ndarray:
    """No drug, baseline tumour, bone marrow at its steady state (all pools = Circ0)."""
    state = np.empty((7, population.n))
    state[AMOUNT] = 0.0
    state[TUMOUR] = population["baseline_tumour_mm"]
    state[PROL:] = population["circ0"]
    return state


def _derivative(y: np.ndarray, t_h: float, r: Rates) -> np.ndarray:
    d = np.empty_like(y)
    conc = y[AMOUNT] * r.inv_v
    d[AMOUNT] = -r.k_el * y[AMOUNT]
    d[TUMOUR] = (r.growth - r.kill0 * np.exp(-r.resistance * t_h) * conc) * y[TUMOUR]
    feedback = (r.circ0 / y[CIRC]) ** r.gamma
    d[PROL] = r.ktr * y[PROL] * ((1.0 - r.slope_mg_l * conc) * feedback - 1.0)
    d[PROL + 1 :] = r.ktr * (y[PROL:CIRC] - y[PROL + 1 :])
    return d


@dataclass(frozen=True)
class CycleResult:
    state: np.ndarray  # (7, n) at the end of the cycle, before the next dose
    anc_nadir: np.ndarray  # (n,) lowest Circ during the cycle


@dataclass(frozen=True)
class StepSchedule:
    """Fixed steps: fine while the drug is present (the drug effect makes the system
    stiff right after a bolus), coarse for the rest of the cycle."""

    step_h: float = 1.0
    post_dose_step_h: float = 0.1
    post_dose_h: float = 48.0

    def segments(self, cycle_h: float) -> list[tuple[int, float]]:
        """(number of steps, step length) pairs covering one cycle exactly."""
        fine_h = min(self.post_dose_h, cycle_h)
        segments = []
        for length, step in ((fine_h, self.post_dose_step_h), (cycle_h - fine_h, self.step_h)):
            if length > 0:
                n_steps = max(1, round(length / step))
                segments.append((n_steps, length / n_steps))
        return segments


def run_cycle(
    state: np.ndarray,
    rates: Rates,
    dose_mg: np.ndarray,
    start_h: float,
    cycle_h: float,
    schedule: StepSchedule,
    violations: ViolationCounter,
    block_size: int,
) -> CycleResult:
    """Dose (IV bolus) at ``start_h`` and integrate one cycle, block by block."""
    n = state.shape[1]
    end_state = np.empty_like(state)
    nadir = np.empty(n)
    segments = schedule.segments(cycle_h)
    for first in range(0, n, block_size):
        block = slice(first, min(first + block_size, n))
        y = state[:, block].copy()
        y[AMOUNT] += dose_mg[block]
        y, nadir[block] = _integrate(y, rates.block(block), start_h, segments, violations, block)
        end_state[:, block] = y
    return CycleResult(end_state, nadir)


def _integrate(
    y: np.ndarray,
    r: Rates,
    start_h: float,
    segments: list[tuple[int, float]],
    violations: ViolationCounter,
    patients: slice,
) -> tuple[np.ndarray, np.ndarray]:
    nadir = y[CIRC].copy()
    t = start_h
    next_check = start_h + HOURS_PER_DAY
    last_check = start_h
    with np.errstate(all="ignore"):  # overflow/NaN are counted by the contracts
        for n_steps, h in segments:
            for _ in range(n_steps):
                k1 = _derivative(y, t, r)
                k2 = _derivative(y + (0.5 * h) * k1, t + 0.5 * h, r)
                k3 = _derivative(y + (0.5 * h) * k2, t + 0.5 * h, r)
                k4 = _derivative(y + h * k3, t + h, r)
                y = y + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
                t += h
                nadir = np.minimum(nadir, y[CIRC])  # NaN propagates: never hidden
                if t >= next_check - 1e-9:
                    violations.check(y, patients)
                    last_check, next_check = t, next_check + HOURS_PER_DAY
        if last_check < t - 1e-9:  # the cycle does not end on a day boundary
            violations.check(y, patients)
    return y, nadir
