"""Records to lines and back.

``parse_line`` is the one function that turns a stored line into a record: it names
the file and line when it fails, and ``upgrade`` (which it calls) is the only place
older line formats are brought up to date. The fast CLI path shows stored JSON
without validating it again, so ``decode`` (JSON + upgrade, no pydantic) is kept
separate from the validation step.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from medlang.registry.errors import RegistryError
from medlang.registry.ids import parse_uuid4
from medlang.registry.inputs import input_files, normal_sha256
from medlang.registry.storage import ANNOTATIONS, Entry, JsonObject, Table

if TYPE_CHECKING:
    from pydantic import BaseModel

    from medlang.registry.model import ArtifactRecord, RunRecord


class BadLineError(ValueError):
    """A stored line that is not a valid record; the message names file and line."""


def encode(record: BaseModel) -> bytes:
    """One compact JSON object, field order as declared, UTF-8, no newline.

    Non-finite floats are written as ``null`` (as Rust's serde_json does): NaN is
    not JSON, and ``jq`` and the Rust toolchain must be able to read every line.
    A value JSON cannot hold (a numpy integer, a set ...) is a ``RegistryError``.
    """
    from pydantic_core import PydanticSerializationError

    try:
        return record.model_dump_json().encode("utf-8")
    except PydanticSerializationError as error:
        raise RegistryError(
            f"cannot store this {type(record).__name__}: config, metrics and metadata must "
            f"hold JSON values only (dict, list, str, int, float, bool, None): {error}"
        ) from None


def upgrade(table: Table | str, obj: JsonObject) -> JsonObject:
    """Bring a stored object written by an older or other toolchain to the current format.

    Format 1 is the first format, so this only spells ids the one way the index
    knows them (lowercase, hyphenated). Keep it pydantic-free: the fast CLI path
    calls it on lines it shows without validating.
    """
    obj["id"] = _canonical_id(obj.get("id"))
    if table is Table.RUNS and isinstance(obj.get("artifacts"), list):
        obj["artifacts"] = [_canonical_id(artifact) for artifact in obj["artifacts"]]
    if table == ANNOTATIONS:
        obj["run_id"] = _canonical_id(obj.get("run_id"))
    return obj


def _canonical_id(value: object) -> object:
    """``value`` as a canonical UUID string if it is one; unchanged otherwise (validation
    reports it)."""
    if isinstance(value, str):
        try:
            return parse_uuid4(value)
        except ValueError:
            pass
    return value


def decode(table: Table | str, line: bytes | str) -> JsonObject:
    """JSON object of a stored line (upgraded), without model validation."""
    try:
        obj = json.loads(line)
    except RecursionError:  # a hostile line must be skipped like any other bad one
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if _SURROGATE.search(line.encode() if isinstance(line, str) else line):
        _refuse_lone_surrogates(obj)  # rare: only then is the whole object encoded
    return upgrade(table, obj)


# U+D800-U+DFFF, escaped or as the bytes json.loads lets through ('surrogatepass'):
# a pair of escapes makes one character, a lone one no UTF-8 text can hold
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def _refuse_lone_surrogates(obj: JsonObject) -> None:
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone UTF-16 surrogate (\\uD800-\\uDFFF)") from None


def parse_line(table: Table | str, line: bytes | str, path: object, lineno: int) -> Any:
    """The record stored on one line; ``BadLineError`` naming ``path:lineno`` otherwise."""
    return parse_line_with_object(table, line, path, lineno)[1]


def parse_line_with_object(
    table: Table, line: bytes | str, path: object, lineno: int
) -> tuple[JsonObject, Any]:
    """The stored JSON object of one line (upgraded) and the record validated from it.

    The index reads query facts from the object: it holds fields this version's
    model does not know yet (``extra="ignore"``)."""
    from pydantic import ValidationError

    try:
        obj = decode(table, line)
    except ValueError as error:  # json.JSONDecodeError is a ValueError
        raise BadLineError(f"{path}:{lineno}: not a valid JSON object ({error})") from None
    try:
        return obj, model_for(table).model_validate(obj)
    except ValidationError as error:
        raise BadLineError(f"{path}:{lineno}: invalid record ({_summary(error)})") from None


def to_record(table: Table, obj: JsonObject) -> RunRecord | ArtifactRecord:
    """A stored object that was validated when indexed, as a model."""
    return model_for(table).model_validate(obj)


def entry_of(table: Table, record: RunRecord | ArtifactRecord) -> Entry:
    from medlang.registry.timestamps import to_micros

    if table is Table.RUNS:
        inputs = tuple(dict.fromkeys((f.role, f.sha256) for f in input_files(record.config)))
        return Entry(
            record.id,
            record.kind.value,
            to_micros(record.started_at),
            tuple(record.artifacts),
            inputs=inputs,
        )
    return Entry(
        record.id,
        record.kind.value,
        to_micros(record.created_at),
        sha256=normal_sha256(record.sha256),
    )


def model_for(table: Table | str) -> type[BaseModel]:
    """The record model of a log: a ``Table``, or ``ANNOTATIONS``."""
    from medlang.registry.model import AnnotationRecord, ArtifactRecord, RunRecord

    if table == ANNOTATIONS:
        return AnnotationRecord
    return RunRecord if table is Table.RUNS else ArtifactRecord


def _summary(error: Any) -> str:
    """First validation problem as ``field: message``, plus how many more."""
    problems = error.errors(include_url=False)
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    text = f"{where}: {first['msg']}"
    if len(problems) > 1:
        text += f"; and {len(problems) - 1} more problem(s)"
    return text
