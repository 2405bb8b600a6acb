"""The surrogate: patient descriptors and dose -> (best relative tumour size,
cycle-1 ANC nadir), learned from mechanistic simulations.

Features are log-transformed (every descriptor is positive and log-normal; the
dose as log(1 + dose) so a zero dose is allowed) and standardised; targets are the
logs of the two endpoints, standardised. The JSON file records everything needed
to predict and to judge whether a prediction can be trusted: architecture,
weights, scalers, the training domain (per-feature min/max in natural units), the
evidence program's name and parameter fingerprint, and the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from medlang.sim.mlp import Mlp
from medlang.sim.population import PATIENT_FIELDS, Population, design_matrix
from medlang.sim.trial import Endpoints

FORMAT = "medlang-surrogate/1"
FEATURES: tuple[str, ...] = (*PATIENT_FIELDS, "dose_mg")
TARGETS: tuple[str, ...] = ("log_best_rts", "log_anc_nadir_cycle1")


class SurrogateFormatError(ValueError):
    """The surrogate file is not a valid surrogate model; the message names the field."""


def transform_features(raw: np.ndarray) -> np.ndarray:
    out = np.log(raw[:, :-1])
    return np.column_stack([out, np.log1p(raw[:, -1])])


def endpoint_targets(endpoints: Endpoints) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.column_stack([np.log(endpoints.best_rts), np.log(endpoints.anc_nadir)])


@dataclass
class Surrogate:
    mlp: Mlp
    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: np.ndarray
    y_std: np.ndarray
    domain_min: np.ndarray  # natural units, per feature
    domain_max: np.ndarray
    program_name: str
    program_fingerprint: str
    seed: int
    training: dict[str, Any]
    model_version: int = 1  # of the mechanistic model it learned (absent in old files: 1)

    # --- prediction ------------------------------------------------------

    def predict(self, population: Population) -> Endpoints:
        raw = design_matrix(population)
        x = (transform_features(raw) - self.x_mean) / self.x_std
        y = self.mlp.forward(x) * self.y_std + self.y_mean
        with np.errstate(over="ignore"):
            return Endpoints(best_rts=np.exp(y[:, 0]), anc_nadir=np.exp(y[:, 1]))

    def in_domain(self, population: Population) -> np.ndarray:
        raw = design_matrix(population)
        return ((raw >= self.domain_min) & (raw <= self.domain_max)).all(axis=1)

    @property
    def dose_range_mg(self) -> tuple[float, float]:
        dose = FEATURES.index("dose_mg")
        return float(self.domain_min[dose]), float(self.domain_max[dose])

    # --- persistence -----------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        # model version 1's files stay byte-identical to those written before versions
        version = {"model_version": self.model_version} if self.model_version >= 2 else {}
        return {
            "format": FORMAT,
            **version,
            "evidence_program": self.program_name,
            "program_fingerprint": self.program_fingerprint,
            "seed": self.seed,
            "features": list(FEATURES),
            "feature_transform": "log (descriptors), log1p (dose_mg); then standardised",
            "targets": list(TARGETS),
            "architecture": {
                "layers": [self.mlp.weights[0].shape[0]] + [w.shape[1] for w in self.mlp.weights],
                "activation": "tanh",
                "output": "linear",
            },
            "scalers": {
                "x_mean": self.x_mean.tolist(),
                "x_std": self.x_std.tolist(),
                "y_mean": self.y_mean.tolist(),
                "y_std": self.y_std.tolist(),
            },
            "domain": {
                name: [float(lo), float(hi)]
                for name, lo, hi in zip(FEATURES, self.domain_min, self.domain_max, strict=True)
            },
            "weights": [
                {"W": w.tolist(), "b": b.tolist()}
                for w, b in zip(self.mlp.weights, self.mlp.biases, strict=True)
            ],
            "training": self.training,
        }

    @classmethod
    def from_json(cls, data: Any) -> Surrogate:
        try:
            return cls._from_json(data)
        except SurrogateFormatError:
            raise
        except KeyError as error:
            raise SurrogateFormatError(f"field {error}: missing") from None
        except (TypeError, ValueError, IndexError, AttributeError) as error:
            raise SurrogateFormatError(f"malformed surrogate model: {error}") from None

    @classmethod
    def _from_json(cls, data: Any) -> Surrogate:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SurrogateFormatError(f"field 'format': expected {FORMAT!r}")
        if list(data["features"]) != list(FEATURES):
            raise SurrogateFormatError("field 'features': not the features of this simulator")
        weights = [np.asarray(layer["W"], dtype=float) for layer in data["weights"]]
        biases = [np.asarray(layer["b"], dtype=float) for layer in data["weights"]]
        for index, (w, b) in enumerate(zip(weights, biases, strict=True)):
            expected_in = len(FEATURES) if index == 0 else weights[index - 1].shape[1]
            if w.ndim != 2 or w.shape[0] != expected_in or b.shape != (w.shape[1],):
                raise SurrogateFormatError(f"field 'weights[{index}]': inconsistent shapes")
        if weights[-1].shape[1] != len(TARGETS):
            raise SurrogateFormatError("field 'weights': output size is not 2")
        scalers = {
            name: _vector(data["scalers"], name, len(FEATURES) if name[0] == "x" else len(TARGETS))
            for name in ("x_mean", "x_std", "y_mean", "y_std")
        }
        if (scalers["x_std"] <= 0).any() or (scalers["y_std"] <= 0).any():
            raise SurrogateFormatError("field 'scalers': standard deviations must be > 0")
        domain = np.asarray([data["domain"][name] for name in FEATURES], dtype=float)
        if domain.shape != (len(FEATURES), 2):
            raise SurrogateFormatError("field 'domain': expected [min, max] per feature")
        return cls(
            mlp=Mlp(weights, biases),
            **scalers,
            domain_min=domain[:, 0],
            domain_max=domain[:, 1],
            program_name=str(data["evidence_program"]),
            program_fingerprint=str(data["program_fingerprint"]),
            seed=int(data["seed"]),
            training=dict(data.get("training", {})),
            model_version=_model_version(data.get("model_version", 1)),
        )


def _vector(scalers: dict, name: str, size: int) -> np.ndarray:
    vector = np.asarray(scalers[name], dtype=float)
    if vector.shape != (size,) or not np.isfinite(vector).all():
        raise SurrogateFormatError(f"field 'scalers.{name}': expected {size} finite numbers")
    return vector


def _model_version(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SurrogateFormatError("field 'model_version': expected a model version (1, 2, ...)")
    return value
