"""Typical parameter values of the virtual oncology trial, with their sources.

The simulator works in hours, milligrams, litres, millimetres and 10^9 cells/L.
Every individual parameter is log-normal around its typical value:
``theta_i = typical * exp(eta_i)``, ``eta_i ~ N(0, omega^2)``, ``omega^2 = ln(1 + cv^2)``.

Drug: docetaxel, a cytotoxic taxane given as a short IV infusion every 21 days.

PK (one compartment, IV bolus once per cycle)
    CL 36 L/h: Bruno R, et al. Population pharmacokinetics/pharmacodynamics of
    docetaxel in phase II studies in patients with cancer. J Clin Oncol 1998;16:187-196
    (typical clearance 35.6 L/h). Docetaxel is three-compartmental; a single
    compartment of 100 L lumps the central and fast peripheral volumes so that the
    exposure (AUC = dose / CL) is right and the peak is blunted (an approximation,
    stated as such). Allometric scaling on body weight with exponents 0.75 (CL)
    and 1.0 (V) at 70 kg: Anderson BJ, Holford NHG. Annu Rev Pharmacol Toxicol
    2008;48:303-332. Molar mass 807.9 g/mol converts mg/L to umol/L.

Neutrophils (Friberg semi-mechanistic myelosuppression model)
    Friberg LE, et al. Model of chemotherapy-induced myelosuppression with
    parameter consistency across drugs. J Clin Oncol 2002;20:4713-4721.
    Docetaxel estimates: Circ0 5.05 x 10^9/L, MTT 88.7 h, gamma 0.161,
    slope 8.58 per umol/L (linear drug effect). IIV magnitudes are of the order
    reported there (Circ0 ~ 40%, MTT ~ 15%, slope ~ 35%).

Tumour (tumour growth inhibition with exponential growth, drug kill and resistance)
    Claret L, et al. Model-based prediction of phase III overall survival in
    colorectal cancer on the basis of phase II tumor dynamics. J Clin Oncol
    2009;27:4103-4108, adapted: Claret's equation is dy/dt = KL*y - KD(t)*E(t)*y
    with E the drug exposure (dose or AUC); this model drives the kill by the plasma
    concentration instead, dy/dt = KL*y - KD(t)*C(t)*y, KD(t) = KD0*exp(-lambda*t),
    so KD0 is per (mg/L) per day and is not Claret's estimate. Growth, kill and
    resistance rates are illustrative values of the magnitude reported for such
    models (tumour doubling of ~ 100 days), chosen so that the example trial has a
    docetaxel-like objective response rate (20-40%); they are not fitted to data.

Response: RECIST 1.1 partial response or better, >= 30% shrinkage of the sum of
diameters from baseline (Eisenhauer EA, et al. Eur J Cancer 2009;45:228-247).
DLT: grade 4 neutropenia, ANC < 0.5 x 10^9/L (CTCAE v5), in cycle 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

DOCETAXEL_MOLAR_MASS_G_PER_MOL = 807.9


@dataclass(frozen=True)
class Param:
    """A typical value and its between-patient coefficient of variation (0 = none)."""

    typical: float
    cv: float = 0.0

    @property
    def omega(self) -> float:
        return math.sqrt(math.log1p(self.cv**2))


@dataclass(frozen=True)
class Covariate:
    """A log-normal patient covariate, clipped to [low, high]."""

    median: float
    cv: float
    low: float
    high: float


@dataclass(frozen=True)
class Arm:
    label: str
    dose_mg: float


@dataclass(frozen=True)
class PkParams:
    cl_l_per_h: Param = Param(36.0, 0.25)
    v_l: Param = Param(100.0, 0.20)
    cl_weight_exponent: float = 0.75
    v_weight_exponent: float = 1.0
    reference_weight_kg: float = 70.0
    molar_mass_g_per_mol: float = DOCETAXEL_MOLAR_MASS_G_PER_MOL


@dataclass(frozen=True)
class TumourParams:
    growth_per_day: Param = Param(0.007, 0.3)  # doubling ~ 100 days
    kill_per_mg_l_per_day: Param = Param(1.4, 0.5)  # KD0, per (mg/L) per day
    resistance_per_day: Param = Param(0.01, 0.4)  # lambda
    visit_every_cycles: int = 2  # RECIST assessment every 6 weeks


@dataclass(frozen=True)
class MarrowParams:
    circ0: Param = Param(5.05, 0.40)  # baseline ANC, 10^9/L
    mtt_h: Param = Param(88.7, 0.15)
    gamma: Param = Param(0.161, 0.0)
    slope_per_umol_l: Param = Param(8.58, 0.35)


@dataclass(frozen=True)
class PopulationParams:
    weight_kg: Covariate = Covariate(70.0, 0.20, 40.0, 150.0)
    baseline_tumour_mm: Covariate = Covariate(60.0, 0.40, 10.0, 250.0)


@dataclass(frozen=True)
class Thresholds:
    response_shrinkage: float = 0.30  # responder: best RTS <= 1 - shrinkage
    dlt_anc: float = 0.5  # grade 4 neutropenia, 10^9/L
    grade3_anc: float = 1.0


DLT_DEFINITIONS = ("grade4_any", "grade4_7days_or_fn")
RESPONSE_DEFINITIONS = ("unconfirmed", "confirmed")


@dataclass(frozen=True)
class Protocol:
    """How a trial classifies patients (recorded in every run's config).

    DLT (cycle 1): ``grade4_any``, any ANC below ``dlt_anc``; or
    ``grade4_7days_or_fn``, the usual phase-I definition: grade-4 neutropenia lasting
    at least 7 days, or febrile neutropenia. The simulator has no fever model, so
    febrile neutropenia is not simulated: this definition counts grade 4 lasting
    >= 7 days only and under-counts DLTs by the febrile episodes of shorter
    grade-4 spells (about 1 in 10 patients at 100 mg/m2 per the Taxotere label).
    Response (RECIST 1.1, Eisenhauer 2009): ``unconfirmed``, best relative size at
    an assessment <= 1 - shrinkage; ``confirmed``, such an assessment followed by
    another at least ``confirmation_weeks`` later that still qualifies.
    """

    dlt: str = "grade4_any"
    response: str = "unconfirmed"
    confirmation_weeks: float = 4.0


@dataclass(frozen=True)
class TrialSpec:
    """Everything the mechanistic backend needs for one virtual trial."""

    arms: tuple[Arm, ...]
    patients_per_arm: int
    cycles: int
    cycle_days: float = 21.0
    population: PopulationParams = field(default_factory=PopulationParams)
    pk: PkParams = field(default_factory=PkParams)
    tumour: TumourParams = field(default_factory=TumourParams)
    marrow: MarrowParams = field(default_factory=MarrowParams)
    thresholds: Thresholds = field(default_factory=Thresholds)
    step_hours: float = 1.0
    post_dose_step_hours: float = 0.1
    post_dose_hours: float = 48.0
    seed: int = 0
    # 1: the program's one-compartment drug model, RK4 on the whole system (runs
    # logged before model versions existed); 2: medlang.sim.docetaxel
    model_version: int = 1
    distribution: Any = None  # medlang.sim.docetaxel.Distribution (model version 2)
    protocol: Protocol = field(default_factory=lambda: Protocol())

    @property
    def n_patients(self) -> int:
        return len(self.arms) * self.patients_per_arm

    @property
    def schedule(self):  # -> medlang.sim.ode.StepSchedule
        from medlang.sim.ode import StepSchedule

        return StepSchedule(self.step_hours, self.post_dose_step_hours, self.post_dose_hours)

    @property
    def responder_rts(self) -> float:
        return 1.0 - self.thresholds.response_shrinkage
