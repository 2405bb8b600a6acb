"""Model version 2: closed-form PK and tumour, and only the Friberg chain integrated.

    C(t)          closed form, three compartments, 1-hour infusions (``pk3``)
    ln TS(t)      = ln TS0 + KL t - KD0 * integral_0^t exp(-lambda s) C(s) ds
                  (Claret-type growth and kill driven by concentration; the integral
                  is closed form too, ``pk3.kill_exposure``)
    d lnP/dt      = ktr ((1 - E(t)) (Circ0 / Circ)^gamma - 1),  P = exp(lnP)
    dT1/dt        = ktr (P - T1), ..., dCirc/dt = ktr (T3 - Circ)
    E(t)          = slope * C(t) (C in umol/L),  ktr = 4 / MTT

Integrating ln P instead of P removes the stiff term: the drug effect becomes a
forcing that RK4 integrates as a quadrature, so the step only has to resolve how
fast C(t) changes (fine steps while the drug is present, coarse ones after). The
step-size guard counts a contract violation (``step_size_guard``) for every step
in which ``ktr * E_max * h`` exceeds ``GUARD_LIMIT``: ln P then moves by more than
that within one step, and the nadir would no longer be resolved.

All patients of a block advance together; the concentrations of every RK4 stage
of a cycle are computed up front in one vectorised call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medlang.sim.contracts import MAX_ANC, MAX_TUMOUR_MM, STEP_SIZE_GUARD, ViolationCounter
from medlang.sim.params import TrialSpec
from medlang.sim.pk3 import MacroConstants, cycle_concentrations, cycle_kill_exposure
from medlang.sim.population import Population

HOURS_PER_DAY = 24.0
GUARD_LIMIT = 1.0  # ktr * E_max * h: ln P may move by at most this much per step
N_CHAIN = 5  # ln P, T1, T2, T3, Circ
LOG_PROL, CIRC2 = 0, 4


@dataclass(frozen=True)
class CycleOutcome:
    """Per patient, for one cycle: ANC nadir (10^9/L), its day (since the dose), hours
    with ANC below the grade-4 threshold, and the relative tumour size at the end."""

    anc_nadir: np.ndarray
    nadir_day: np.ndarray
    grade4_hours: np.ndarray
    rts_end: np.ndarray


def cycle_segments(spec: TrialSpec, cycle_h: float) -> list[tuple[int, float]]:
    """(steps, step length): the infusion and the rest of ``post_dose_hours`` at the
    fine step, then the coarse step; segment ends fall on the infusion's end so the
    kink of C(t) there is a step boundary."""
    infusion_h = min(spec.distribution.infusion_h, cycle_h)
    fine_h = min(max(spec.post_dose_hours, infusion_h), cycle_h)
    pieces = (
        (infusion_h, spec.post_dose_step_hours),
        (fine_h - infusion_h, spec.post_dose_step_hours),
        (cycle_h - fine_h, spec.step_hours),
    )
    segments = []
    for length, step in pieces:
        if length > 1e-12:
            n_steps = max(1, round(length / step))
            segments.append((n_steps, length / n_steps))
    return segments


class Model2Run:
    """The patients of a population stepping through cycles (doses may change per cycle)."""

    def __init__(self, spec: TrialSpec, population: Population, block_size: int = 4096):
        p, d = population, spec.distribution
        size = p["weight_kg"] / spec.pk.reference_weight_kg
        q_scale = size**spec.pk.cl_weight_exponent
        v_scale = size**spec.pk.v_weight_exponent
        self.spec, self.n, self.block_size = spec, p.n, block_size
        self.macro = MacroConstants.of(
            p["cl_l_per_h"],
            p["v_l"],
            d.q2_l_per_h * q_scale,
            d.v2_l * v_scale,
            d.q3_l_per_h * q_scale,
            d.v3_l * v_scale,
        )
        self.baseline_tumour = p["baseline_tumour_mm"]
        self.growth = p["growth_per_day"] / HOURS_PER_DAY
        self.kill0 = p["kill_per_mg_l_per_day"] / HOURS_PER_DAY
        self.resistance = p["resistance_per_day"] / HOURS_PER_DAY
        self.ktr = 4.0 / p["mtt_h"]
        self.circ0 = p["circ0"]
        self.gamma = p["gamma"]
        self.slope_mg_l = p["slope_per_umol_l"] * 1000.0 / spec.pk.molar_mass_g_per_mol
        self.chain = np.empty((N_CHAIN, self.n))
        self.chain[LOG_PROL] = np.log(self.circ0)
        self.chain[1:] = self.circ0
        self.modes = np.zeros((3, self.n))  # the PK's modal state (pk3)
        self.exposure = np.zeros(self.n)  # integral of exp(-lambda t) C(t) so far
        self.cycle = 0

    def run_cycle(
        self, dose_mg: np.ndarray, violations: ViolationCounter, timing: bool = True
    ) -> CycleOutcome:
        """One cycle; ``timing=False`` skips the nadir day and grade-4 duration (NaN),
        which the trial needs for cycle 1 only."""
        spec = self.spec
        cycle_h = spec.cycle_days * HOURS_PER_DAY
        start_h = self.cycle * cycle_h
        dose_mg = np.asarray(dose_mg, dtype=float)
        infusion_h = spec.distribution.infusion_h
        segments = cycle_segments(spec, cycle_h)
        steps = np.concatenate([np.full(n, h) for n, h in segments])
        nodes = np.concatenate([[0.0], np.cumsum(steps)])
        stage_times = np.empty(2 * len(steps) + 1)
        stage_times[0::2] = nodes
        stage_times[1::2] = nodes[:-1] + 0.5 * steps
        stage_times[-1] = cycle_h  # the modes are carried from the cycle's exact end
        outcome = [np.empty(self.n) for _ in range(3)]
        end_modes = np.empty_like(self.modes)
        for first in range(0, self.n, self.block_size):
            block = slice(first, min(first + self.block_size, self.n))
            macro = MacroConstants(self.macro.rates[:, block], self.macro.coefficients[:, block])
            conc, end_modes[:, block] = cycle_concentrations(
                macro, self.modes[:, block], dose_mg[block], infusion_h, stage_times
            )
            result = self._integrate_block(block, conc, stage_times, steps, violations, timing)
            for target, value in zip(outcome, result, strict=True):
                target[block] = value
        self.exposure += cycle_kill_exposure(
            self.macro, self.modes, dose_mg, infusion_h, start_h, cycle_h, self.resistance
        )
        self.modes = end_modes
        end_h = start_h + cycle_h
        with np.errstate(over="ignore", invalid="ignore"):
            rts = np.exp(self.growth * end_h - self.kill0 * self.exposure)
        self._check_tumour(rts, violations)
        self.cycle += 1
        return CycleOutcome(outcome[0], outcome[1], outcome[2], rts)

    def _check_tumour(self, rts: np.ndarray, violations: ViolationCounter) -> None:
        violations.record(
            {
                "non_finite_state": ~np.isfinite(rts),
                "tumour_above_physiological": rts * self.baseline_tumour > MAX_TUMOUR_MM,
            },
            slice(None),
        )

    def _integrate_block(self, block, conc, stage_times, steps, violations, timing):
        effect = conc
        effect *= self.slope_mg_l[block]  # (2 steps + 1, k), in place
        ktr, circ0, gamma = self.ktr[block], self.circ0[block], self.gamma[block]
        self._guard(effect, ktr, steps, violations, block)
        drive = effect  # reused in place: ktr (1 - E) on the grid, once per cycle
        np.subtract(1.0, effect, out=drive)
        drive *= ktr
        y = self.chain[:, block].copy()
        k = y.shape[1]
        solver = _ChainRk4(ktr, circ0, gamma, k)
        anc = np.empty((len(steps) + 1, k))
        anc[0] = y[CIRC2]
        next_check = HOURS_PER_DAY
        t = 0.0
        with np.errstate(all="ignore"):  # overflow/NaN are counted by the contracts
            for i, h in enumerate(steps):
                solver.step(y, h, effect[2 * i], effect[2 * i + 1], effect[2 * i + 2])
                anc[i + 1] = y[CIRC2]
                t += h
                if t >= next_check - 1e-9 or i == len(steps) - 1:
                    _check_chain(y, violations, block)
                    next_check += HOURS_PER_DAY
        self.chain[:, block] = y
        if not timing:
            nadir = np.where(np.isnan(anc).any(axis=0), np.nan, anc.min(axis=0))
            return nadir, np.full(nadir.shape, np.nan), np.full(nadir.shape, np.nan)
        return _anc_summary(anc, stage_times[0::2], self.spec.thresholds.dlt_anc)

    @staticmethod
    def _guard(effect, ktr, steps, violations: ViolationCounter, block) -> None:
        largest = np.maximum(np.maximum(effect[0:-1:2], effect[1::2]), effect[2::2])
        too_large = ktr * largest * steps[:, None] > GUARD_LIMIT
        if too_large.any():
            violations.record({STEP_SIZE_GUARD: too_large.sum(axis=0)}, block)


def _check_chain(y: np.ndarray, violations: ViolationCounter, block) -> None:
    violations.record(
        {
            "non_finite_state": ~np.isfinite(y).all(axis=0),
            "negative_cell_count": (y[1:] < 0.0).any(axis=0),
            "anc_above_physiological": y[CIRC2] > MAX_ANC,
        },
        block,
    )


def _anc_summary(anc: np.ndarray, times_h: np.ndarray, grade4: float):
    """Nadir, nadir day and hours below ``grade4`` (linear between nodes) per patient.

    The nadir day is the vertex of the parabola through the lowest node and its two
    neighbours, so it does not move in steps of the (coarse) step length."""
    nadir = anc.min(axis=0)
    nadir = np.where(np.isnan(anc).any(axis=0), np.nan, nadir)  # NaN is never hidden
    lowest = np.nanargmin(np.where(np.isnan(anc), np.inf, anc), axis=0)
    inner = np.clip(lowest, 1, len(times_h) - 2)
    columns = np.arange(anc.shape[1])
    a, b, c = (anc[inner + k, columns] for k in (-1, 0, 1))
    left = times_h[inner] - times_h[inner - 1]
    right = times_h[inner + 1] - times_h[inner]
    with np.errstate(invalid="ignore", divide="ignore"):
        # vertex of y = b + p x + q x^2 through (-left, a), (0, b), (right, c)
        slope_left, slope_right = (b - a) / left, (c - b) / right
        curvature = (slope_right - slope_left) / (left + right)  # q
        offset = -(slope_left + curvature * left) / (2.0 * curvature)  # -p / 2q
    interior = (lowest == inner) & (curvature > 0) & np.isfinite(offset)
    offset = np.where(interior, np.clip(offset, -left, right), 0.0)
    nadir_day = (times_h[lowest] + offset) / 24.0
    below = _time_below(anc, np.diff(times_h), grade4)
    return nadir, nadir_day, below


def _time_below(anc: np.ndarray, steps: np.ndarray, threshold: float) -> np.ndarray:
    """Hours with the piecewise-linear ANC below ``threshold``."""
    a, b = anc[:-1], anc[1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        both = (a < threshold) & (b < threshold)
        crossing = (a < threshold) != (b < threshold)
        fraction = np.where(a < threshold, threshold - a, threshold - b) / np.abs(b - a)
        part = np.where(both, 1.0, np.where(crossing, np.clip(fraction, 0.0, 1.0), 0.0))
    return (part * steps[:, None]).sum(axis=0)


class _ChainRk4:
    """RK4 for the Friberg chain in log-proliferating form, with preallocated buffers."""

    def __init__(self, ktr: np.ndarray, circ0: np.ndarray, gamma: np.ndarray, n: int):
        self.ktr, self.gamma = ktr, gamma
        self.log_circ0 = np.log(circ0)
        self.k = [np.empty((N_CHAIN, n)) for _ in range(4)]
        self.stage = np.empty((N_CHAIN, n))
        self.feedback = np.empty(n)

    def step(self, y, h, e0, e_mid, e1) -> None:
        k1, k2, k3, k4 = self.k
        stage = self.stage
        self._derivative(y, e0, k1)
        np.multiply(k1, 0.5 * h, out=stage)
        stage += y
        self._derivative(stage, e_mid, k2)
        np.multiply(k2, 0.5 * h, out=stage)
        stage += y
        self._derivative(stage, e_mid, k3)
        np.multiply(k3, h, out=stage)
        stage += y
        self._derivative(stage, e1, k4)
        k2 *= 2.0
        k2 += k1
        k3 *= 2.0
        k2 += k3
        k2 += k4
        k2 *= h / 6.0
        y += k2

    def _derivative(self, y, drive, out) -> None:
        """``drive`` is ktr (1 - E) at this stage's time (precomputed on the grid)."""
        feedback = self.feedback
        # (Circ0 / Circ)^gamma = exp(gamma (ln Circ0 - ln Circ))
        np.log(y[CIRC2], out=feedback)
        np.subtract(self.log_circ0, feedback, out=feedback)
        feedback *= self.gamma
        np.exp(feedback, out=feedback)
        np.multiply(drive, feedback, out=out[LOG_PROL])
        out[LOG_PROL] -= self.ktr
        np.exp(y[LOG_PROL], out=out[1])  # P
        out[1] -= y[1]
        np.subtract(y[1:CIRC2], y[2:], out=out[2:])
        out[1:] *= self.ktr
