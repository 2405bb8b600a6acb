"""A registry holding one surrogate's whole story, with fixed ids and times.

    SurrogateTrain T  --surrogate S-->  SurrogateEval E (qualifies S)
                                   \\->  EvidenceHybrid H (also reads program P, config C)
                                   \\->  EvidenceHybrid H2, later (the same S, another config)
    SurrogateTrain T2, later, retrains and happens to write the same bytes S.
    EvidenceMechanistic M reads only P: no producer, no link to S.

Built through the real ``Registry``/``RunLogger`` record types, so the index sees
exactly what the producers write (``config.inputs`` with path + sha256).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medlang.registry import Registry
from tests.registry.factories import artifact, fixed_id, run

PROGRAM = "11" * 32
CONFIG_TRAIN = "22" * 32
CONFIG_HYBRID = "33" * 32
CONFIG_HYBRID_2 = "34" * 32
SURROGATE = "44" * 32
REPORT = "55" * 32
RESULT = "66" * 32
RESULT_2 = "67" * 32


def file_input(path: str, sha256: str) -> dict:
    return {"path": path, "sha256": sha256}


def program_input() -> dict:
    # as the producers record it: the file under "module_path"
    return {"name": "OncologyEvidence", "module_path": "/p/evidence.medlang", "sha256": PROGRAM}


@dataclass(frozen=True)
class Chain:
    registry: Registry
    train: str
    evaluation: str
    hybrid: str
    hybrid_2: str
    retrain: str
    mechanistic: str
    surrogate_artifact: str
    result_artifact: str


def build(root: Path) -> Chain:
    registry = Registry(root)

    def log(n: int, kind: str, inputs: dict, outputs: list[tuple[int, str, str, str]]) -> str:
        ids = []
        for number, artifact_kind, path, sha256 in outputs:
            record = artifact(number, artifact_kind, path=path, sha256=sha256)
            registry.log_artifact(record)
            ids.append(record.id)
        return registry.log_run(run(n, kind, config={"seed": n, "inputs": inputs}, artifacts=ids))

    train = log(
        1,
        "SurrogateTrain",
        {"evidence_program": program_input(), "config_file": file_input("/p/t.json", CONFIG_TRAIN)},
        [(1, "SurrogateModel", "/p/surrogate.json", SURROGATE)],
    )
    evaluation = log(
        2,
        "SurrogateEval",
        {
            "evidence_program": program_input(),
            "surrogate": file_input("/p/surrogate.json", SURROGATE),
        },
        [(2, "SurrogateEvalReport", "/p/out/eval.json", REPORT)],
    )
    hybrid = log(
        3,
        "EvidenceHybrid",
        {
            "evidence_program": program_input(),
            "surrogate": file_input("/p/surrogate.json", SURROGATE),
            "config_file": file_input("/p/h.json", CONFIG_HYBRID),
        },
        [(3, "EvidenceResult", "/p/out/results.json", RESULT)],
    )
    hybrid_2 = log(
        4,
        "EvidenceHybrid",
        {
            "evidence_program": program_input(),
            "surrogate": file_input("/elsewhere/copy-of-surrogate.json", SURROGATE),
            "config_file": file_input("/p/h2.json", CONFIG_HYBRID_2),
        },
        [(4, "EvidenceResult", "/p/out/results2.json", RESULT_2)],
    )
    retrain = log(
        5,
        "SurrogateTrain",
        {"evidence_program": program_input(), "config_file": file_input("/p/t.json", CONFIG_TRAIN)},
        [(5, "SurrogateModel", "/p/surrogate-again.json", SURROGATE)],
    )
    mechanistic = log(6, "EvidenceMechanistic", {"evidence_program": program_input()}, [])
    return Chain(
        registry,
        train,
        evaluation,
        hybrid,
        hybrid_2,
        retrain,
        mechanistic,
        surrogate_artifact=fixed_id(0x10000 + 1),
        result_artifact=fixed_id(0x10000 + 3),
    )
