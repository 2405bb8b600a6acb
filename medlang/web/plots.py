"""Vega-Lite specifications for the registry's pictures.

Every picture of the app and of ``mlc report`` is built here, as data: a spec is a
plain dict that the vendored Vega-Lite renders in the browser, the same way in a
page and in an offline report. Builders take plain registry JSON and return
``None`` when a run holds nothing to draw, so callers never draw an empty frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from medlang.web.stats import wilson_interval

Spec = dict[str, Any]

_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier; never fetched
_WIDTH = 420


def _chart(title: str, **body: Any) -> Spec:
    return {"$schema": _SCHEMA, "title": title, "width": _WIDTH, **body}


def is_number(value: object) -> bool:
    """A finite int or float (not a bool): something an axis can place."""
    return _finite(value) is not None


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def arm_sizes(metrics: Mapping[str, Any], arms: Iterable[str]) -> dict[str, int]:
    """Patients per arm: recorded ``n_by_arm`` when present, else an equal split."""
    arms = list(arms)
    recorded = metrics.get("n_by_arm")
    if isinstance(recorded, dict) and all(isinstance(recorded.get(a), int) for a in arms):
        return {arm: int(recorded[arm]) for arm in arms}
    total = _finite(metrics.get("n_patients"))
    each = int(total) // len(arms) if total and arms else 0
    return {arm: each for arm in arms}


def arm_rates(metrics: Mapping[str, Any]) -> Spec | None:
    """ORR and DLT rate per dose arm with Wilson 95% intervals (evidence runs)."""
    series = {"ORR": metrics.get("ORR_by_arm"), "DLT rate": metrics.get("DLT_rate_by_arm")}
    series = {name: rates for name, rates in series.items() if isinstance(rates, dict) and rates}
    if not series:
        return None
    arms = list(next(iter(series.values())))
    sizes = arm_sizes(metrics, arms)
    rows = []
    for measure, rates in series.items():
        for arm in arms:
            rate = _finite(rates.get(arm))
            if rate is None:
                continue
            n = sizes.get(arm, 0)
            low, high = wilson_interval(rate * n, n)
            rows.append(
                {
                    "arm": arm,
                    "measure": measure,
                    "rate": rate,
                    "low": low if math.isfinite(low) else rate,
                    "high": high if math.isfinite(high) else rate,
                    "n": n,
                }
            )
    if not rows:
        return None
    x = {"field": "arm", "type": "nominal", "sort": arms, "title": "Arm"}
    colour = {"field": "measure", "type": "nominal", "title": None}
    offset = {"field": "measure"}
    return _chart(
        "Response and DLT rate per arm (95% Wilson CI)",
        data={"values": rows},
        layer=[
            {
                "mark": {"type": "bar", "opacity": 0.85},
                "encoding": {
                    "x": x,
                    "xOffset": offset,
                    "y": {
                        "field": "rate",
                        "type": "quantitative",
                        "title": "Rate",
                        "scale": {"domain": [0, 1]},
                    },
                    "color": colour,
                    "tooltip": [
                        {"field": "arm"},
                        {"field": "measure"},
                        {"field": "rate", "format": ".3f"},
                        {"field": "low", "format": ".3f"},
                        {"field": "high", "format": ".3f"},
                        {"field": "n"},
                    ],
                },
            },
            {
                "mark": {"type": "rule", "color": "#333"},
                "encoding": {
                    "x": x,
                    "xOffset": offset,
                    "y": {"field": "low", "type": "quantitative"},
                    "y2": {"field": "high"},
                },
            },
        ],
    )


def metric_over_time(points: Iterable[Mapping[str, Any]], metric: str) -> Spec | None:
    """One metric across runs by start time; ``points`` hold id, kind, started_at, value."""
    rows = [
        {"run": p["id"][:8], "kind": p["kind"], "started_at": p["started_at"], "value": v}
        for p in points
        if (v := _finite(p.get("value"))) is not None
    ]
    if not rows:
        return None
    return _chart(
        f"{metric} over time",
        data={"values": rows},
        mark={"type": "line", "point": True},
        encoding={
            "x": {"field": "started_at", "type": "temporal", "title": "Started (UTC)"},
            "y": {
                "field": "value",
                "type": "quantitative",
                "title": metric,
                "scale": {"zero": False},
            },
            "color": {"field": "kind", "type": "nominal", "title": "Kind"},
            "tooltip": [{"field": "run"}, {"field": "started_at"}, {"field": "value"}],
        },
    )


def scatter(rows: Iterable[Mapping[str, Any]], x: str, y: str) -> Spec | None:
    """Chosen config value (x) against a metric (y) for the runs being compared."""
    points = [
        {"run": r["run"], "x": xv, "y": yv}
        for r in rows
        if (xv := _finite(r.get("x"))) is not None and (yv := _finite(r.get("y"))) is not None
    ]
    if not points:
        return None
    return _chart(
        f"{y} against {x}",
        data={"values": points},
        mark={"type": "point", "filled": True, "size": 80},
        encoding={
            "x": {"field": "x", "type": "quantitative", "title": x, "scale": {"zero": False}},
            "y": {"field": "y", "type": "quantitative", "title": y, "scale": {"zero": False}},
            "tooltip": [{"field": "run"}, {"field": "x"}, {"field": "y"}],
        },
    )


def parallel_coordinates(rows: list[Mapping[str, Any]], fields: list[str]) -> Spec | None:
    """Runs as lines across several numeric fields, each scaled to its own [min, max]."""
    usable = [f for f in fields if sum(_finite(r.get(f)) is not None for r in rows) >= 2]
    if len(usable) < 2 or len(rows) < 2:
        return None
    long_rows = []
    for field in usable:
        values = [v for r in rows if (v := _finite(r.get(field))) is not None]
        low, high = min(values), max(values)
        for r in rows:
            value = _finite(r.get(field))
            if value is None:
                continue
            scaled = 0.5 if high == low else (value - low) / (high - low)
            long_rows.append({"run": r["run"], "field": field, "value": value, "scaled": scaled})
    return _chart(
        "Parallel coordinates (each axis scaled to its range)",
        data={"values": long_rows},
        mark={"type": "line", "point": True},
        encoding={
            "x": {"field": "field", "type": "nominal", "sort": usable, "title": None},
            "y": {
                "field": "scaled",
                "type": "quantitative",
                "title": "scaled",
                "axis": {"format": ".0%"},
            },
            "color": {"field": "run", "type": "nominal", "title": "Run"},
            "detail": {"field": "run"},
            "tooltip": [{"field": "run"}, {"field": "field"}, {"field": "value"}],
        },
    )


# CTCAE v5.0 neutrophil count decreased: grade 3 < 1.0, grade 4 < 0.5 x 10^9/L.
_ANC_GRADES = [{"grade": "grade 3", "anc": 1.0}, {"grade": "grade 4", "anc": 0.5}]
# RECIST 1.1: partial response is >= 30% shrinkage, progression >= 20% growth.
_RECIST = [{"label": "PR (-30%)", "change": -30.0}, {"label": "PD (+20%)", "change": 20.0}]
MAX_PATIENTS_DRAWN = 600


def sample_patients(patients: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """At most ``MAX_PATIENTS_DRAWN`` patients, every k-th (deterministic, arms kept in
    proportion), so a 30,000-patient trial draws as fast as a 300-patient one."""
    step = max(1, math.ceil(len(patients) / MAX_PATIENTS_DRAWN))
    return patients[::step]


def waterfall(patients: list[Mapping[str, Any]]) -> Spec | None:
    """Best change in tumour size per patient, largest growth first (a waterfall plot)."""
    rows = [
        {"arm": str(p.get("arm")), "change": (rts - 1.0) * 100.0}
        for p in sample_patients(patients)
        if (rts := _finite(p.get("best_rts"))) is not None
    ]
    if not rows:
        return None
    rows.sort(key=lambda row: -row["change"])
    for rank, row in enumerate(rows):
        row["rank"] = rank
    shown = (
        f" (every {math.ceil(len(patients) / len(rows))}th patient)"
        if len(rows) < len(patients)
        else ""
    )
    return _chart(
        f"Best change in tumour size{shown}",
        layer=[
            {
                "data": {"values": rows},
                "mark": {"type": "bar"},
                "encoding": {
                    "x": {"field": "rank", "type": "ordinal", "axis": None, "title": "Patients"},
                    "y": {
                        "field": "change",
                        "type": "quantitative",
                        "title": "Best change from baseline (%)",
                    },
                    "color": {"field": "arm", "type": "nominal", "title": "Arm"},
                    "tooltip": [{"field": "arm"}, {"field": "change", "format": ".1f"}],
                },
            },
            {
                "data": {"values": _RECIST},
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#555"},
                "encoding": {
                    "y": {"field": "change", "type": "quantitative"},
                    "tooltip": [{"field": "label"}],
                },
            },
        ],
    )


def anc_nadir_by_arm(patients: list[Mapping[str, Any]], arms: list[str]) -> Spec | None:
    """Cycle-1 neutrophil nadir per patient by arm, log scale, CTCAE grade 3/4 lines."""
    rows = [
        {"arm": str(p.get("arm")), "anc": anc}
        for p in sample_patients(patients)
        if (anc := _finite(p.get("anc_nadir_cycle1"))) is not None and anc > 0
    ]
    if not rows:
        return None
    return _chart(
        "Cycle-1 ANC nadir (10^9/L) with CTCAE grade 3 and 4 limits",
        layer=[
            {
                "data": {"values": rows},
                "mark": {"type": "boxplot", "extent": 1.5, "size": 40},
                "encoding": {
                    "x": {"field": "arm", "type": "nominal", "sort": arms or None, "title": "Arm"},
                    "y": {
                        "field": "anc",
                        "type": "quantitative",
                        "title": "ANC nadir (10^9/L)",
                        "scale": {"type": "log"},
                    },
                    "color": {"field": "arm", "type": "nominal", "legend": None},
                },
            },
            {
                "data": {"values": _ANC_GRADES},
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#b00020"},
                "encoding": {
                    "y": {"field": "anc", "type": "quantitative"},
                    "tooltip": [{"field": "grade"}],
                },
            },
        ],
    )


def rmse_by_stratum(strata: object) -> Spec | None:
    """A surrogate's qualification error per dose stratum (``rmse_by_dose_stratum``)."""
    if not isinstance(strata, dict):
        return None
    rows = [
        {"stratum": str(name), "rmse": value}
        for name, raw in strata.items()
        if (value := _finite(raw)) is not None
    ]
    if not rows:
        return None
    return _chart(
        "Surrogate error per dose stratum",
        data={"values": rows},
        mark={"type": "bar"},
        encoding={
            "x": {"field": "stratum", "type": "nominal", "sort": None, "title": "Dose stratum"},
            "y": {"field": "rmse", "type": "quantitative", "title": "rmse (log scale errors)"},
            "tooltip": [{"field": "stratum"}, {"field": "rmse", "format": ".4f"}],
        },
    )


