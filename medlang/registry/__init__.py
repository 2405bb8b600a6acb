"""The run & artifact registry: data model, durable JSONL store and RunLogger."""

from medlang.registry.model import (
    ArtifactId,
    ArtifactKind,
    ArtifactRecord,
    RegistryError,
    RunId,
    RunKind,
    RunRecord,
    format_timestamp,
    new_id,
    parse_timestamp,
    parse_uuid4,
    utc_now,
)

__all__ = [
    "ArtifactId",
    "ArtifactKind",
    "ArtifactRecord",
    "RegistryError",
    "RunId",
    "RunKind",
    "RunRecord",
    "format_timestamp",
    "new_id",
    "parse_timestamp",
    "parse_uuid4",
    "utc_now",
]
