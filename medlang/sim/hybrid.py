"""Evidence backends: mechanistic, surrogate and hybrid (the routing strategies).

Adaptive routing: a patient goes to the surrogate when all its features lie in
the surrogate's training domain AND both predicted endpoints are farther than
``mech_threshold`` from their decision thresholds; otherwise to the mechanistic
model. Distances are measured on the log scale (|log(pred) - log(threshold)|),
so one threshold means the same relative margin for tumour size and ANC.

Audit: a random ``audit_fraction`` of the surrogate-routed patients is also
simulated mechanistically (in the same solve as the routed ones); rmse/mae are
computed on them, and their mechanistic endpoints are used in the result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from medlang.sim.params import TrialSpec
from medlang.sim.population import Population
from medlang.sim.surrogate import Surrogate
from medlang.sim.surrogate_fit import error_metrics, surrogate_violations
from medlang.sim.trial import (
    Endpoints,
    TrialSummary,
    neutropenia_metrics,
    simulate,
    summarise,
    visit_cycles,
)

STRATEGIES = ("adaptive", "surrogate", "mechanistic")


MIN_AUDIT = 30  # model version 2: at least this many audited patients (or all of them)
BOOTSTRAP_SAMPLES = 2000


class OutOfDomain(ValueError):
    """The surrogate backend was given patients outside the surrogate's training domain."""


@dataclass(frozen=True)
class Routing:
    strategy: str
    mech_threshold: float = 0.2
    audit_fraction: float = 0.05
    seed: int = 0
    allow_extrapolation: bool = False
    # model version 2: audit at least MIN_AUDIT patients, report the rmse's 95% CI and
    # the out-of-domain fraction (version 1 keeps its exact old behaviour)
    version2: bool = False


@dataclass(frozen=True)
class EvidenceOutcome:
    endpoints: Endpoints
    source: np.ndarray  # per patient: "mechanistic" or "surrogate"
    summary: TrialSummary
    metrics: dict


def route_to_mechanistic(
    spec: TrialSpec, surrogate: Surrogate, population: Population, mech_threshold: float
) -> tuple[np.ndarray, Endpoints]:
    """Boolean mask of patients the adaptive strategy sends to the mechanistic model."""
    predicted = surrogate.predict(population)
    with np.errstate(all="ignore"):
        rts_margin = np.abs(np.log(predicted.best_rts) - np.log(spec.responder_rts))
        anc_margin = np.abs(np.log(predicted.anc_nadir) - np.log(spec.thresholds.dlt_anc))
    confident = (rts_margin > mech_threshold) & (anc_margin > mech_threshold)
    trusted = surrogate.in_domain(population) & confident & (surrogate_violations(predicted) == 0)
    return ~trusted, predicted


def run_evidence(
    spec: TrialSpec,
    population: Population,
    routing: Routing,
    surrogate: Surrogate | None,
    progress=None,
) -> EvidenceOutcome:
    """Endpoints for every patient from the chosen backend, with the run's metrics."""
    started = time.perf_counter()
    n = population.n
    if routing.strategy == "mechanistic":
        mech_mask, predicted = np.ones(n, dtype=bool), None
    else:
        if surrogate is None:
            raise ValueError(f"strategy {routing.strategy!r} needs a surrogate")
        outside = ~surrogate.in_domain(population)
        if routing.strategy == "adaptive":
            mech_mask, predicted = route_to_mechanistic(
                spec, surrogate, population, routing.mech_threshold
            )
        else:
            if routing.version2 and outside.any() and not routing.allow_extrapolation:
                raise OutOfDomain(describe_out_of_domain(surrogate, population, outside))
            mech_mask, predicted = np.zeros(n, dtype=bool), surrogate.predict(population)
    audit_mask = _audit_sample(~mech_mask, routing)
    simulate_mask = mech_mask | audit_mask
    endpoints, mech_violations = _combine(spec, population, simulate_mask, predicted, progress)
    surr_used = ~simulate_mask
    surr_violations = (
        int(surrogate_violations(predicted.subset(surr_used)).sum()) if predicted else 0
    )
    audit = (
        error_metrics(predicted.subset(audit_mask), endpoints.subset(audit_mask))
        if predicted is not None and audit_mask.any()
        else {"rmse": float("nan"), "mae": float("nan")}
    )
    summary = summarise(spec, population, endpoints)
    if routing.version2 and predicted is not None and audit_mask.any():
        audit.update(_rmse_ci(predicted.subset(audit_mask), endpoints.subset(audit_mask), routing))
    metrics = {
        "ORR": summary.orr,
        "DLT_rate": summary.dlt_rate,
        "mech_fraction": float(simulate_mask.mean()),
        "rmse": audit["rmse"],
        "mae": audit["mae"],
        "n_audit": int(audit_mask.sum()),
        "mech_violations": mech_violations,
        "surr_violations": surr_violations,
        "n_patients": n,
        "n_non_finite_patients": summary.n_non_finite_patients,
        "execution_time_ms": (time.perf_counter() - started) * 1000.0,
    }
    if routing.version2 and predicted is not None:
        metrics["out_of_domain_fraction"] = float(outside.mean())
        metrics["rmse_ci95"] = [audit.get("rmse_ci_low"), audit.get("rmse_ci_high")]
    if spec.model_version >= 2:
        metrics.update(neutropenia_metrics(spec, population, endpoints))
    source = np.where(simulate_mask, "mechanistic", "surrogate")
    return EvidenceOutcome(endpoints, source, summary, metrics)