def learning_curve(report: Mapping[str, Any]) -> Spec | None:
    """Mean return per window of training episodes (an RL training report)."""
    returns = report.get("mean_return_per_window")
    window = report.get("window")
    if not isinstance(returns, list) or not isinstance(window, int) or window <= 0:
        return None
    rows = [
        {"episode": (index + 1) * window, "mean_return": value}
        for index, raw in enumerate(returns)
        if (value := _finite(raw)) is not None
    ]
    if not rows:
        return None
    return _chart(
        f"Learning curve (mean return per {window} episodes)",
        data={"values": rows},
        mark={"type": "line", "point": True},
        encoding={
            "x": {"field": "episode", "type": "quantitative", "title": "Episodes"},
            "y": {
                "field": "mean_return",
                "type": "quantitative",
                "title": "Mean return",
                "scale": {"zero": False},
            },
            "tooltip": [{"field": "episode"}, {"field": "mean_return", "format": ".3f"}],
        },
    )


def _interval(value: object) -> tuple[float, float] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        low, high = _finite(value[0]), _finite(value[1])
        if low is not None and high is not None:
            return low, high
    return None


def policy_vs_baselines(metrics: Mapping[str, Any], baselines: object) -> Spec | None:
    """The learned policy against fixed doses and titration on the same patients:
    reward and success rate with their 95% CIs (an RL evaluation)."""
    if not isinstance(baselines, dict) or not baselines:
        return None
    entries = [("learned policy", metrics)]
    entries += [(str(name), row) for name, row in baselines.items() if isinstance(row, dict)]
    rows = []
    for name, values in entries:
        for key, measure in (("avg_reward", "reward"), ("success_rate", "success rate")):
            value = _finite(values.get(key))
            interval = _interval(values.get(f"{key}_ci95"))
            if value is None:
                continue
            low, high = interval or (value, value)
            rows.append(
                {"policy": name, "measure": measure, "value": value, "low": low, "high": high}
            )
    if len(rows) < 2:
        return None
    y = {"field": "policy", "type": "nominal", "sort": [name for name, _ in entries], "title": None}
    return {
        "$schema": _SCHEMA,
        "title": "Learned policy against baselines on the same patients (95% CI)",
        "data": {"values": rows},
        "facet": {"column": {"field": "measure", "type": "nominal", "title": None}},
        "resolve": {"scale": {"x": "independent"}},
        "spec": {
            "width": 260,
            "layer": [
                {
                    "mark": {"type": "rule"},
                    "encoding": {
                        "y": y,
                        "x": {
                            "field": "low",
                            "type": "quantitative",
                            "title": None,
                            "scale": {"zero": False},
                        },
                        "x2": {"field": "high"},
                    },
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 70},
                    "encoding": {
                        "y": y,
                        "x": {"field": "value", "type": "quantitative"},
                        "color": {
                            "condition": {
                                "test": "datum.policy === 'learned policy'",
                                "value": "#d62728",
                            },
                            "value": "#1f3a5f",
                        },
                        "tooltip": [
                            {"field": "policy"},
                            {"field": "value", "format": ".3f"},
                            {"field": "low", "format": ".3f"},
                            {"field": "high", "format": ".3f"},
                        ],
                    },
                },
            ],
        },
    }


