"""A small registry with fixed ids and times: every run kind, realistic metrics.

Built through the real ``Registry`` API so the bridge reads exactly what the
toolchain writes. The log order differs from the start order on purpose (the
last run logged started first) and two hybrid runs share a start time, so
ordering rules are visible in the example programs' output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROJECT = "/srv/trials/oncology-dose-finding"
COMMIT_A = "4f9c2e1a7b3d5c6e8f0a1b2c3d4e5f6a7b8c9d0e"
COMMIT_B = "b71e09d2c4a6f8e0d1c3b5a7f9e2d4c6b8a0f1e3"


@dataclass(frozen=True)
class ArtifactSpec:
    id: str
    kind: str
    path: str
    sha256: str | None


@dataclass(frozen=True)
class RunSpec:
    id: str
    kind: str
    started: str  # "YYYY-MM-DD HH:MM:SS" UTC
    seconds: float  # duration
    program: str | None
    module: str | None
    commit: str | None
    dirty: bool
    config: dict[str, Any]
    metrics: dict[str, Any]
    artifacts: tuple[ArtifactSpec, ...] = ()


def _sha(seed: str) -> str:
    return (seed * 64)[:64]


MODEL_V1 = ArtifactSpec(
    id="92f3277b-62c8-4185-955e-c1a581daad10",
    kind="SurrogateModel",
    path=f"{PROJECT}/models/surrogate_v1.json",
    sha256=_sha("a1"),
)
MODEL_V2 = ArtifactSpec(
    id="6856e45b-95c7-4ab4-88ba-fad959d54505",
    kind="SurrogateModel",
    path=f"{PROJECT}/models/surrogate_v2.json",
    sha256=_sha("b2"),
)
HYBRID_RESULT = ArtifactSpec(
    id="56363b4b-e779-4470-bb7d-ae0495918694",
    kind="EvidenceResult",
    path=f"{PROJECT}/results/hybrid_arm_sweep.json",
    sha256=_sha("c3"),
)
RL_REPORT = ArtifactSpec(
    id="07564931-edcf-4109-aa6d-5547ae966193",
    kind="RLEvalReport",
    path=f"{PROJECT}/reports/rl_eval_1.json",
    sha256=None,  # logged before the file existed: no checksum
)
# Named by a run but never logged (e.g. lost in a crash): still listed, fields empty.
DANGLING_ARTIFACT_ID = "c76abf43-6fa8-4dca-ac0a-e4e2f729b4c8"

HYBRID_1 = "21636369-8b52-4b4a-97b7-50923ceb3ffd"
HYBRID_2 = "795b929e-9a9a-40fd-aa7b-5bf55eb561a4"
HYBRID_EARLY = "9b08923d-10c6-4fd9-94b2-b8fda02f34a6"
SURROGATE_EVAL_BEST = "31162427-3bfd-4d33-8d00-38ec42650644"
SURROGATE_EVAL_NO_RMSE = "d2d58443-07f0-42ce-87b3-17d94d1fe09f"
RL_EVAL_1 = "3b5f3d86-268e-4c45-9c6b-f1e1a399f82a"

_EVIDENCE_CONFIG = {"seed": 20260302, "arms": [50, 100, 150], "patients_per_arm": 100}

RUNS: tuple[RunSpec, ...] = (
    RunSpec(
        id="781f9c58-d664-4fa9-a8a8-529f035efa25",
        kind="EvidenceMechanistic",
        started="2026-03-02 09:00:00",
        seconds=252.5,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_A,
        dirty=False,
        config={**_EVIDENCE_CONFIG, "backend": "mechanistic"},
        metrics={
            "ORR": 0.4133,
            "DLT_rate": 0.12,
            "mech_violations": 0,
            "execution_time_ms": 4210,
            "per_arm": {"50mg": {"ORR": 0.21}, "100mg": {"ORR": 0.43}, "150mg": {"ORR": 0.6}},
        },
    ),
    RunSpec(
        id="8a7d43b5-7863-4074-b797-0386fee29476",
        kind="SurrogateTrain",
        started="2026-03-02 10:15:00",
        seconds=12.4,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_A,
        dirty=False,
        config={"seed": 7, "hidden_layers": [32, 32], "epochs": 200, "learning_rate": 0.001},
        metrics={
            "train_loss": 0.0123,
            "val_loss": 0.0157,
            "n_epochs": 200,
            "training_time_s": 12.4,
        },
        artifacts=(MODEL_V1,),
    ),
    RunSpec(
        id="65aa9c82-79f2-48b0-8cb4-a0d7d6225675",
        kind="SurrogateEval",
        started="2026-03-02 11:00:00",
        seconds=8.0,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_A,
        dirty=False,
        config={"seed": 11, "n_patients": 300, "surrogate": MODEL_V1.path},
        metrics={
            "rmse": 0.052,
            "mae": 0.038,
            "r_squared": 0.91,
            "max_abs_err": 0.21,
            "mech_violations": 0,
            "surr_violations": 0,
            "qualification_passed": False,
        },
    ),
    RunSpec(
        id="ed038db4-de38-4784-a6d0-b944a2863a7f",
        kind="SurrogateTrain",
        started="2026-03-03 08:30:00",
        seconds=19.75,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_B,
        dirty=False,
        config={"seed": 8, "hidden_layers": [64, 64], "epochs": 400, "learning_rate": 0.0005},
        metrics={
            "train_loss": 0.0061,
            "val_loss": 0.0079,
            "n_epochs": 400,
            "training_time_s": 19.75,
        },
        artifacts=(MODEL_V2,),
    ),
    RunSpec(
        id=SURROGATE_EVAL_BEST,
        kind="SurrogateEval",
        started="2026-03-03 09:10:00",
        seconds=8.5,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_B,
        dirty=False,
        config={"seed": 12, "n_patients": 300, "surrogate": MODEL_V2.path},
        metrics={
            "rmse": 0.031,
            "mae": 0.022,
            "r_squared": 0.964,
            "max_abs_err": 0.118,
            "mech_violations": 0,
            "surr_violations": 0,
            "qualification_passed": True,
        },
    ),
    RunSpec(
        id=HYBRID_1,
        kind="EvidenceHybrid",
        started="2026-03-03 14:00:00",
        seconds=0.9,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_B,
        dirty=True,
        config={
            **_EVIDENCE_CONFIG,
            "strategy": "adaptive",
            "mech_threshold": 0.05,
            "surrogate": MODEL_V2.path,
            "api_token": "***REDACTED***",
        },
        metrics={
            "ORR": 0.42,
            "DLT_rate": 0.1167,
            "mech_fraction": 0.18,
            "rmse": 0.029,
            "mae": 0.02,
            "mech_violations": 0,
            "surr_violations": 0,
            "execution_time_ms": 612,
        },
        artifacts=(HYBRID_RESULT,),
    ),
    RunSpec(
        id=HYBRID_2,
        kind="EvidenceHybrid",
        started="2026-03-03 14:00:00",  # same instant as HYBRID_1
        seconds=1.1,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_B,
        dirty=True,
        config={
            **_EVIDENCE_CONFIG,
            "strategy": "adaptive",
            "mech_threshold": 0.1,
            "surrogate": MODEL_V2.path,
        },
        metrics={
            "ORR": 0.4167,
            "DLT_rate": 0.12,
            "mech_fraction": 0.09,
            "rmse": 0.034,
            "mae": 0.024,
            "mech_violations": 0,
            "surr_violations": 1,
            "execution_time_ms": 455,
        },
    ),
    RunSpec(
        id="03e0a813-bdc2-4e99-a3d2-e49085ef3430",
        kind="EvidenceSurrogate",
        started="2026-03-03 15:20:00",
        seconds=0.25,
        program="OncologyEvidence",
        module=None,
        commit=None,
        dirty=False,
        config={**_EVIDENCE_CONFIG, "backend": "surrogate", "surrogate": MODEL_V2.path},
        metrics={"ORR": 0.4233, "DLT_rate": 0.1133, "surr_violations": 0, "execution_time_ms": 88},
    ),
    RunSpec(
        id="28ce6f24-1064-4d51-86f8-da3eabe19f58",
        kind="RLTrain",
        started="2026-03-04 08:00:00",
        seconds=95.2,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_B,
        dirty=False,
        config={
            "seed": 3,
            "episodes": 5000,
            "epsilon_decay": 0.999,
            "dose_levels": [0, 50, 100, 150],
        },
        metrics={
            "avg_reward": 1.62,
            "final_epsilon": 0.05,
            "convergence_episodes": 3400,
            "training_time_s": 95.2,
        },
    ),
    RunSpec(
        id=RL_EVAL_1,
        kind="RLEval",
        started="2026-03-04 09:30:00",
        seconds=14.0,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_B,
        dirty=False,
        config={"seed": 101, "n_episodes": 200, "policy": f"{PROJECT}/policies/q_v1.json"},
        metrics={
            "avg_reward": 1.84,
            "std_reward": 0.62,
            "success_rate": 0.58,
            "avg_contract_violations": 0.0,
            "n_simulations": 200,
        },
        artifacts=(RL_REPORT,),
    ),
    RunSpec(
        id="0af438d2-9752-4d6a-b51e-8722c21b6092",
        kind="RLEval",
        started="2026-03-04 10:45:00",
        seconds=15.5,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_B,
        dirty=True,
        config={"seed": 102, "n_episodes": 200, "policy": f"{PROJECT}/policies/q_v2.json"},
        metrics={
            "avg_reward": 2.17,
            "std_reward": 0.55,
            "success_rate": 0.665,
            "avg_contract_violations": 0.01,
            "n_simulations": 200,
        },
    ),
    RunSpec(
        id="98418117-7906-4596-84f9-794cdd933160",
        kind="SurrogateEval",
        started="2026-03-04 11:30:00",
        seconds=9.0,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_B,
        dirty=False,
        config={"seed": 13, "n_patients": 500, "surrogate": MODEL_V2.path},
        metrics={
            "rmse": 0.047,
            "mae": 0.031,
            "r_squared": 0.93,
            "max_abs_err": 0.2,
            "mech_violations": 0,
            "surr_violations": 2,
            "qualification_passed": True,
        },
    ),
    RunSpec(
        id=HYBRID_EARLY,
        kind="EvidenceHybrid",
        started="2026-03-01 16:00:00",  # logged last, started first
        seconds=2.0,
        program=None,
        module=None,
        commit=None,
        dirty=False,
        config={"seed": 1, "strategy": "always_surrogate"},
        metrics={"ORR": 0.39, "DLT_rate": 0.15, "mech_fraction": 0.0, "execution_time_ms": 2001},
        artifacts=(),
    ),
    RunSpec(
        id="633a50ee-e0f9-4038-ab8f-624fb804d820",
        kind="RLTrain",
        started="2026-03-05 07:45:00",
        seconds=130.0,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_B,
        dirty=False,
        config={
            "seed": 4,
            "episodes": 8000,
            "epsilon_decay": 0.9995,
            "dose_levels": [0, 50, 100, 150],
        },
        metrics={
            "avg_reward": 1.91,
            "final_epsilon": 0.05,
            "convergence_episodes": 5100,
            "training_time_s": 130.0,
        },
    ),
    RunSpec(
        id="6d4b9adb-ebcd-4f5e-89c1-8070b6d13089",
        kind="RLEval",
        started="2026-03-05 09:00:00",
        seconds=13.25,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_B,
        dirty=False,
        config={"seed": 103, "n_episodes": 100, "policy": f"{PROJECT}/policies/q_v3.json"},
        # an older evaluator: no std_reward
        metrics={
            "avg_reward": 1.97,
            "success_rate": 0.61,
            "avg_contract_violations": 0.0,
            "n_simulations": 100,
        },
    ),
    RunSpec(
        id=SURROGATE_EVAL_NO_RMSE,
        kind="SurrogateEval",
        started="2026-03-05 12:00:00",
        seconds=0.5,
        program="OncologyEvidence",
        module="examples/oncology/evidence.medlang",
        commit=COMMIT_B,
        dirty=True,
        config={"seed": 14, "n_patients": 500, "surrogate": f"{PROJECT}/models/surrogate_v3.json"},
        metrics={"status": "aborted", "mech_violations": 3},
        artifacts=(),
    ),
)

# Runs that carry artifact ids the registry does not hold.
_EXTRA_ARTIFACT_IDS = {SURROGATE_EVAL_NO_RMSE: (DANGLING_ARTIFACT_ID,)}


def _time(text: str, plus_seconds: float = 0.0) -> datetime:
    from datetime import timedelta

    start = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return start + timedelta(seconds=plus_seconds)


def build_registry(root: Path) -> Path:
    """Write the fixture runs (artifacts first, as the logger does) into ``root``."""
    from medlang.registry import ArtifactRecord, RunRecord
    from medlang.registry.store import Registry

    registry = Registry(root)
    for spec in RUNS:
        for artifact in spec.artifacts:
            registry.log_artifact(
                ArtifactRecord(
                    id=artifact.id,
                    kind=artifact.kind,
                    path=artifact.path,
                    created_at=_time(spec.started, spec.seconds),
                    sha256=artifact.sha256,
                    size_bytes=2048 if artifact.sha256 else None,
                )
            )
        registry.log_run(
            RunRecord(
                id=spec.id,
                kind=spec.kind,
                started_at=_time(spec.started),
                finished_at=_time(spec.started, spec.seconds),
                project_root=PROJECT,
                module_path=f"{PROJECT}/{spec.module}" if spec.module else None,
                evidence_program=spec.program,
                git_commit=spec.commit,
                git_dirty=spec.dirty,
                config=spec.config,
                metrics=spec.metrics,
                artifacts=[a.id for a in spec.artifacts]
                + list(_EXTRA_ARTIFACT_IDS.get(spec.id, ())),
            )
        )
    return root
