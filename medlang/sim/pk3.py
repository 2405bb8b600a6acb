"""Closed-form docetaxel concentrations: the linear three-compartment model.

A linear mammillary model has an exact solution: after a unit bolus into the
central compartment, C(t) = sum_i A_i exp(-lambda_i t), where lambda_i are the
eigenvalues of the rate matrix (the "macro constants", found here with the cubic
formula, vectorised over patients) and A_i the central-compartment coefficients.
A zero-order infusion of rate R over T hours is the integral of that response:

    during the infusion (0 <= s <= T):  c_i(s) = R A_i / lambda_i (1 - exp(-lambda_i s))
    after it (s > T):                   c_i(s) = R A_i / lambda_i (1 - exp(-lambda_i T))
                                                  exp(-lambda_i (s - T))

Doses superpose. Nothing here is integrated numerically, so the PK has no
step-size error at all; the tumour kill term, KD0 exp(-lambda t) C(t), is
integrated in closed form too (``kill_exposure``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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


@dataclass(frozen=True)
class Dose:
    """A zero-order infusion per patient: amount (mg, (n,)) starting at ``start_h``."""

    amount_mg: np.ndarray
    start_h: float
    duration_h: float


def concentration(macro: MacroConstants, doses: list[Dose], times_h: np.ndarray) -> np.ndarray:
    """Central concentration (mg/L), shape (len(times_h), n), from every dose so far."""
    times = np.asarray(times_h, dtype=float)[:, None]
    total = np.zeros((times.shape[0], macro.rates.shape[1]))
    for dose in doses:
        s = times - dose.start_h
        given = s >= 0.0
        if not given.any():
            continue
        duration = dose.duration_h
        rate = dose.amount_mg / duration
        s_in = np.clip(s, 0.0, duration)
        after = np.maximum(s - duration, 0.0)
        for lam, coef in zip(macro.rates, macro.coefficients, strict=True):
            # -expm1(-x) = 1 - exp(-x), accurate for small x
            rising = -np.expm1(-lam * s_in)
            total += np.where(given, rate * coef / lam * rising * np.exp(-lam * after), 0.0)
    return total


def kill_exposure(
    macro: MacroConstants,
    doses: list[Dose],
    resistance: np.ndarray,
    start_h: float,
    end_h: float,
) -> np.ndarray:
    """Per patient, the integral over [start_h, end_h] of exp(-resistance t) C(t) dt
    (mg h / L), exactly: each piece is an exponential times a sum of exponentials."""
    total = np.zeros(macro.rates.shape[1])
    for dose in doses:
        rate = dose.amount_mg / dose.duration_h
        infusion_end = dose.start_h + dose.duration_h
        for lam, coef in zip(macro.rates, macro.coefficients, strict=True):
            level = rate * coef / lam
            # during the infusion: level * exp(-r t) * (1 - exp(-lam (t - t0)))
            a, b = max(start_h, dose.start_h), min(end_h, infusion_end)
            if b > a:
                total += level * (
                    _decaying(resistance, 0.0, 0.0, a, b)
                    - _decaying(resistance, lam, dose.start_h, a, b)
                )
            # after it: level * (1 - exp(-lam T)) * exp(-r t) * exp(-lam (t - t_end))
            a, b = max(start_h, infusion_end), end_h
            if b > a:
                plateau = level * -np.expm1(-lam * dose.duration_h)
                total += plateau * _decaying(resistance, lam, infusion_end, a, b)
    return total


def _decaying(rate: np.ndarray, lam, anchor: float, a: float, b: float) -> np.ndarray:
    """integral_a^b exp(-rate t) exp(-lam (t - anchor)) dt, written so that nothing
    overflows for late doses (a >= anchor)."""
    total_rate = rate + lam
    return np.exp(-rate * a - lam * (a - anchor)) * -np.expm1(-total_rate * (b - a)) / total_rate
