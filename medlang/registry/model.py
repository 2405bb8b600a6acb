"""The registry's data model: ids, kinds, timestamps and the two record types.

This is the stable, on-disk format. Field order of ``RunRecord`` is part of the
format (people read these lines with ``jq``); new fields may only be appended
and must have defaults so older lines keep loading.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

# The primitives live in pydantic-free modules (the fast ``mlc runs`` path uses them);
# they are re-exported here so this module stays the one place to import the model from.
from medlang.registry.errors import RegistryError
from medlang.registry.ids import new_id, parse_uuid4
from medlang.registry.kinds import ArtifactKind, RunKind, _NamedEnum
from medlang.registry.timestamps import format_timestamp, parse_timestamp, utc_now

__all__ = [
    "AnnotationRecord",
    "ArtifactId",
    "ArtifactKind",
    "ArtifactRecord",
    "JsonObject",
    "RegistryError",
    "RunId",
    "RunKind",
    "RunRecord",
    "Timestamp",
    "format_timestamp",
    "new_id",
    "parse_timestamp",
    "parse_uuid4",
    "record_to_json_dict",
    "utc_now",
]


RunId = Annotated[str, BeforeValidator(lambda v: parse_uuid4(v, "run id"))]
ArtifactId = Annotated[str, BeforeValidator(lambda v: parse_uuid4(v, "artifact id"))]


# --- kinds -----------------------------------------------------------------


def _parse_kind(enum_type: type[_NamedEnum]):
    def validate(value: object) -> object:
        if isinstance(value, str) and not isinstance(value, enum_type):
            return enum_type.parse(value)
        return value

    return BeforeValidator(validate)


RunKindField = Annotated[RunKind, _parse_kind(RunKind)]
ArtifactKindField = Annotated[ArtifactKind, _parse_kind(ArtifactKind)]


# --- timestamps ------------------------------------------------------------

Timestamp = Annotated[
    datetime,
    BeforeValidator(parse_timestamp),
    PlainSerializer(format_timestamp, return_type=str),
]

JsonObject = dict[str, Any]
RunStatus = Literal["finished", "failed"]
ReplayVerdict = Literal["identical", "different"]


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
    # Appended by the provenance format (all optional, older lines load unchanged):
    # a failed run is logged with its error; a replay names the run it replayed and
    # whether it reproduced it ("identical") or not ("different").
    status: RunStatus = "finished"
    error: str | None = None
    replay_of: RunId | None = None
    replay_verdict: ReplayVerdict | None = None


class ArtifactRecord(BaseModel):
    model_config = _RECORD_CONFIG

    id: ArtifactId
    kind: ArtifactKindField
    path: str | None = None
    created_at: Timestamp
    metadata: JsonObject = Field(default_factory=dict)
    sha256: str | None = None
    size_bytes: int | None = None
    # The run this artifact was logged with: until that run's record is written (the
    # commit point) the artifact is uncommitted and invisible. None: logged on its own.
    run_id: RunId | None = None


AnnotationOp = Literal["tag", "note", "delete", "restore", "archive", "unarchive"]


class AnnotationRecord(BaseModel):
    """One line of ``annotations.jsonl``: a tag change, a note, or a hide/unhide mark.

    Folded per run in log order (``storage.RunAnnotations.apply``). A tag line sets
    ``tags`` after removing the keys in ``remove``; ``archive`` names the archive file.
    """

    model_config = _RECORD_CONFIG

    id: Annotated[str, BeforeValidator(lambda v: parse_uuid4(v, "annotation id"))]
    run_id: RunId
    at: Timestamp
    op: AnnotationOp
    tags: dict[str, str] = Field(default_factory=dict)
    remove: list[str] = Field(default_factory=list)
    text: str | None = None
    archive: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> AnnotationRecord:
        if self.op == "note" and self.text is None:
            raise ValueError("a note needs its text")
        if self.op == "tag" and not (self.tags or self.remove):
            raise ValueError("a tag annotation sets or removes at least one tag")
        return self


def record_to_json_dict(record: BaseModel) -> JsonObject:
    """The record as the JSON object written to disk (field order preserved)."""
    return record.model_dump(mode="json")
