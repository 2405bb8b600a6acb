"""The registry's data model: ids, kinds, timestamps and the two record types.

This is the stable, on-disk format. Field order of ``RunRecord`` is part of the
format (people read these lines with ``jq``); new fields may only be appended
and must have defaults so older lines keep loading.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)


class RegistryError(Exception):
    """A user-facing registry problem; the message is shown as is."""


# --- ids -------------------------------------------------------------------


def parse_uuid4(value: object, what: str = "id") -> str:
    """Return ``value`` as a lowercase hyphenated UUID v4 string, or raise ``ValueError``."""
    if isinstance(value, uuid.UUID):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = uuid.UUID(value.strip())
        except ValueError:
            raise ValueError(
                f"invalid {what} {value!r}: expected a UUID v4 like "
                "'6a14c8a2-0b5e-4c1d-9f3a-2b7c9d1e4f50'"
            ) from None
    else:
        raise ValueError(f"invalid {what}: expected a UUID string, got {type(value).__name__}")
    if parsed.version != 4:
        raise ValueError(f"invalid {what} {value!r}: not a version-4 UUID")
    return str(parsed)


def new_id() -> str:
    return str(uuid.uuid4())


RunId = Annotated[str, BeforeValidator(lambda v: parse_uuid4(v, "run id"))]
ArtifactId = Annotated[str, BeforeValidator(lambda v: parse_uuid4(v, "artifact id"))]


# --- kinds -----------------------------------------------------------------


class _NamedEnum(StrEnum):
    """An enum whose value is its variant name; parsing an unknown name lists the valid ones."""

    @classmethod
    def parse(cls, name: str) -> _NamedEnum:
        try:
            return cls(name)
        except ValueError:
            raise ValueError(
                f"unknown {cls.__name__} {name!r}; valid kinds: {', '.join(cls.names())}"
            ) from None

    @classmethod
    def names(cls) -> list[str]:
        return [member.value for member in cls]

    def __str__(self) -> str:
        return self.value


class RunKind(_NamedEnum):
    EvidenceMechanistic = "EvidenceMechanistic"
    EvidenceSurrogate = "EvidenceSurrogate"
    EvidenceHybrid = "EvidenceHybrid"
    SurrogateTrain = "SurrogateTrain"
    SurrogateEval = "SurrogateEval"
    RLTrain = "RLTrain"
    RLEval = "RLEval"


class ArtifactKind(_NamedEnum):
    EvidenceResult = "EvidenceResult"
    SurrogateModel = "SurrogateModel"
    SurrogateEvalReport = "SurrogateEvalReport"
    RLPolicy = "RLPolicy"
    RLTrainReport = "RLTrainReport"
    RLEvalReport = "RLEvalReport"


def _parse_kind(enum_type: type[_NamedEnum]):
    def validate(value: object) -> object:
        if isinstance(value, str) and not isinstance(value, enum_type):
            return enum_type.parse(value)
        return value

    return BeforeValidator(validate)


RunKindField = Annotated[RunKind, _parse_kind(RunKind)]
ArtifactKindField = Annotated[ArtifactKind, _parse_kind(ArtifactKind)]


# --- timestamps ------------------------------------------------------------

# RFC 3339 in UTC. Python writes microseconds; MedLang's Rust toolchain (chrono)
# writes nanoseconds, which datetime cannot hold, so the fraction is parsed by hand
# and truncated to microseconds.
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$"
)


def parse_timestamp(value: object) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamp has no time zone")
        return value.astimezone(UTC)
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC 3339 timestamp string, got {type(value).__name__}")
    match = _TIMESTAMP.match(value)
    if match is None:
        raise ValueError(
            f"invalid timestamp {value!r}: expected RFC 3339 like '2025-01-23T14:32:10.123456Z'"
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0").ljust(6, "0")[:6])
    parsed = datetime.fromisoformat(
        f"{year}-{month}-{day}T{hour}:{minute}:{second}.{micros:06d}"
        f"{'+00:00' if zone in ('Z', 'z') else zone}"
    )
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """UTC, RFC 3339, microseconds, ``Z`` suffix: ``2025-01-23T14:32:10.123456Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> datetime:
    return datetime.now(UTC)


Timestamp = Annotated[
    datetime,
    BeforeValidator(parse_timestamp),
    PlainSerializer(format_timestamp, return_type=str),
]

JsonObject = dict[str, Any]


# --- records ---------------------------------------------------------------

_RECORD_CONFIG = ConfigDict(
    frozen=True,
    extra="ignore",  # lines from newer toolchains may carry fields we do not know yet
    populate_by_name=True,
)


class RunRecord(BaseModel):
    model_config = _RECORD_CONFIG

    id: RunId
    kind: RunKindField
    started_at: Timestamp
    finished_at: Timestamp
    project_root: str
    module_path: str | None = None
    evidence_program: str | None = None
    git_commit: str | None = None
    git_dirty: bool = False
    config: JsonObject = Field(default_factory=dict)
    metrics: JsonObject = Field(default_factory=dict)
    artifacts: list[ArtifactId] = Field(default_factory=list)
    # Appended after the required fields: where the run was made. Optional so
    # lines written before it existed (or by the Rust toolchain) still load.
    env: JsonObject | None = None


class ArtifactRecord(BaseModel):
    model_config = _RECORD_CONFIG

    id: ArtifactId
    kind: ArtifactKindField
    path: str | None = None
    created_at: Timestamp
    metadata: JsonObject = Field(default_factory=dict)
    sha256: str | None = None
    size_bytes: int | None = None


def record_to_json_dict(record: BaseModel) -> JsonObject:
    """The record as the JSON object written to disk (field order preserved)."""
    return record.model_dump(mode="json")
