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
from medlang.sim.trial import Endpoints, TrialSummary, simulate, summarise

STRATEGIES = ("adaptive", "surrogate", "mechanistic")


@dataclass(frozen=True)
class Routing:
    strategy: str
    mech_threshold: float = 0.2
    audit_fraction: float = 0.05
    seed: int = 0


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
        if routing.strategy == "adaptive":
            mech_mask, predicted = route_to_mechanistic(
                spec, surrogate, population, routing.mech_threshold
            )
        else:
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
    source = np.where(simulate_mask, "mechanistic", "surrogate")
    return EvidenceOutcome(endpoints, source, summary, metrics)


def _audit_sample(candidates: np.ndarray, routing: Routing) -> np.ndarray:
    audit = np.zeros_like(candidates)
    pool = np.flatnonzero(candidates)
    k = int(round(routing.audit_fraction * len(pool)))
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
    if len(index):
        outcome = simulate(spec, population.subset(index), progress=progress)
        best[index] = outcome.endpoints.best_rts
        nadir[index] = outcome.endpoints.anc_nadir
        violations = outcome.violations.total
    return Endpoints(best, nadir), violations
