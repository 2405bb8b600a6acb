"""Declared invariants of the simulated state, and their violation counter.

Each check point (the end of every simulated day, and the end of a cycle that
does not fall on a day boundary) tests every patient's state against every
invariant; each failing (patient, check point, invariant) triple is counted under
the invariant's name. Nothing is clipped or
repaired: a violating patient keeps its (possibly non-finite) endpoints, so the
counts and the endpoints tell the same story.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# State rows of the ODE system (see medlang.sim.ode).
AMOUNT, TUMOUR, PROL, TRANSIT1, TRANSIT2, TRANSIT3, CIRC = range(7)

# Physiological upper bounds: ANC above 100 x 10^9/L or a sum of tumour diameters
# above 2 m are not states a patient can be in.
MAX_ANC = 100.0
MAX_TUMOUR_MM = 2000.0

INVARIANTS: tuple[str, ...] = (
    "non_finite_state",
    "negative_drug_amount",
    "negative_tumour_size",
    "negative_cell_count",
    "anc_above_physiological",
    "tumour_above_physiological",
)
# Model version 2 only (medlang.sim.model2): a step too long for the drug effect.
STEP_SIZE_GUARD = "step_size_guard"


@dataclass
class ViolationCounter:
    """Counts per invariant, and per patient (for routing and audit)."""

    n_patients: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INVARIANTS, 0))
    per_patient: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.per_patient = np.zeros(self.n_patients, dtype=np.int64)

    @property
    def total(self) -> int:
        return int(sum(self.counts.values()))

    def check(self, state: np.ndarray, patients: slice | np.ndarray) -> None:
        """Test ``state`` (7, k) of the patients at positions ``patients``."""
        failures = {
            "non_finite_state": ~np.isfinite(state).all(axis=0),
            "negative_drug_amount": state[AMOUNT] < 0.0,
            "negative_tumour_size": state[TUMOUR] < 0.0,
            "negative_cell_count": (state[PROL:] < 0.0).any(axis=0),
            "anc_above_physiological": state[CIRC] > MAX_ANC,
            "tumour_above_physiological": state[TUMOUR] > MAX_TUMOUR_MM,
        }
        for name, failed in failures.items():
            if failed.any():
                self.counts[name] += int(failed.sum())
                self.per_patient[patients] += failed

    def record(self, failures: dict[str, np.ndarray], patients: slice | np.ndarray) -> None:
        """Add per-patient failure counts (bool or int arrays) of the named invariants."""
        for name, failed in failures.items():
            if failed.any():
                self.counts[name] = self.counts.get(name, 0) + int(failed.sum())
                self.per_patient[patients] += failed

    def merge(self, other: ViolationCounter, patients: np.ndarray) -> None:
        for name, count in other.counts.items():
            self.counts[name] = self.counts.get(name, 0) + count
        self.per_patient[patients] += other.per_patient
