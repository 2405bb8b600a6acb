"""Training the surrogate on mechanistic simulations, and qualifying it on fresh patients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from medlang.sim.contracts import MAX_ANC
from medlang.sim.mlp import AdamSettings, Mlp, train
from medlang.sim.params import TrialSpec
from medlang.sim.population import Population, design_matrix, sample_patients
from medlang.sim.surrogate import Surrogate, endpoint_targets, transform_features
from medlang.sim.trial import Endpoints, simulate

Progress = Callable[[int], None]  # called with the number of cycles simulated since last call
MIN_FIT_PATIENTS = 2  # standardising the features needs a spread


class TrainingDataError(ValueError):
    """The simulated training set leaves too few patients to fit."""


@dataclass(frozen=True)
class SurrogateTraining:
    n_patients: int
    dose_min_mg: float
    dose_max_mg: float
    hidden_layers: tuple[int, ...]
    adam: AdamSettings
    val_fraction: float
    seed: int


def random_dose_population(
    spec: TrialSpec, n: int, dose_min: float, dose_max: float, rng: np.random.Generator
) -> Population:
    """Patients of the program's population with doses uniform in [dose_min, dose_max]."""
    values = sample_patients(spec, n, rng)
    doses = rng.uniform(dose_min, dose_max, n)
    return Population(values, doses, np.zeros(n, dtype=int))


@dataclass(frozen=True)
class TrainingSet:
    """Finite rows of a mechanistic training simulation, split into fit/validation."""

    raw: np.ndarray  # natural-unit features (for the training domain)
    x: np.ndarray  # transformed features
    y: np.ndarray  # log endpoints
    fit: np.ndarray  # row indices
    val: np.ndarray
    n_dropped_non_finite: int
    mech_violations: int


def simulate_training_set(
    spec: TrialSpec, settings: SurrogateTraining, rng: np.random.Generator, progress=None
) -> TrainingSet:
    population = random_dose_population(
        spec, settings.n_patients, settings.dose_min_mg, settings.dose_max_mg, rng
    )
    outcome = simulate(spec, population, progress=progress)
    raw = design_matrix(population)
    x, y = transform_features(raw), endpoint_targets(outcome.endpoints)
    usable = np.isfinite(y).all(axis=1)  # non-finite simulations are counted, not learned
    order = rng.permutation(int(usable.sum()))
    n_val = int(round(settings.val_fraction * len(order)))
    if len(order) - n_val < MIN_FIT_PATIENTS:
        raise TrainingDataError(
            f"only {len(order) - n_val} of {settings.n_patients} simulated patients are left "
            f"to fit ({int((~usable).sum())} non-finite simulations dropped, {n_val} held out "
            f"by val_fraction); need at least {MIN_FIT_PATIENTS}: check n_patients, "
            "val_fraction and dose_range_mg"
        )
    return TrainingSet(
        raw[usable],
        x[usable],
        y[usable],
        fit=order[n_val:],
        val=order[:n_val],
        n_dropped_non_finite=int((~usable).sum()),
        mech_violations=outcome.violations.total,
    )


def fit_surrogate(
    spec: TrialSpec,
    settings: SurrogateTraining,
    program_name: str,
    fingerprint: str,
    progress: Progress | None = None,
) -> tuple[Surrogate, dict]:
    """Simulate a training set, standardise it, train the MLP; (surrogate, metrics)."""
    rng = np.random.default_rng(settings.seed)
    data = simulate_training_set(spec, settings, rng, progress)
    fit, val = data.fit, data.val
    x_mean, x_std = data.x[fit].mean(axis=0), feature_std(data.x[fit])
    y_mean, y_std = data.y[fit].mean(axis=0), feature_std(data.y[fit])
    x, y = (data.x - x_mean) / x_std, (data.y - y_mean) / y_std
    mlp = Mlp.init([x.shape[1], *settings.hidden_layers, y.shape[1]], rng)
    history = train(mlp, x[fit], y[fit], x[val], y[val], settings.adam, rng)
    metrics = {
        # losses are mean squared errors on standardised log endpoints
        "train_loss": history.train_loss,
        "val_loss": history.val_loss,
        "n_epochs": history.n_epochs,
        "best_epoch": history.best_epoch,
        "n_train": int(len(fit)),
        "n_val": int(len(val)),
        "mech_violations": data.mech_violations,
    }
    training = {
        "n_simulated": settings.n_patients,
        "n_dropped_non_finite": data.n_dropped_non_finite,
        **{k: metrics[k] for k in ("n_train", "n_val", "mech_violations", "best_epoch")},
        "settings": {**asdict(settings), "hidden_layers": list(settings.hidden_layers)},
    }
    surrogate = Surrogate(
        mlp=mlp,
        x_mean=x_mean,
        x_std=x_std,
        y_mean=y_mean,
        y_std=y_std,
        domain_min=data.raw[fit].min(axis=0),
        domain_max=data.raw[fit].max(axis=0),
        program_name=program_name,
        program_fingerprint=fingerprint,
        seed=settings.seed,
        training=training,
        model_version=spec.model_version,
    )
    return surrogate, metrics


