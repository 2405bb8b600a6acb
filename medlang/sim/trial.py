"""The mechanistic virtual trial: patients -> ODE solve -> endpoints -> ORR and DLT rate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from medlang.sim.contracts import TUMOUR, ViolationCounter
from medlang.sim.ode import HOURS_PER_DAY, Rates, initial_state, run_cycle
from medlang.sim.params import TrialSpec
from medlang.sim.population import Population

DEFAULT_BLOCK_SIZE = 4096  # patients per solver block: bounds memory only


@dataclass(frozen=True)
class Endpoints:
    """Per-patient endpoints: best relative tumour size over the visits and the cycle-1
    ANC nadir (10^9/L). Non-finite values stay non-finite (and are counted as violations).

    Model version 2 also gives the cycle-1 nadir day, the cycle-1 days with ANC below
    the grade-4 threshold and the relative tumour size at every visit (rows); a
    surrogate-predicted patient has NaN there (the surrogate predicts the first two)."""

    best_rts: np.ndarray
    anc_nadir: np.ndarray
    nadir_day: np.ndarray | None = None
    grade4_days: np.ndarray | None = None
    visit_rts: np.ndarray | None = None  # (visits, n)

    def subset(self, index: np.ndarray) -> Endpoints:
        def pick(values):
            return None if values is None else values[..., index]

        return Endpoints(
            self.best_rts[index],
            self.anc_nadir[index],
            pick(self.nadir_day),
            pick(self.grade4_days),
            pick(self.visit_rts),
        )


@dataclass(frozen=True)
class MechanisticOutcome:
    endpoints: Endpoints
    violations: ViolationCounter


def visit_cycles(spec: TrialSpec) -> list[int]:
    """Cycles (1-based) at whose end the tumour is assessed; always the last one."""
    every = max(1, spec.tumour.visit_every_cycles)
    visits = [c for c in range(1, spec.cycles + 1) if c % every == 0]
    if spec.cycles not in visits:
        visits.append(spec.cycles)
    return visits


def simulate(
    spec: TrialSpec,
    population: Population,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> MechanisticOutcome:
    """Solve every patient's PK/PD model over all cycles (same dose each cycle);
    ``progress`` is called with 1 after each cycle."""
    if spec.model_version >= 2:
        return _simulate_model2(spec, population, block_size, progress)
    rates = Rates.of(population, spec.pk.molar_mass_g_per_mol)
    violations = ViolationCounter(population.n)
    state = initial_state(population)
    cycle_h = spec.cycle_days * HOURS_PER_DAY
    visits = set(visit_cycles(spec))
    best_rts = np.full(population.n, np.inf)
    anc_nadir = np.full(population.n, np.nan)
    baseline = population["baseline_tumour_mm"]
    for cycle in range(1, spec.cycles + 1):
        result = run_cycle(
            state,
            rates,
            population.dose_mg,
            (cycle - 1) * cycle_h,
            cycle_h,
            spec.schedule,
            violations,
            block_size,
        )
        state = result.state
        if cycle == 1:
            anc_nadir = result.anc_nadir
        if cycle in visits:
            best_rts = np.minimum(best_rts, state[TUMOUR] / baseline)
        if progress is not None:
            progress(1)
    return MechanisticOutcome(Endpoints(best_rts, anc_nadir), violations)


def _simulate_model2(spec, population, block_size, progress) -> MechanisticOutcome:
    from medlang.sim.model2 import Model2Run

    run = Model2Run(spec, population, block_size)
    violations = ViolationCounter(population.n)
    visits = visit_cycles(spec)
    visit_rts = np.empty((len(visits), population.n))
    first = None
    for cycle in range(1, spec.cycles + 1):
        outcome = run.run_cycle(population.dose_mg, violations, timing=cycle == 1)
        if cycle == 1:
            first = outcome
        if cycle in visits:
            visit_rts[visits.index(cycle)] = outcome.rts_end
        if progress is not None:
            progress(1)
    endpoints = Endpoints(
        best_rts=visit_rts.min(axis=0),
        anc_nadir=first.anc_nadir,
        nadir_day=first.nadir_day,
        grade4_days=first.grade4_hours / HOURS_PER_DAY,
        visit_rts=visit_rts,
    )
    return MechanisticOutcome(endpoints, violations)


@dataclass(frozen=True)
class TrialSummary:
    orr: float
    dlt_rate: float
    orr_by_arm: dict[str, float]
    dlt_rate_by_arm: dict[str, float]
    responders: int
    dlts: int
    n_patients: int
    n_non_finite_patients: int


def responders(spec: TrialSpec, endpoints: Endpoints) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if spec.protocol.response == "confirmed":
            return confirmed_responders(spec, endpoints.visit_rts)
        return endpoints.best_rts <= spec.responder_rts  # NaN -> False


def confirmed_responders(spec: TrialSpec, visit_rts: np.ndarray) -> np.ndarray:
    """RECIST 1.1 confirmed response: a qualifying assessment followed by another at
    least ``confirmation_weeks`` later that still qualifies."""
    days = np.array(visit_cycles(spec), dtype=float) * spec.cycle_days
    with np.errstate(invalid="ignore"):
        qualifies = visit_rts <= spec.responder_rts
    confirmed = np.zeros(visit_rts.shape[1], dtype=bool)
    gap = 7.0 * spec.protocol.confirmation_weeks
    for i in range(len(days)):
        for j in range(i + 1, len(days)):
            if days[j] - days[i] >= gap - 1e-9:
                confirmed |= qualifies[i] & qualifies[j]
    return confirmed


# A phase-I grade-4 DLT must last at least this long (CTCAE-based usual definition).
GRADE4_DLT_DAYS = 7.0


def dlts(spec: TrialSpec, endpoints: Endpoints) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        grade4 = endpoints.anc_nadir < spec.thresholds.dlt_anc  # NaN -> False
        if spec.protocol.dlt == "grade4_7days_or_fn":  # no fever model: see Protocol
            return grade4 & (endpoints.grade4_days >= GRADE4_DLT_DAYS)
        return grade4


def neutropenia_metrics(spec: TrialSpec, population: Population, endpoints: Endpoints) -> dict:
    """Cycle-1 grade-4 incidence, median nadir day and median grade-4 duration (days,
    among patients with grade 4), overall and per arm: the calibration in every run."""
    with np.errstate(invalid="ignore"):
        grade4 = endpoints.anc_nadir < spec.thresholds.dlt_anc

    def block(mask: np.ndarray) -> dict:
        def median(values):
            values = values[np.isfinite(values)]
            return float(np.median(values)) if len(values) else float("nan")

        return {
            "grade4_rate": float(grade4[mask].mean()) if mask.any() else 0.0,
            "median_nadir_day": median(endpoints.nadir_day[mask]),
            "median_grade4_days": median(endpoints.grade4_days[mask & grade4]),
        }

    overall = block(np.ones(population.n, dtype=bool))
    by_arm = {
        arm.label: block(population.arm_index == index) for index, arm in enumerate(spec.arms)
    }
    metrics = dict(overall)
    for key in overall:
        metrics[f"{key}_by_arm"] = {label: values[key] for label, values in by_arm.items()}
    return metrics


def summarise(spec: TrialSpec, population: Population, endpoints: Endpoints) -> TrialSummary:
    response = responders(spec, endpoints)
    toxicity = dlts(spec, endpoints)
    by_arm_orr: dict[str, float] = {}
    by_arm_dlt: dict[str, float] = {}
    for index, arm in enumerate(spec.arms):
        in_arm = population.arm_index == index
        by_arm_orr[arm.label] = float(response[in_arm].mean()) if in_arm.any() else 0.0
        by_arm_dlt[arm.label] = float(toxicity[in_arm].mean()) if in_arm.any() else 0.0
    finite = np.isfinite(endpoints.best_rts) & np.isfinite(endpoints.anc_nadir)
    return TrialSummary(
        orr=float(response.mean()),
        dlt_rate=float(toxicity.mean()),
        orr_by_arm=by_arm_orr,
        dlt_rate_by_arm=by_arm_dlt,
        responders=int(response.sum()),
        dlts=int(toxicity.sum()),
        n_patients=population.n,
        n_non_finite_patients=int((~finite).sum()),
    )
