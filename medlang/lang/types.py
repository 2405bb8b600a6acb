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
class TupleType(Type):
    items: tuple[Type, ...]

    def __str__(self) -> str:
        return "(" + ", ".join(str(t) for t in self.items) + ")"


@dataclass(frozen=True, slots=True)
class FnType(Type):
    """The type of a closure or a named function used as a value: ``fn(T) -> U``."""

    params: tuple[Type, ...]
    result: Type

    def __str__(self) -> str:
        return f"fn({', '.join(str(t) for t in self.params)}) -> {self.result}"


@dataclass(frozen=True, slots=True)
class TypeVar(Type):
    """A type parameter of a generic function (``T`` in ``fn first<T>(...)``).

    Inside the function it is opaque: compatible only with itself. At a call site
    it is replaced by what the arguments say (see ``unify`` and ``substitute``).
    ``owner`` keeps the ``T`` of two different functions apart.
    """

    name: str
    owner: str

    def __str__(self) -> str:
        return self.name


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

TIMESTAMP = Prim("Timestamp")  # an instant in UTC, microsecond precision

RNG = Prim("Rng")  # a seeded random generator (the one value with identity)
JSON = Prim("Json")  # Null | Bool | Int | Float | Str | Array | Object (medlang.lang.json)

PRIMITIVES = {t.name: t for t in (INT, FLOAT, BOOL, STRING, UNIT, TIMESTAMP, RNG, JSON)}
# Built-in types added after programs were written and logged: a program that
# declares (or imports) its own type of the same name keeps it, so it still checks.
SHADOWABLE = frozenset({"Timestamp", "Rng", "Json"})
GENERICS = {"Vector": 1, "Option": 1, "Map": 2}


# Json's variants and the type of each one's value (Null has none).
JSON_VARIANTS: dict[str, Type | None] = {
    "Null": None,
    "Bool": BOOL,
    "Int": INT,
    "Float": FLOAT,
    "Str": STRING,
    "Array": VectorType(JSON),
    "Object": MapType(JSON),
}


def is_any(t: Type) -> bool:
    return isinstance(t, AnyType)


def compatible(expected: Type, actual: Type) -> bool:
    """Can a value of type ``actual`` be used where ``expected`` is wanted?"""
    if expected is actual or isinstance(expected, AnyType) or isinstance(actual, AnyType):
        return True
    if isinstance(expected, TypeVar) or isinstance(actual, TypeVar):
        return expected == actual
    if isinstance(expected, Prim) or isinstance(actual, Prim):
        return expected == actual
    if isinstance(expected, VectorType) and isinstance(actual, VectorType):
        return compatible(expected.element, actual.element)
    if isinstance(expected, OptionType) and isinstance(actual, OptionType):
        return compatible(expected.inner, actual.inner)
    if isinstance(expected, MapType) and isinstance(actual, MapType):
        return compatible(expected.value, actual.value)
    if isinstance(expected, TupleType) and isinstance(actual, TupleType):
        return len(expected.items) == len(actual.items) and all(
            compatible(e, a) for e, a in zip(expected.items, actual.items, strict=True)
        )
    if isinstance(expected, FnType) and isinstance(actual, FnType):
        # parameters are contravariant, but with only `_` as a subtype both ways agree
        return (
            len(expected.params) == len(actual.params)
            and all(compatible(a, e) for e, a in zip(expected.params, actual.params, strict=True))
            and compatible(expected.result, actual.result)
        )
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
    if isinstance(a, TupleType) and isinstance(b, TupleType) and len(a.items) == len(b.items):
        return TupleType(tuple(join(x, y) for x, y in zip(a.items, b.items, strict=True)))
    if isinstance(a, FnType) and isinstance(b, FnType) and len(a.params) == len(b.params):
        params = tuple(join(x, y) for x, y in zip(a.params, b.params, strict=True))
        return FnType(params, join(a.result, b.result))
    if isinstance(a, RecordType) and isinstance(b, RecordType) and not a.name:
        return b
    return a


def is_numeric(t: Type) -> bool:
    return t in (INT, FLOAT)


def is_ordered(t: Type) -> bool:
    return t in (INT, FLOAT, STRING, TIMESTAMP)


# ---- generics: type variables bound at a call site -----------------------------
Bindings = dict[TypeVar, Type]


def unify(param: Type, actual: Type, bindings: Bindings) -> None:
    """Learn what the type variables in ``param`` stand for from ``actual``.

    Never fails: whatever does not fit is left for ``compatible`` on the
    substituted type to report, with both types in the message.
    """
    if isinstance(param, TypeVar):
        known = bindings.get(param)
        if known is None or isinstance(known, AnyType):
            bindings[param] = actual
        elif compatible(known, actual):
            bindings[param] = join(known, actual)
    elif isinstance(param, VectorType) and isinstance(actual, VectorType):
        unify(param.element, actual.element, bindings)
    elif isinstance(param, OptionType) and isinstance(actual, OptionType):
        unify(param.inner, actual.inner, bindings)
    elif isinstance(param, MapType) and isinstance(actual, MapType):
        unify(param.value, actual.value, bindings)
    elif isinstance(param, TupleType) and isinstance(actual, TupleType):
        for p, a in zip(param.items, actual.items, strict=False):
            unify(p, a, bindings)
    elif isinstance(param, FnType) and isinstance(actual, FnType):
        for p, a in zip(param.params, actual.params, strict=False):
            unify(p, a, bindings)
        unify(param.result, actual.result, bindings)
    elif isinstance(param, RecordType) and isinstance(actual, RecordType):
        fields = dict(actual.fields)
        for name, p in param.fields:
            if name in fields:
                unify(p, fields[name], bindings)


def substitute(t: Type, bindings: Bindings) -> Type:
    """``t`` with each bound type variable replaced (unbound ones become ``_``)."""
    if isinstance(t, TypeVar):
        return bindings.get(t, ANY)
    if isinstance(t, VectorType):
        return VectorType(substitute(t.element, bindings))
    if isinstance(t, OptionType):
        return OptionType(substitute(t.inner, bindings))
    if isinstance(t, MapType):
        return MapType(substitute(t.value, bindings))
    if isinstance(t, TupleType):
        return TupleType(tuple(substitute(i, bindings) for i in t.items))
    if isinstance(t, FnType):
        return FnType(
            tuple(substitute(p, bindings) for p in t.params), substitute(t.result, bindings)
        )
    if isinstance(t, RecordType) and has_type_vars(t):
        return RecordType(t.name, tuple((n, substitute(f, bindings)) for n, f in t.fields))
    return t


def has_type_vars(t: Type) -> bool:
    if isinstance(t, TypeVar):
        return True
    if isinstance(t, VectorType):
        return has_type_vars(t.element)
    if isinstance(t, OptionType):
        return has_type_vars(t.inner)
    if isinstance(t, MapType):
        return has_type_vars(t.value)
    if isinstance(t, TupleType):
        return any(has_type_vars(i) for i in t.items)
    if isinstance(t, FnType):
        return any(has_type_vars(p) for p in t.params) or has_type_vars(t.result)
    if isinstance(t, RecordType):
        return any(has_type_vars(f) for _, f in t.fields)
    return False