def describe_out_of_domain(surrogate: Surrogate, population: Population, outside) -> str:
    from medlang.sim.population import design_matrix
    from medlang.sim.surrogate import FEATURES

    raw = design_matrix(population)
    below, above = raw < surrogate.domain_min, raw > surrogate.domain_max
    names = [name for j, name in enumerate(FEATURES) if (below[:, j] | above[:, j]).any()]
    dose = FEATURES.index("dose_mg")
    low, high = surrogate.domain_min[dose], surrogate.domain_max[dose]
    return (
        f"{int(outside.sum())} of {population.n} patients lie outside the surrogate's "
        f"training domain ({', '.join(names)}; doses trained on {low:.4g}-{high:.4g} mg); "
        "the surrogate would extrapolate: use the hybrid or mechanistic backend, retrain "
        "on a wider range, or pass --allow-extrapolation to run anyway (the out-of-domain "
        "fraction is then reported)"
    )


def _rmse_ci(predicted: Endpoints, reference: Endpoints, routing: Routing) -> dict:
    """Percentile bootstrap 95% CI of the audit rmse (pooled log endpoints)."""
    from medlang.sim.surrogate import endpoint_targets

    err = endpoint_targets(predicted) - endpoint_targets(reference)
    err = err[np.isfinite(err).all(axis=1)]
    if len(err) == 0:
        return {"rmse_ci_low": float("nan"), "rmse_ci_high": float("nan")}
    rng = np.random.default_rng(routing.seed)
    squared = (err**2).mean(axis=1)
    draws = rng.integers(0, len(squared), (BOOTSTRAP_SAMPLES, len(squared)))
    rmse = np.sqrt(squared[draws].mean(axis=1))
    low, high = np.percentile(rmse, [2.5, 97.5])
    return {"rmse_ci_low": float(low), "rmse_ci_high": float(high)}


def _audit_sample(candidates: np.ndarray, routing: Routing) -> np.ndarray:
    audit = np.zeros_like(candidates)
    pool = np.flatnonzero(candidates)
    k = int(round(routing.audit_fraction * len(pool)))
    if routing.version2:
        k = min(len(pool), max(MIN_AUDIT, k))
    if k:
        rng = np.random.default_rng(routing.seed)
        audit[rng.choice(pool, size=k, replace=False)] = True
    return audit


def _combine(
    spec: TrialSpec,
    population: Population,
    simulate_mask: np.ndarray,
    predicted: Endpoints | None,
    progress=None,
) -> tuple[Endpoints, int]:
    if predicted is None:
        best, nadir = np.full(population.n, np.nan), np.full(population.n, np.nan)
    else:
        best, nadir = predicted.best_rts.copy(), predicted.anc_nadir.copy()
    violations = 0
    index = np.flatnonzero(simulate_mask)
    # model version 2's time-course endpoints: NaN where the surrogate predicted
    timing = None
    if spec.model_version >= 2:
        n_visits = len(visit_cycles(spec))
        timing = [np.full(population.n, np.nan), np.full(population.n, np.nan)]
        timing.append(np.full((n_visits, population.n), np.nan))
    if len(index):
        outcome = simulate(spec, population.subset(index), progress=progress)
        best[index] = outcome.endpoints.best_rts
        nadir[index] = outcome.endpoints.anc_nadir
        violations = outcome.violations.total
        if timing is not None:
            timing[0][index] = outcome.endpoints.nadir_day
            timing[1][index] = outcome.endpoints.grade4_days
            timing[2][:, index] = outcome.endpoints.visit_rts
    if timing is None:
        return Endpoints(best, nadir), violations
    return Endpoints(best, nadir, *timing), violations
