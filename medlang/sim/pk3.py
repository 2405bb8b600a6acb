"""Closed-form docetaxel concentrations: the linear three-compartment model.

A linear mammillary model has an exact solution: after a unit bolus into the
central compartment, C(t) = sum_i A_i exp(-lambda_i t), where lambda_i are the
eigenvalues of the rate matrix (the "macro constants", found here with the cubic
formula, vectorised over patients) and A_i the central-compartment coefficients.
A zero-order infusion of rate R over T hours is the integral of that response:

    during the infusion (0 <= s <= T):  c_i(s) = R A_i / lambda_i (1 - exp(-lambda_i s))
    after it (s > T):                   c_i(s) = R A_i / lambda_i (1 - exp(-lambda_i T))
                                                  exp(-lambda_i (s - T))

Doses superpose, which the modal state below carries from cycle to cycle. Nothing
here is integrated numerically, so the PK has no step-size error at all; the
tumour kill term, KD0 exp(-lambda t) C(t), is integrated in closed form too
(``cycle_kill_exposure``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEGLIGIBLE = 40.0  # lambda * t beyond which a mode is exp(-40) ~ 4e-18 of its amplitude


@dataclass(frozen=True)
class MacroConstants:
    """Per patient: rates lambda (3, n) in 1/h and coefficients A (3, n) in 1/L."""

    rates: np.ndarray
    coefficients: np.ndarray

    @classmethod
    def of(
        cls,
        cl: np.ndarray,
        v1: np.ndarray,
        q2: np.ndarray,
        v2: np.ndarray,
        q3: np.ndarray,
        v3: np.ndarray,
    ) -> MacroConstants:
        k10, k12, k21, k13, k31 = cl / v1, q2 / v1, q2 / v2, q3 / v1, q3 / v3
        # characteristic polynomial of the rate matrix: x^3 - a2 x^2 + a1 x - a0
        a0 = k10 * k21 * k31
        a1 = k10 * k31 + k21 * k31 + k21 * k13 + k10 * k21 + k31 * k12
        a2 = k10 + k12 + k13 + k21 + k31
        p = a1 - a2**2 / 3.0
        q = 2.0 * a2**3 / 27.0 - a1 * a2 / 3.0 + a0
        r1 = np.sqrt(-(p**3) / 27.0)
        phi = np.arccos(np.clip(-q / (2.0 * r1), -1.0, 1.0)) / 3.0
        r2 = 2.0 * np.cbrt(r1)
        rates = np.stack(
            [
                -(np.cos(phi + shift) * r2 - a2 / 3.0)
                for shift in (0.0, 2 * np.pi / 3, 4 * np.pi / 3)
            ]
        )
        rates.sort(axis=0)
        rates = rates[::-1]  # alpha > beta > gamma
        coefficients = np.empty_like(rates)
        for i in range(3):
            j, k = [m for m in range(3) if m != i]
            coefficients[i] = (
                (k21 - rates[i])
                * (k31 - rates[i])
                / ((rates[j] - rates[i]) * (rates[k] - rates[i]))
                / v1
            )
        return cls(rates, coefficients)


def cycle_concentrations(
    macro: MacroConstants,
    modes: np.ndarray,
    dose_mg: np.ndarray,
    infusion_h: float,
    times_h: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Central concentration (mg/L) at ``times_h`` (sorted, hours since this cycle's
    dose, (T,)) -> (T, n), and the modal state at the last time.

    The state is modal: ``modes[i]`` (n,) is the i-th exponential's share of C, so
    C = sum_i modes[i] and each mode obeys m_i' = -lambda_i m_i + A_i R(t). Every dose
    so far is in the modes, so a cycle costs the same whatever came before it.
    During the infusion (rate R = dose / T): m_i(s) = k_i + (m_i(0) - k_i) exp(-lambda_i s),
    k_i = R A_i / lambda_i; after it: m_i(s) = m_i(T) exp(-lambda_i (s - T)).
    """
    times = np.asarray(times_h, dtype=float)
    inside = int(np.searchsorted(times, infusion_h, side="right"))
    rate = np.asarray(dose_mg, dtype=float) / infusion_h
    total = np.zeros((len(times), modes.shape[1]))
    end_modes = np.empty_like(modes)
    elapsed = times[inside:] - infusion_h  # since the end of the infusion
    for i, (lam, coef) in enumerate(zip(macro.rates, macro.coefficients, strict=True)):
        plateau = rate * coef / lam
        start = modes[i]
        at_end_of_infusion = plateau + (start - plateau) * np.exp(-lam * infusion_h)
        during = np.exp(-lam * times[:inside, None])
        total[:inside] += plateau + (start - plateau) * during
        # a mode that has decayed by exp(-40) adds nothing a float can hold relative
        # to the others: skip those rows (the fast modes are gone within hours)
        live = int(np.searchsorted(elapsed, NEGLIGIBLE / lam.min(), side="right"))
        after = np.multiply.outer(elapsed[:live], -lam)
        np.exp(after, out=after)
        after *= at_end_of_infusion
        total[inside : inside + live] += after
        last = times[-1]
        if last <= infusion_h:
            end_modes[i] = plateau + (start - plateau) * np.exp(-lam * last)
        else:
            end_modes[i] = at_end_of_infusion * np.exp(-lam * (last - infusion_h))
    return total, end_modes


def cycle_kill_exposure(
    macro: MacroConstants,
    modes: np.ndarray,
    dose_mg: np.ndarray,
    infusion_h: float,
    cycle_start_h: float,
    cycle_h: float,
    resistance: np.ndarray,
) -> np.ndarray:
    """Per patient, the integral over the cycle of exp(-resistance t) C(t) dt (mg h/L),
    t counted from the first dose, in closed form (same modes as above)."""
    rate = np.asarray(dose_mg, dtype=float) / infusion_h
    t0, t_inf, t_end = cycle_start_h, cycle_start_h + infusion_h, cycle_start_h + cycle_h
    total = np.zeros(modes.shape[1])
    for i, (lam, coef) in enumerate(zip(macro.rates, macro.coefficients, strict=True)):
        plateau = rate * coef / lam
        start = modes[i]
        at_end_of_infusion = plateau + (start - plateau) * np.exp(-lam * infusion_h)
        total += plateau * _decaying(resistance, 0.0, t0, t0, t_inf)
        total += (start - plateau) * _decaying(resistance, lam, t0, t0, t_inf)
        total += at_end_of_infusion * _decaying(resistance, lam, t_inf, t_inf, t_end)
    return total


def _decaying(rate: np.ndarray, lam, anchor: float, a: float, b: float) -> np.ndarray:
    """integral_a^b exp(-rate t) exp(-lam (t - anchor)) dt, written so that nothing
    overflows for late doses (a >= anchor)."""
    total_rate = rate + lam
    return np.exp(-rate * a - lam * (a - anchor)) * -np.expm1(-total_rate * (b - a)) / total_rate
