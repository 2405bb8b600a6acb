"""The surrogate's scaler must not divide by rounding noise: a feature that is
constant in the training set (gamma has cv = 0) gets a scale of 1, not ~1e-16."""

from __future__ import annotations

import numpy as np

from medlang.sim.mlp import AdamSettings
from medlang.sim.params import Arm, TrialSpec
from medlang.sim.population import PATIENT_FIELDS, trial_population
from medlang.sim.surrogate_fit import SurrogateTraining, feature_std, fit_surrogate


def test_constant_columns_get_scale_one_even_with_rounding_noise() -> None:
    noisy = np.log(np.full(50, 0.161)) + np.array([0.0, 2.0**-52] * 25)  # std ~1e-16
    values = np.column_stack([noisy, np.full(50, 1e6), np.arange(50.0)])
    std = feature_std(values)
    assert std[0] == 1.0 and std[1] == 1.0
    assert std[2] == np.arange(50.0).std()


def test_tiny_but_real_spread_is_kept() -> None:
    values = np.array([[0.0], [1e-9]])
    assert feature_std(values)[0] == 5e-10


def test_a_surrogate_trained_with_constant_gamma_scales_gamma_by_one() -> None:
    spec = TrialSpec(arms=(Arm("low", 60.0), Arm("high", 240.0)), patients_per_arm=5, cycles=1)
    settings = SurrogateTraining(40, 50.0, 250.0, (4,), AdamSettings(epochs=2), 0.25, seed=5)
    model, _ = fit_surrogate(spec, settings, "Small", "fp")
    gamma = PATIENT_FIELDS.index("gamma")
    assert model.x_std[gamma] == 1.0
    others = np.delete(model.x_std, gamma)
    assert (others > 1e-3).all() and (others != 1.0).all()
    prediction = model.predict(trial_population(spec, seed=9))
    assert np.isfinite(prediction.best_rts).all() and np.isfinite(prediction.anc_nadir).all()
