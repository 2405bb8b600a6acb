"""Virtual patients: covariates and individual PK/PD parameters, sampled once per seed.

The individual parameters (random effects included) are part of a patient's
description, like covariates: the mechanistic model and the surrogate both see
the same patient, and the surrogate learns the map from that description and the
dose to the endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medlang.sim.params import Covariate, Param, TrialSpec

# Patient descriptors in a fixed order (surrogate features use this order).
PATIENT_FIELDS: tuple[str, ...] = (
    "weight_kg",
    "baseline_tumour_mm",
    "cl_l_per_h",
    "v_l",
    "growth_per_day",
    "kill_per_mg_l_per_day",
    "resistance_per_day",
    "circ0",
    "mtt_h",
    "gamma",
    "slope_per_umol_l",
)


@dataclass(frozen=True)
class Population:
    """One row per patient; ``values[name]`` is a float array of length ``n``."""

    values: dict[str, np.ndarray]
    dose_mg: np.ndarray
    arm_index: np.ndarray

    @property
    def n(self) -> int:
        return len(self.dose_mg)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def subset(self, index: np.ndarray) -> Population:
        return Population(
            values={name: column[index] for name, column in self.values.items()},
            dose_mg=self.dose_mg[index],
            arm_index=self.arm_index[index],
        )

    def with_dose(self, dose_mg: np.ndarray) -> Population:
        return Population(self.values, np.asarray(dose_mg, dtype=float), self.arm_index)


def _covariate(rng: np.random.Generator, cov: Covariate, n: int) -> np.ndarray:
    omega = np.sqrt(np.log1p(cov.cv**2))
    return np.clip(cov.median * np.exp(rng.normal(0.0, omega, n)), cov.low, cov.high)


def _individual(rng: np.random.Generator, param: Param, n: int) -> np.ndarray:
    return param.typical * np.exp(rng.normal(0.0, param.omega, n))


def sample_patients(spec: TrialSpec, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Covariates and individual parameters of ``n`` patients (allometry applied)."""
    pop, pk, tumour, marrow = spec.population, spec.pk, spec.tumour, spec.marrow
    weight = _covariate(rng, pop.weight_kg, n)
    size = weight / pk.reference_weight_kg
    return {
        "weight_kg": weight,
        "baseline_tumour_mm": _covariate(rng, pop.baseline_tumour_mm, n),
        "cl_l_per_h": _individual(rng, pk.cl_l_per_h, n) * size**pk.cl_weight_exponent,
        "v_l": _individual(rng, pk.v_l, n) * size**pk.v_weight_exponent,
        "growth_per_day": _individual(rng, tumour.growth_per_day, n),
        "kill_per_mg_l_per_day": _individual(rng, tumour.kill_per_mg_l_per_day, n),
        "resistance_per_day": _individual(rng, tumour.resistance_per_day, n),
        "circ0": _individual(rng, marrow.circ0, n),
        "mtt_h": _individual(rng, marrow.mtt_h, n),
        "gamma": _individual(rng, marrow.gamma, n),
        "slope_per_umol_l": _individual(rng, marrow.slope_per_umol_l, n),
    }


def trial_population(spec: TrialSpec, seed: int | None = None) -> Population:
    """The trial's patients: ``patients_per_arm`` per arm, arm by arm, from one seed."""
    rng = np.random.default_rng(spec.seed if seed is None else seed)
    n = spec.n_patients
    arm_index = np.repeat(np.arange(len(spec.arms)), spec.patients_per_arm)
    doses = np.array([arm.dose_mg for arm in spec.arms], dtype=float)[arm_index]
    return Population(sample_patients(spec, n, rng), doses, arm_index)


def design_matrix(population: Population) -> np.ndarray:
    """Features (n, len(PATIENT_FIELDS) + 1): patient descriptors then dose."""
    columns = [population[name] for name in PATIENT_FIELDS] + [population.dose_mg]
    return np.column_stack(columns).astype(float)
