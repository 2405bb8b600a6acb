"""One helper per run-producing command: the right run kind and artifact kinds.

Each returns the run id. ``started_at`` is when the work began (default: now).
"""

from __future__ import annotations

import os
from datetime import datetime

from medlang.registry.errors import RegistryError
from medlang.registry.logger import ArtifactSpec, RunLogger
from medlang.registry.model import ArtifactKind, JsonObject, RunKind

PathLike = str | os.PathLike[str]

_EVIDENCE_KINDS = {
    "mechanistic": RunKind.EvidenceMechanistic,
    "surrogate": RunKind.EvidenceSurrogate,
    "hybrid": RunKind.EvidenceHybrid,
}


def log_evidence_run(
    logger: RunLogger,
    backend: str,
    metrics: JsonObject,
    result_file: PathLike,
    config: JsonObject | None = None,
    started_at: datetime | None = None,
) -> str:
    """An evidence run on the Mechanistic, Surrogate or Hybrid backend (any case)."""
    kind = _EVIDENCE_KINDS.get(str(backend).strip().lower())
    if kind is None:
        raise RegistryError(
            f"unknown evidence backend {backend!r}; expected Mechanistic, Surrogate or Hybrid"
        )
    backend_name = kind.value.removeprefix("Evidence")
    full_config = {**(config or {}), "backend": backend_name}
    artifacts: list[ArtifactSpec] = [(ArtifactKind.EvidenceResult, result_file)]
    return logger.log_run_with_artifacts(
        kind, full_config, metrics, artifacts, started_at=started_at
    )


def log_surrogate_train(
    logger: RunLogger,
    config: JsonObject,
    metrics: JsonObject,
    model_file: PathLike,
    started_at: datetime | None = None,
) -> str:
    artifacts: list[ArtifactSpec] = [(ArtifactKind.SurrogateModel, model_file)]
    return logger.log_run_with_artifacts(
        RunKind.SurrogateTrain, config, metrics, artifacts, started_at=started_at
    )


def log_surrogate_eval(
    logger: RunLogger,
    config: JsonObject,
    metrics: JsonObject,
    report_file: PathLike,
    started_at: datetime | None = None,
) -> str:
    artifacts: list[ArtifactSpec] = [(ArtifactKind.SurrogateEvalReport, report_file)]
    return logger.log_run_with_artifacts(
        RunKind.SurrogateEval, config, metrics, artifacts, started_at=started_at
    )


def log_rl_train(
    logger: RunLogger,
    config: JsonObject,
    metrics: JsonObject,
    policy_file: PathLike,
    report_file: PathLike | None = None,
    started_at: datetime | None = None,
) -> str:
    """An RL training run: the policy, then the training report if there is one."""
    artifacts: list[ArtifactSpec] = [(ArtifactKind.RLPolicy, policy_file)]
    if report_file is not None:
        artifacts.append((ArtifactKind.RLTrainReport, report_file))
    return logger.log_run_with_artifacts(
        RunKind.RLTrain, config, metrics, artifacts, started_at=started_at
    )


def log_rl_eval(
    logger: RunLogger,
    config: JsonObject,
    metrics: JsonObject,
    report_file: PathLike,
    started_at: datetime | None = None,
) -> str:
    artifacts: list[ArtifactSpec] = [(ArtifactKind.RLEvalReport, report_file)]
    return logger.log_run_with_artifacts(
        RunKind.RLEval, config, metrics, artifacts, started_at=started_at
    )
