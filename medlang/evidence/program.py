"""The Python side of ``med.evidence::EvidenceProgram``: a validated pydantic model
built from the MedLang value (via ``to_python``), and its conversion to the
simulator's ``TrialSpec``.

Every Float must be finite (no NaN or infinity: ``1e308 * 10.0`` is refused) and
within its physical range, checked after the program is evaluated and before any
simulation; a violation is one line naming the field path. The ranges are wide on
purpose (they catch impossible values, not unusual ones):

| field | range |
|---|---|
| ``arms[].dose_mg`` | 0 ≤ dose ≤ 100,000 mg (100 g; docetaxel is dosed at ~150 mg) |
| ``*.typical`` of PK, tumour and marrow parameters | 0 < value ≤ 1e6 |
| ``*.cv`` (between-patient variability) | 0 ≤ cv ≤ 5 |
| ``population.*`` median/low/high | 0 < low ≤ median ≤ high ≤ 10,000 (kg, mm) |
| ``pk.*_weight_exponent`` (allometry, usually 0.75 and 1) | -5 ≤ exponent ≤ 5 |
| ``pk.reference_weight_kg`` | 0 < weight ≤ 1,000 kg |
| ``pk.molar_mass_g_per_mol`` | 0 < mass ≤ 1e6 g/mol (large proteins) |
| ``thresholds.response_shrinkage`` | 0 < fraction < 1 |
| ``thresholds.dlt_anc``, ``grade3_anc`` | 0 < ANC ≤ 100 ×10⁹/L |
| ``cycle_days`` | 0 < days ≤ 365; ``cycles`` 1..52 |
| ``solver.*step_hours`` | 0 < h ≤ 24; ``post_dose_hours`` 0..8,760 (a year) |
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from medlang.evidence.errors import EvidenceError, describe_validation_error
from medlang.sim import params as sim

# allow_inf_nan=False: NaN and infinities are refused for every Float field
_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

MAX_SOLVER_STEPS = 1_000_000  # the example trial takes about 5,600


MAX_DOSE_MG = 100_000.0


class ParamModel(BaseModel):
    model_config = _STRICT
    typical: float = Field(gt=0, le=1e6)
    cv: float = Field(ge=0, le=5)


class CovariateModel(BaseModel):
    model_config = _STRICT
    median: float = Field(gt=0, le=10_000)
    cv: float = Field(ge=0, le=5)
    low: float = Field(gt=0, le=10_000)
    high: float = Field(gt=0, le=10_000)

    @field_validator("high")
    @classmethod
    def _ordered(cls, high: float, info: ValidationInfo) -> float:
        low, median = info.data.get("low"), info.data.get("median")
        if low is not None and median is not None and not low <= median <= high:
            raise ValueError(f"need low <= median <= high (low {low}, median {median})")
        return high


class DoseArmModel(BaseModel):
    model_config = _STRICT
    label: str = Field(min_length=1)
    dose_mg: float = Field(ge=0, le=MAX_DOSE_MG)


class PopulationModel(BaseModel):
    model_config = _STRICT
    weight_kg: CovariateModel
    baseline_tumour_mm: CovariateModel


class PkModel(BaseModel):
    model_config = _STRICT
    cl_l_per_h: ParamModel
    v_l: ParamModel
    cl_weight_exponent: float = Field(ge=-5, le=5)
    v_weight_exponent: float = Field(ge=-5, le=5)
    reference_weight_kg: float = Field(gt=0, le=1_000)
    molar_mass_g_per_mol: float = Field(gt=0, le=1e6)


class TumourModel(BaseModel):
    model_config = _STRICT
    growth_per_day: ParamModel
    kill_per_mg_l_per_day: ParamModel
    resistance_per_day: ParamModel
    visit_every_cycles: int = Field(ge=1)


class MarrowModel(BaseModel):
    model_config = _STRICT
    circ0: ParamModel
    mtt_h: ParamModel
    gamma: ParamModel
    slope_per_umol_l: ParamModel


class ThresholdsModel(BaseModel):
    model_config = _STRICT
    response_shrinkage: float = Field(gt=0, lt=1)
    dlt_anc: float = Field(gt=0, le=100)
    grade3_anc: float = Field(gt=0, le=100)


class SolverModel(BaseModel):
    model_config = _STRICT
    step_hours: float = Field(gt=0, le=24)
    post_dose_step_hours: float = Field(gt=0, le=24)
    post_dose_hours: float = Field(ge=0, le=8_760)


class EvidenceProgram(BaseModel):
    """A virtual oncology trial as declared in MedLang (see stdlib/med/evidence.medlang)."""

    model_config = _STRICT
    name: str
    arms: list[DoseArmModel] = Field(min_length=1)
    patients_per_arm: int = Field(ge=1, le=100_000)
    cycles: int = Field(ge=1, le=52)
    cycle_days: float = Field(gt=0, le=365)
    population: PopulationModel
    pk: PkModel
    tumour: TumourModel
    marrow: MarrowModel
    thresholds: ThresholdsModel
    solver: SolverModel
    backend: Literal["Mechanistic", "Surrogate", "Hybrid"]
    seed: int = Field(ge=0)

    @field_validator("arms")
    @classmethod
    def _unique_labels(cls, arms: list[DoseArmModel]) -> list[DoseArmModel]:
        labels = [arm.label for arm in arms]
        if len(set(labels)) != len(labels):
            raise ValueError("arm labels must be unique")
        return arms

    @field_validator("solver")
    @classmethod
    def _finite_work(cls, solver: SolverModel, info: ValidationInfo) -> SolverModel:
        # a tiny step (1e-300 h) is valid alone but would integrate for ever
        cycle_h = info.data.get("cycle_days", 0.0) * 24.0
        fine_h = min(solver.post_dose_hours, cycle_h)
        per_cycle = fine_h / solver.post_dose_step_hours + (cycle_h - fine_h) / solver.step_hours
        steps = info.data.get("cycles", 1) * per_cycle
        if steps > MAX_SOLVER_STEPS:
            raise ValueError(
                f"about {steps:.3g} integration steps per patient (cycles x cycle length / "
                f"step); at most {MAX_SOLVER_STEPS:,}: use larger steps"
            )
        return solver

    @classmethod
    def from_value(cls, value: Any, where: str) -> EvidenceProgram:
        """Validate plain data (``to_python`` of the MedLang record); errors name ``where``."""
        try:
            return cls.model_validate(value)
        except ValidationError as error:
            raise EvidenceError(f"{where}: {describe_validation_error(error)}") from None

    def fingerprint(self) -> str:
        """sha256 of the parameters a surrogate or policy depends on: the model (PK,
        tumour, marrow, population, solver, schedule), not the arms, sizes or seed."""
        relevant = self.model_dump(
            mode="json",
            include={"cycles", "cycle_days", "population", "pk", "tumour", "marrow", "solver"},
        )
        canonical = json.dumps(relevant, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def value_sha256(self) -> str:
        """sha256 of the whole program (arms, sizes, seed and thresholds included)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_spec(
        self,
        seed: int | None = None,
        model_version: int = 1,
        protocol: sim.Protocol | None = None,
    ) -> sim.TrialSpec:
        """The simulator's spec; model version 2 replaces the program's drug model
        (``pk``, ``marrow``) by ``medlang.sim.docetaxel``'s."""
        spec = self._spec(seed)
        if model_version >= 2:
            from dataclasses import replace

            from medlang.sim.docetaxel import with_model_version_2

            spec = replace(with_model_version_2(spec), protocol=protocol or sim.Protocol())
        return spec

    def _spec(self, seed: int | None) -> sim.TrialSpec:
        def param(p: ParamModel) -> sim.Param:
            return sim.Param(p.typical, p.cv)

        def covariate(c: CovariateModel) -> sim.Covariate:
            return sim.Covariate(c.median, c.cv, c.low, c.high)

        pk, tumour, marrow = self.pk, self.tumour, self.marrow
        return sim.TrialSpec(
            arms=tuple(sim.Arm(arm.label, arm.dose_mg) for arm in self.arms),
            patients_per_arm=self.patients_per_arm,
            cycles=self.cycles,
            cycle_days=self.cycle_days,
            population=sim.PopulationParams(
                covariate(self.population.weight_kg),
                covariate(self.population.baseline_tumour_mm),
            ),
            pk=sim.PkParams(
                param(pk.cl_l_per_h),
                param(pk.v_l),
                pk.cl_weight_exponent,
                pk.v_weight_exponent,
                pk.reference_weight_kg,
                pk.molar_mass_g_per_mol,
            ),
            tumour=sim.TumourParams(
                param(tumour.growth_per_day),
                param(tumour.kill_per_mg_l_per_day),
                param(tumour.resistance_per_day),
                tumour.visit_every_cycles,
            ),
            marrow=sim.MarrowParams(
                param(marrow.circ0),
                param(marrow.mtt_h),
                param(marrow.gamma),
                param(marrow.slope_per_umol_l),
            ),
            thresholds=sim.Thresholds(
                self.thresholds.response_shrinkage,
                self.thresholds.dlt_anc,
                self.thresholds.grade3_anc,
            ),
            step_hours=self.solver.step_hours,
            post_dose_step_hours=self.solver.post_dose_step_hours,
            post_dose_hours=self.solver.post_dose_hours,
            seed=self.seed if seed is None else seed,
        )
