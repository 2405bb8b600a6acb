"""The mechanistic PK/PD model: an ODE system integrated with fixed-step RK4.

State rows (see ``contracts``): drug amount A (mg), sum of tumour diameters TS
(mm), and the Friberg chain Prol, Transit1-3, Circ (10^9 cells/L).

    dA/dt    = -CL/V * A                                 (one compartment)
    dTS/dt   = (KL - KD0 * exp(-lambda * t) * C) * TS       (Claret 2009)
    dProl/dt = ktr * Prol * ((1 - E) * (Circ0/Circ)^gamma - 1)  (Friberg 2002)
    dT_i/dt  = ktr * (T_{i-1} - T_i),  dCirc/dt = ktr * (T3 - Circ)
    C = A / V (mg/L),  E = slope * C_umol,  ktr = 4 / MTT

All patients are integrated together: every numpy call in the RK4 loop works on
one row per patient, so a step costs a fixed per-call overhead (which dominates
below about a thousand patients) plus arithmetic proportional to the number of
patients. Blocks (``block_size``) only bound memory for very large populations;
they do not change any result.

The loop reuses preallocated buffers and stacks rows that share an operand (drug
concentration and elimination both scale the amount A; the kill term and the drug
effect both scale the concentration), which cuts the numpy calls per step by about
a third and avoids allocating temporaries. Every value is computed by the same
floating-point operations in the same order as the plain formulas above, so
results are bit-for-bit those of the straightforward implementation (tested).
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
    """Dose (IV bolus) at ``start_h`` and integrate one cycle, ``block_size`` patients
    at a time (a memory bound only: blocks do not change results)."""
    n = state.shape[1]
    end_state = np.empty_like(state)
    nadir = np.empty(n)
    segments = schedule.segments(cycle_h)
    for first in range(0, n, block_size):
        block = slice(first, min(first + block_size, n))
        y = state[:, block].copy()
        y[AMOUNT] += dose_mg[block]
        solver = _Rk4(rates.block(block), y.shape[1])
        nadir[block] = solver.integrate(y, start_h, segments, violations, block)
        end_state[:, block] = y
    return CycleResult(end_state, nadir)


class _Rk4:
    """Classic RK4 for one block of patients, in place, with preallocated buffers.

    Each derivative buffer has 8 rows: row 0 receives the concentration C, rows 1-7
    dy/dt, so ``[1/V, -k_el] * A`` yields C and dA/dt in one call. The kill term
    and the drug effect share C the same way: ``[kill(t), slope] * C``, then
    ``[growth, 1] - that``.
    """

    def __init__(self, r: Rates, n: int) -> None:
        self.r = r
        self.amount_factors = np.stack([r.inv_v, -r.k_el])
        self.offsets = np.stack([r.growth, np.ones(n)])
        self.neg_resistance = -r.resistance
        # [kill(t), slope] at the start, middle and end of a step
        self.conc_factors = [np.stack([np.empty(n), r.slope_mg_l]) for _ in range(3)]
        self.k = [np.empty((8, n)) for _ in range(4)]
        self.stage = np.empty((7, n))
        self.terms = np.empty((2, n))
        self.feedback = np.empty(n)

    def integrate(
        self,
        y: np.ndarray,
        start_h: float,
        segments: list[tuple[int, float]],
        violations: ViolationCounter,
        patients: slice,
    ) -> np.ndarray:
        """Advance ``y`` (7, n) in place over the segments; return the ANC nadir."""
        nadir = y[CIRC].copy()
        t = start_h
        next_check = start_h + HOURS_PER_DAY
        last_check = start_h
        start, mid, end = self.conc_factors
        with np.errstate(all="ignore"):  # overflow/NaN are counted by the contracts
            self._kill_at(t, start)
            for n_steps, h in segments:
                for _ in range(n_steps):
                    self._kill_at(t + 0.5 * h, mid)
                    self._kill_at(t + h, end)
                    self._step(y, h, start, mid, end)
                    t += h
                    start, end = end, start  # kill(t + h) is the next step's kill(t)
                    np.minimum(nadir, y[CIRC], out=nadir)  # NaN propagates: never hidden
                    if t >= next_check - 1e-9:
                        violations.check(y, patients)
                        last_check, next_check = t, next_check + HOURS_PER_DAY
            if last_check < t - 1e-9:  # the cycle does not end on a day boundary
                violations.check(y, patients)
        return nadir

    def _kill_at(self, t_h: float, factors: np.ndarray) -> None:
        """factors[0] = KD0 * exp(-lambda * t)"""
        kill = factors[0]
        np.multiply(self.neg_resistance, t_h, out=kill)
        np.exp(kill, out=kill)
        kill *= self.r.kill0

    def _step(
        self, y: np.ndarray, h: float, start: np.ndarray, mid: np.ndarray, end: np.ndarray
    ) -> None:
        k1, k2, k3, k4 = self.k
        stage = self.stage
        self._derivative(y, start, k1)
        self._stage(y, 0.5 * h, k1, stage)
        self._derivative(stage, mid, k2)
        self._stage(y, 0.5 * h, k2, stage)
        self._derivative(stage, mid, k3)
        self._stage(y, h, k3, stage)
        self._derivative(stage, end, k4)
        # y += h/6 * (k1 + 2 k2 + 2 k3 + k4), summed in that order
        total, twice_k3 = k2[1:], k3[1:]
        total *= 2.0
        total += k1[1:]
        twice_k3 *= 2.0
        total += twice_k3
        total += k4[1:]
        total *= h / 6.0
        y += total

    @staticmethod
    def _stage(y: np.ndarray, h: float, k: np.ndarray, out: np.ndarray) -> None:
        """out = y + h * k"""
        np.multiply(k[1:], h, out=out)
        out += y

    def _derivative(self, y: np.ndarray, conc_factors: np.ndarray, out: np.ndarray) -> None:
        """out[0] = C, out[1:] = dy/dt (the equations in the module docstring)."""
        r, d, terms, feedback = self.r, out[1:], self.terms, self.feedback
        np.multiply(self.amount_factors, y[AMOUNT], out=out[:2])  # C, dA/dt
        np.multiply(conc_factors, out[0], out=terms)  # kill(t) * C, slope * C
        np.subtract(self.offsets, terms, out=terms)  # growth - kill(t) * C, 1 - E
        np.multiply(terms[0], y[TUMOUR], out=d[TUMOUR])
        np.divide(r.circ0, y[CIRC], out=feedback)
        np.power(feedback, r.gamma, out=feedback)
        drive = terms[1]
        drive *= feedback
        drive -= 1.0
        np.multiply(r.ktr, y[PROL], out=d[PROL])
        d[PROL] *= drive
        transit = d[PROL + 1 :]
        np.subtract(y[PROL:CIRC], y[PROL + 1 :], out=transit)
        transit *= r.ktr