def feature_std(values: np.ndarray) -> np.ndarray:
    """Per-column scale for standardising; 1 for a (near-)constant column.

    A column that is constant up to rounding (e.g. log gamma when its cv is 0) has a
    std of ~1e-16; dividing by that would turn rounding noise into huge inputs.
    """
    std = values.std(axis=0)
    constant = std <= 1e-12 * np.maximum(1.0, np.abs(values.mean(axis=0)))
    return np.where(constant, 1.0, std)


# --- qualification ---------------------------------------------------------


@dataclass(frozen=True)
class Qualification:
    max_rmse: float
    min_r_squared: float


def surrogate_violations(endpoints: Endpoints) -> np.ndarray:
    """Per-patient count of predictions breaking the endpoint contracts."""
    rts, anc = endpoints.best_rts, endpoints.anc_nadir
    with np.errstate(invalid="ignore"):
        bad_rts = ~np.isfinite(rts) | (rts < 0)
        bad_anc = ~np.isfinite(anc) | (anc < 0) | (anc > MAX_ANC)
    return bad_rts.astype(int) + bad_anc.astype(int)


def error_metrics(predicted: Endpoints, reference: Endpoints) -> dict[str, float]:
    """Errors on the log endpoints (pooled over both), R^2 averaged over the two."""
    p, r = endpoint_targets(predicted), endpoint_targets(reference)
    ok = np.isfinite(p).all(axis=1) & np.isfinite(r).all(axis=1)
    p, r = p[ok], r[ok]
    if len(p) == 0:
        nan = float("nan")
        return {"rmse": nan, "mae": nan, "max_abs_err": nan, "r_squared": nan}
    err = p - r
    ss_tot = ((r - r.mean(axis=0)) ** 2).sum(axis=0)
    r2 = 1.0 - (err**2).sum(axis=0) / np.where(ss_tot > 0, ss_tot, 1.0)
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "max_abs_err": float(np.max(np.abs(err))),
        "r_squared": float(np.mean(r2)),
        "rmse_log_best_rts": float(np.sqrt(np.mean(err[:, 0] ** 2))),
        "rmse_log_anc_nadir": float(np.sqrt(np.mean(err[:, 1] ** 2))),
    }


def evaluate_surrogate(
    spec: TrialSpec,
    surrogate: Surrogate,
    population: Population,
    qualification: Qualification,
    progress: Progress | None = None,
    pairs: list[dict] | None = None,
) -> dict:
    """Qualification metrics of ``surrogate`` against the mechanistic model on
    ``population``; with ``pairs``, also each patient's two log endpoints from both
    (for parity and residual plots)."""
    mech = simulate(spec, population, progress=progress)
    predicted = surrogate.predict(population)
    metrics = error_metrics(predicted, mech.endpoints)
    if pairs is not None:
        pairs.extend(_patient_pairs(predicted, mech.endpoints, population.dose_mg))
    in_domain = surrogate.in_domain(population)
    passed = (
        np.isfinite(metrics["rmse"])
        and metrics["rmse"] <= qualification.max_rmse
        and metrics["r_squared"] >= qualification.min_r_squared
    )
    if spec.model_version >= 2:
        metrics["rmse_by_dose_stratum"] = rmse_by_dose_stratum(
            predicted, mech.endpoints, population.dose_mg, surrogate
        )
    metrics.update(
        mech_violations=mech.violations.total,
        surr_violations=int(surrogate_violations(predicted).sum()),
        qualification_passed=bool(passed),
        n_patients=population.n,
        in_domain_fraction=float(in_domain.mean()),
    )
    return metrics


def _patient_pairs(predicted: Endpoints, reference: Endpoints, doses) -> list[dict]:
    """Per patient: dose and [log best RTS, log cycle-1 ANC nadir], mechanistic and
    surrogate (null where non-finite: strict JSON)."""

    def finite(row) -> list[float | None]:
        return [float(v) if np.isfinite(v) else None for v in row]

    p, r = endpoint_targets(predicted), endpoint_targets(reference)
    return [
        {"dose_mg": float(dose), "mechanistic": finite(r[i]), "surrogate": finite(p[i])}
        for i, dose in enumerate(doses)
    ]


DOSE_STRATA = 5


def rmse_by_dose_stratum(predicted, reference, doses, surrogate) -> dict[str, float]:
    """rmse in equal-width strata of the surrogate's training dose range (doses
    outside it form their own strata)."""
    from medlang.sim.surrogate import FEATURES

    dose = FEATURES.index("dose_mg")
    low, high = float(surrogate.domain_min[dose]), float(surrogate.domain_max[dose])
    edges = np.linspace(low, high, DOSE_STRATA + 1)
    strata: dict[str, np.ndarray] = {f"<{low:.0f} mg": doses < low}
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        upper = doses <= b if b == edges[-1] else doses < b
        strata[f"{a:.0f}-{b:.0f} mg"] = (doses >= a) & upper
    strata[f">{high:.0f} mg"] = doses > high
    result = {}
    for label, mask in strata.items():
        if mask.any():
            result[label] = error_metrics(predicted.subset(mask), reference.subset(mask))["rmse"]
    return result
