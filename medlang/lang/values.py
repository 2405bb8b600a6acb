"""Runtime values of MedLang programs, as Python objects.

MedLang type      Python representation
-------------     ---------------------
Int               int, always within INT_MIN..INT_MAX (Rust's i64)
Float             float
Bool              bool
String            str
Unit              None
Vector<T>         tuple (vectors are immutable; ``push`` returns a new one)
(A, B)            TupleValue, a subclass of tuple (so equality and hashing agree)
fn(A) -> B        a Python callable: a closure or a function as a value
Option<T>         Some(value) or NONE
Map<String, T>    dict[str, value] (insertion ordered; treat as immutable)
record            Record(type_name, fields)
enum variant      EnumValue(enum_name, variant)

The checker guarantees types, so the interpreter and the stdlib bridges never
have to guess which MedLang type a Python value stands for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Value = Any  # one of the representations above

# Int is a 64-bit signed integer as in Rust: literals outside this range are
# diagnostics and arithmetic leaving it is the runtime error "integer overflow".
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Some:
    value: Value


class _NoneType:
    """The MedLang ``None`` (distinct from Python's None, which is Unit)."""

    _instance: _NoneType | None = None

    def __new__(cls) -> _NoneType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NONE"

    def __reduce__(self) -> str:
        return "NONE"


NONE = _NoneType()


@dataclass(frozen=True, slots=True)
class Record:
    type_name: str
    fields: dict[str, Value]

    def __getitem__(self, name: str) -> Value:
        return self.fields[name]

    def __hash__(self) -> int:  # records may be compared, rarely hashed
        return hash((self.type_name, tuple(self.fields)))


class TupleValue(tuple):
    """A MedLang tuple ``(a, b)``; a distinct class so it shows as ``(a, b)``."""

    __slots__ = ()


@dataclass(frozen=True, slots=True, order=True)
class Timestamp:
    """An instant, as whole microseconds since 1970-01-01T00:00:00Z (UTC); the
    registry's precision. Shown as RFC 3339, exactly as the registry stores it."""

    micros: int

    def __str__(self) -> str:
        from medlang.registry.timestamps import format_timestamp, from_micros

        return format_timestamp(from_micros(self.micros))


@dataclass(frozen=True, slots=True)
class JsonValue:
    """A ``Json`` value: its variant (``Null``, ``Bool``, ``Int``, ``Float``, ``Str``,
    ``Array``, ``Object``) and the MedLang value it holds (None for Null; a tuple of
    JsonValue for Array; a dict of them for Object)."""

    variant: str
    value: Value = None

    def __str__(self) -> str:
        from medlang.lang.builtins_json import json_text

        return json_text(self)


@dataclass(frozen=True, slots=True)
class EnumValue:
    enum_name: str
    variant: str


def to_python(value: Value) -> Any:
    """Plain Python data for a MedLang value (records -> dict, enums -> variant name,
    Option -> value or None, Vector -> list, Unit -> None)."""
    if isinstance(value, Record):
        return {name: to_python(field) for name, field in value.fields.items()}
    if isinstance(value, EnumValue):
        return value.variant
    if isinstance(value, Timestamp):
        return str(value)
    if isinstance(value, JsonValue):
        return to_python(value.value)
    if isinstance(value, Some):
        return to_python(value.value)
    if value is NONE:
        return None
    if isinstance(value, tuple):
        return [to_python(item) for item in value]
    if isinstance(value, dict):
        return {key: to_python(item) for key, item in value.items()}
    return value
