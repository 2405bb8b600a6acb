"""An independent reference for model version 2: the whole ODE system (three PK
compartments as amounts, tumour size, Friberg chain in its original form)
integrated per patient by scipy's DOP853 at tight tolerances.

Nothing is shared with the production code but the patient parameters: the PK is
integrated instead of solved in closed form, the chain is integrated in P (not
ln P), and the tumour is integrated as a state.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

RTOL, ATOL = 1e-11, 1e-12


def reference_patient(spec, population, i: int, doses_mg: list[float], times_h: np.ndarray):
    """States at ``times_h`` (sorted, hours from the first dose) of patient ``i`` given
    ``doses_mg[c]`` at the start of cycle c: rows (ANC, relative tumour size)."""
    p = {name: float(values[i]) for name, values in population.values.items()}
    d = spec.distribution
    size = p["weight_kg"] / spec.pk.reference_weight_kg
    q_scale, v_scale = size**spec.pk.cl_weight_exponent, size**spec.pk.v_weight_exponent
    cl, v1 = p["cl_l_per_h"], p["v_l"]
    q2, v2 = d.q2_l_per_h * q_scale, d.v2_l * v_scale
    q3, v3 = d.q3_l_per_h * q_scale, d.v3_l * v_scale
    ktr, circ0, gamma = 4.0 / p["mtt_h"], p["circ0"], p["gamma"]
    slope = p["slope_per_umol_l"] * 1000.0 / spec.pk.molar_mass_g_per_mol
    growth, kill0, lam = (
        p[k] / 24.0 for k in ("growth_per_day", "kill_per_mg_l_per_day", "resistance_per_day")
    )
    cycle_h = spec.cycle_days * 24.0

    def rhs(t, y, rate):
        a1, a2, a3, ts, prol, t1, t2, t3, circ = y
        c = a1 / v1
        e = slope * c
        return [
            rate - (cl + q2 + q3) * c + q2 * a2 / v2 + q3 * a3 / v3,
            q2 * c - q2 * a2 / v2,
            q3 * c - q3 * a3 / v3,
            (growth - kill0 * np.exp(-lam * t) * c) * ts,
            ktr * prol * ((1.0 - e) * (circ0 / circ) ** gamma - 1.0),
            ktr * (prol - t1),
            ktr * (t1 - t2),
            ktr * (t2 - t3),
            ktr * (t3 - circ),
        ]

    breaks = []
    for c, dose in enumerate(doses_mg):
        start = c * cycle_h
        breaks.append((start, start + d.infusion_h, dose / d.infusion_h))
        breaks.append((start + d.infusion_h, (c + 1) * cycle_h, 0.0))
    y = np.array([0, 0, 0, 1.0, circ0, circ0, circ0, circ0, circ0], dtype=float)
    out = np.full((2, len(times_h)), np.nan)
    for a, b, rate in breaks:
        sol = solve_ivp(
            rhs, (a, b), y, method="DOP853", rtol=RTOL, atol=ATOL, args=(rate,), dense_output=True
        )
        inside = (times_h >= a) & (times_h <= b)
        if inside.any():
            states = sol.sol(times_h[inside])
            out[0, inside] = states[8]
            out[1, inside] = states[3]
        y = sol.y[:, -1]
    return out
