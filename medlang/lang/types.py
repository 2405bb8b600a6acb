"""MedLang's static types, as the checker sees them.

Aliases are transparent (``type RunId = String;`` *is* String); records are
compared by their fields, so a record literal fits any record type with the same
fields. ``ANY`` stands for "unknown": the element type of ``[]``, the payload of
``None`` and the type of anything that already failed to check, so one mistake
is reported once instead of cascading.
"""

from __future__ import annotations

from dataclasses import dataclass


class Type:
    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Prim(Type):
    name: str  # Int Float Bool String Unit

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class AnyType(Type):
    def __str__(self) -> str:
        return "_"


@dataclass(frozen=True, slots=True)
class VectorType(Type):
    element: Type

    def __str__(self) -> str:
        return f"Vector<{self.element}>"


@dataclass(frozen=True, slots=True)
class OptionType(Type):
    inner: Type

    def __str__(self) -> str:
        return f"Option<{self.inner}>"


@dataclass(frozen=True, slots=True)
class MapType(Type):
    value: Type

    def __str__(self) -> str:
        return f"Map<String, {self.value}>"


@dataclass(frozen=True, slots=True)
class RecordType(Type):
    name: str | None  # the alias it was declared under, for messages and values
    fields: tuple[tuple[str, Type], ...]

    def field(self, name: str) -> Type | None:
        for field_name, field_type in self.fields:
            if field_name == name:
                return field_type
        return None

    def __str__(self) -> str:
        if self.name:
            return self.name
        return "{ " + "; ".join(f"{n}: {t}" for n, t in self.fields) + " }"


@dataclass(frozen=True, slots=True)
class EnumType(Type):
    name: str
    module: str
    variants: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


INT = Prim("Int")
FLOAT = Prim("Float")
BOOL = Prim("Bool")
STRING = Prim("String")
UNIT = Prim("Unit")
ANY = AnyType()

PRIMITIVES = {t.name: t for t in (INT, FLOAT, BOOL, STRING, UNIT)}
GENERICS = {"Vector": 1, "Option": 1, "Map": 2}


def is_any(t: Type) -> bool:
    return isinstance(t, AnyType)


def compatible(expected: Type, actual: Type) -> bool:
    """Can a value of type ``actual`` be used where ``expected`` is wanted?"""
    if expected is actual or isinstance(expected, AnyType) or isinstance(actual, AnyType):
        return True
    if isinstance(expected, Prim) or isinstance(actual, Prim):
        return expected == actual
    if isinstance(expected, VectorType) and isinstance(actual, VectorType):
        return compatible(expected.element, actual.element)
    if isinstance(expected, OptionType) and isinstance(actual, OptionType):
        return compatible(expected.inner, actual.inner)
    if isinstance(expected, MapType) and isinstance(actual, MapType):
        return compatible(expected.value, actual.value)
    if isinstance(expected, EnumType) and isinstance(actual, EnumType):
        return expected.name == actual.name and expected.module == actual.module
    if isinstance(expected, RecordType) and isinstance(actual, RecordType):
        if expected.name and actual.name and expected.name == actual.name:
            return True
        if len(expected.fields) != len(actual.fields):
            return False
        actual_fields = dict(actual.fields)
        return all(
            name in actual_fields and compatible(t, actual_fields[name])
            for name, t in expected.fields
        )
    return False


def join(a: Type, b: Type) -> Type:
    """The more precise of two compatible types (``Vector<_>`` and ``Vector<Int>`` ->
    ``Vector<Int>``); used for vector elements and branches of ``if``/``match``."""
    if isinstance(a, AnyType):
        return b
    if isinstance(b, AnyType):
        return a
    if isinstance(a, VectorType) and isinstance(b, VectorType):
        return VectorType(join(a.element, b.element))
    if isinstance(a, OptionType) and isinstance(b, OptionType):
        return OptionType(join(a.inner, b.inner))
    if isinstance(a, MapType) and isinstance(b, MapType):
        return MapType(join(a.value, b.value))
    if isinstance(a, RecordType) and isinstance(b, RecordType) and not a.name:
        return b
    return a


def is_numeric(t: Type) -> bool:
    return t in (INT, FLOAT)


def is_ordered(t: Type) -> bool:
    return t in (INT, FLOAT, STRING)
