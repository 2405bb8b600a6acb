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
    ANC nadir (10^9/L). Non-finite values stay non-finite (and are counted as violations)."""

    best_rts: np.ndarray
    anc_nadir: np.ndarray

    def subset(self, index: np.ndarray) -> Endpoints:
        return Endpoints(self.best_rts[index], self.anc_nadir[index])


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
        return endpoints.best_rts <= spec.responder_rts  # NaN -> False


def dlts(spec: TrialSpec, endpoints: Endpoints) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return endpoints.anc_nadir < spec.thresholds.dlt_anc  # NaN -> False


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