_ENDPOINT_TITLES = {
    "log_best_rts": "log best relative tumour size",
    "log_anc_nadir": "log cycle-1 ANC nadir",
}


def _endpoint_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    names = report.get("endpoints")
    patients = report.get("patients")
    if not isinstance(names, list) or not isinstance(patients, list):
        return []
    rows = []
    for patient in sample_patients([p for p in patients if isinstance(p, dict)]):
        mech, surr = patient.get("mechanistic"), patient.get("surrogate")
        if not isinstance(mech, list) or not isinstance(surr, list):
            continue
        for name, m, s in zip(names, mech, surr, strict=False):
            m, s = _finite(m), _finite(s)
            if m is not None and s is not None:
                title = _ENDPOINT_TITLES.get(str(name), str(name))
                rows.append(
                    {
                        "endpoint": title,
                        "mechanistic": m,
                        "surrogate": s,
                        "residual": s - m,
                        "dose_mg": _finite(patient.get("dose_mg")),
                    }
                )
    return rows


def parity(report: Mapping[str, Any]) -> Spec | None:
    """Surrogate against mechanistic prediction per patient, one panel per endpoint,
    with the identity line (a surrogate evaluation's stored report)."""
    rows = _endpoint_rows(report)
    if not rows:
        return None
    return {
        "$schema": _SCHEMA,
        "title": "Parity: surrogate against the mechanistic model",
        "data": {"values": rows},
        "facet": {"column": {"field": "endpoint", "type": "nominal", "title": None}},
        "resolve": {"scale": {"x": "independent", "y": "independent"}},
        "spec": {
            "width": 240,
            "height": 240,
            "layer": [
                {
                    "mark": {"type": "point", "opacity": 0.5, "size": 14},
                    "encoding": {
                        "x": {
                            "field": "mechanistic",
                            "type": "quantitative",
                            "title": "mechanistic",
                            "scale": {"zero": False},
                        },
                        "y": {
                            "field": "surrogate",
                            "type": "quantitative",
                            "title": "surrogate",
                            "scale": {"zero": False},
                        },
                        "tooltip": [
                            {"field": "dose_mg"},
                            {"field": "mechanistic"},
                            {"field": "surrogate"},
                        ],
                    },
                },
                {
                    "transform": [
                        {
                            "aggregate": [
                                {"op": "min", "field": "mechanistic", "as": "a"},
                                {"op": "max", "field": "mechanistic", "as": "b"},
                            ]
                        },
                        {"fold": ["a", "b"], "as": ["end", "v"]},
                    ],
                    "mark": {"type": "line", "color": "#888", "strokeDash": [4, 3]},
                    "encoding": {
                        "x": {"field": "v", "type": "quantitative"},
                        "y": {"field": "v", "type": "quantitative"},
                    },
                },
            ],
        },
    }


def residuals(report: Mapping[str, Any]) -> Spec | None:
    """Surrogate minus mechanistic per patient against dose, one panel per endpoint."""
    rows = [r for r in _endpoint_rows(report) if r["dose_mg"] is not None]
    if not rows:
        return None
    return {
        "$schema": _SCHEMA,
        "title": "Residuals (surrogate - mechanistic) against dose",
        "data": {"values": rows},
        "facet": {"column": {"field": "endpoint", "type": "nominal", "title": None}},
        "resolve": {"scale": {"y": "independent"}},
        "spec": {
            "width": 240,
            "height": 200,
            "layer": [
                {
                    "mark": {"type": "point", "opacity": 0.5, "size": 14},
                    "encoding": {
                        "x": {"field": "dose_mg", "type": "quantitative", "title": "Dose (mg)"},
                        "y": {"field": "residual", "type": "quantitative"},
                        "tooltip": [{"field": "dose_mg"}, {"field": "residual"}],
                    },
                },
                {"mark": {"type": "rule", "color": "#888"}, "encoding": {"y": {"datum": 0}}},
            ],
        },
    }
