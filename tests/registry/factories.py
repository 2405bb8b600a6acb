"""Records with fixed ids and times, so expectations and snapshots need no masking."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from medlang.registry import ArtifactKind, ArtifactRecord, RunKind, RunRecord

BASE_TIME = datetime(2025, 1, 23, 14, 32, 10, 123456, tzinfo=UTC)


def fixed_id(n: int) -> str:
    """A deterministic, valid UUID v4 (``n`` in the last hex digits)."""
    return str(uuid.UUID(f"00000000-0000-4000-8000-{n:012x}"))


def run(
    n: int, kind: RunKind | str = RunKind.EvidenceHybrid, minute: int | None = None, **fields: Any
) -> RunRecord:
    started = BASE_TIME + timedelta(minutes=n if minute is None else minute)
    values: dict[str, Any] = {
        "id": fixed_id(n),
        "kind": kind,
        "started_at": started,
        "finished_at": started + timedelta(seconds=30),
        "project_root": "/home/ada/projects/oncology/trial",
        "config": {"seed": n},
        "metrics": {"score": n / 10},
    }
    values.update(fields)
    return RunRecord(**values)


def artifact(
    n: int, kind: ArtifactKind | str = ArtifactKind.EvidenceResult, **fields: Any
) -> ArtifactRecord:
    values: dict[str, Any] = {
        "id": fixed_id(0x10000 + n),
        "kind": kind,
        "path": f"/home/ada/projects/oncology/trial/out/result-{n}.json",
        "created_at": BASE_TIME + timedelta(minutes=n),
        "metadata": {"n": n},
        "sha256": "ab" * 32,
        "size_bytes": 100 + n,
    }
    values.update(fields)
    return ArtifactRecord(**values)
