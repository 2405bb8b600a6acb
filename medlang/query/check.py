"""Bind a parsed query to a table's fields: resolve each field, type each literal.

The result is a small tree of ``Test`` leaves under ``And``/``Or``/``Not`` that
both the SQL translator and the in-memory evaluator run. Every problem is a
``QueryError`` pointing into the query text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from medlang.query import ast
from medlang.query.errors import QueryError, did_you_mean
from medlang.query.fields import KEYED, TAG, Catalog, FieldRef
from medlang.registry import facts
from medlang.registry.kinds import ArtifactKind, RunKind
from medlang.registry.storage import Table
from medlang.registry.timestamps import parse_timestamp, to_micros

Value = int | float | str


@dataclass(frozen=True, slots=True)
class Test:
    """One predicate: ``op`` is = != < <= > >= in exists glob; ``values`` are typed
    (times in microseconds, booleans as 0/1, a glob's pattern as text)."""

    field: FieldRef
    op: str
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class All:
    items: tuple[Checked, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    items: tuple[Checked, ...]


@dataclass(frozen=True, slots=True)
class Negate:
    item: Checked


Checked = Test | All | Any_ | Negate


def check(expr: ast.Expr, catalog: Catalog, text: str, *, now: datetime | None = None) -> Checked:
    return _Checker(catalog, text, now or datetime.now(UTC)).expr(expr)


def resolve_field(name: str, catalog: Catalog, text: str | None = None) -> FieldRef:
    """A field named on its own (``--order-by``, ``--columns``); ``QueryError`` if unknown."""
    text = name if text is None else text
    parts = tuple(name.split("."))
    field = ast.Field(name, parts, ast.Span(0, len(name)))
    return _Checker(catalog, text, datetime.now(UTC)).field(field)


class _Checker:
    def __init__(self, catalog: Catalog, text: str, now: datetime) -> None:
        self.catalog = catalog
        self.text = text
        self.now = now

    def error(self, message: str, span: ast.Span, hint: str | None = None) -> QueryError:
        return QueryError(message, span, self.text, hint)

    def expr(self, expr: ast.Expr) -> Checked:
        if isinstance(expr, ast.And):
            return All((self.expr(expr.left), self.expr(expr.right)))
        if isinstance(expr, ast.Or):
            return Any_((self.expr(expr.left), self.expr(expr.right)))
        if isinstance(expr, ast.Not):
            return Negate(self.expr(expr.operand))
        ref = self.field(expr.field)
        if isinstance(expr, ast.Exists):
            return Test(ref, "exists", ())
        if isinstance(expr, ast.Glob):
            return Test(ref, "glob", (self.pattern(ref, expr.pattern),))
        if isinstance(expr, ast.In):
            return Test(ref, "in", tuple(self.value(ref, "=", v) for v in expr.values))
        return Test(ref, expr.op, (self.value(ref, expr.op, expr.value),))

    # --- fields -------------------------------------------------------------

    def field(self, field: ast.Field) -> FieldRef:
        catalog = self.catalog
        fixed = catalog.fixed_fields()
        if field.name in fixed:
            return fixed[field.name]
        head, rest = field.parts[0], field.parts[1:]
        if head in catalog.namespaces and not rest:
            raise self.error(
                f"'{head}' holds many fields; name one: {head}.NAME",
                field.span,
                self._examples(head),
            )
        if head == "tags" and head in catalog.namespaces:
            tag = ".".join(rest)
            if catalog.tags is not None and tag not in catalog.tags:
                raise self._unknown(field, "no run has the tag")
            return FieldRef(field.name, TAG, "text", key=tag)
        if head in catalog.namespaces:
            bits = 0
            if catalog.keys is not None:
                if field.name not in catalog.keys:
                    what = "run" if catalog.table is Table.RUNS else "artifact"
                    raise self._unknown(field, f"no {what} has the field")
                bits = catalog.keys[field.name]
            return FieldRef(field.name, KEYED, "any", key=field.name, types=bits)
        raise self._unknown(field, "unknown field")

    def _unknown(self, field: ast.Field, message: str) -> QueryError:
        names = self.catalog.known_names()
        hint = did_you_mean(field.name, names)
        if hint is None and "." not in field.name:
            for namespace in self.catalog.namespaces:
                if f"{namespace}.{field.name}" in names:
                    hint = f"did you mean '{namespace}.{field.name}'?"
                    break
        if hint is None:
            fixed = ", ".join(self.catalog.fixed_fields())
            spaces = ", ".join(f"{n}.NAME" for n in self.catalog.namespaces)
            hint = f"fields: {fixed}, {spaces}"
        return self.error(f"{message} '{field.name}'", field.span, hint)

    def _examples(self, namespace: str) -> str | None:
        names = [n for n in self.catalog.known_names() if n.startswith(namespace + ".")]
        return f"for example: {', '.join(names[:5])}" if names else None

    # --- literals -----------------------------------------------------------

    def value(self, ref: FieldRef, op: str, literal: ast.Literal) -> Value:
        value = literal.value
        if ref.type == "kind":
            return self._kind(literal)
        if ref.type == "time":
            return self._time(ref, literal)
        if isinstance(value, str):
            if ref.type in ("number", "bool") or (_typed(ref) and not ref.types & facts.STRING):
                raise self._mismatch(ref, literal, "text")
            return value
        if ref.type == "text" or (_typed(ref) and not ref.types & _NUMERIC):
            raise self._mismatch(
                ref, literal, "a number" if not isinstance(value, bool) else "a boolean"
            )
        return int(value) if isinstance(value, bool) else value

    def pattern(self, ref: FieldRef, literal: ast.Literal) -> str:
        if not isinstance(literal.value, str):
            raise self.error("a glob pattern is text: ~ 'Onco*'", literal.span)
        if ref.type in ("number", "bool", "time") or (_typed(ref) and not ref.types & facts.STRING):
            raise self._mismatch(ref, literal, "a glob pattern")
        return literal.value

    def _mismatch(self, ref: FieldRef, literal: ast.Literal, given: str) -> QueryError:
        holds = _describe(ref)
        hint = None
        if holds == "text" and not isinstance(literal.value, str):
            hint = f"quote it: '{self.text[literal.span.start : literal.span.end]}'"
        return self.error(
            f"type mismatch: {ref.name} holds {holds}, not {given}", literal.span, hint
        )

    def _kind(self, literal: ast.Literal) -> str:
        kinds = RunKind if self.catalog.table is Table.RUNS else ArtifactKind
        by_lower = {name.lower(): name for name in kinds.names()}
        if isinstance(literal.value, str) and literal.value.lower() in by_lower:
            return by_lower[literal.value.lower()]
        hint = did_you_mean(str(literal.value), kinds.names()) or (
            "kinds: " + ", ".join(kinds.names())
        )
        raise self.error(f"unknown kind {literal.value!r}", literal.span, hint)

    def _time(self, ref: FieldRef, literal: ast.Literal) -> int:
        if isinstance(literal.value, str):
            try:
                return parse_time(literal.value, self.now)
            except ValueError as error:
                raise self.error(str(error), literal.span, _TIME_HINT) from None
        raise self.error(
            f"type mismatch: {ref.name} holds a time, not a number", literal.span, _TIME_HINT
        )


_NUMERIC = facts.NUMBER | facts.BOOL
_TIME_HINT = "write a date '2026-11-01', a timestamp '2026-11-01T12:00:00Z' or an age '7d'"
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*(?:ago)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def parse_time(text: str, now: datetime) -> int:
    """Microseconds since the epoch of a date (midnight UTC), an RFC 3339 timestamp
    (UTC when it has no zone) or an age before ``now`` ('7d', '12h', '30m', '2w')."""
    age = _AGE.match(text)
    try:
        if age:
            seconds = float(age.group(1)) * _UNITS[age.group(2).lower()]
            return to_micros(now - timedelta(seconds=seconds))
        if _DATE.match(text):
            return to_micros(datetime.fromisoformat(text).replace(tzinfo=UTC))
        if _NAIVE.match(text):
            return to_micros(datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=UTC))
        return to_micros(parse_timestamp(text))
    except (ValueError, OverflowError):
        raise ValueError(f"not a time: {text!r}") from None


def _typed(ref: FieldRef) -> bool:
    """A keyed field whose values have a type to check against (not only nulls)."""
    return ref.source == KEYED and bool(ref.types & (facts.NUMBER | facts.BOOL | facts.STRING))


def _describe(ref: FieldRef) -> str:
    if ref.source == TAG or ref.type == "text":
        return "text"
    if ref.type in ("number", "bool"):
        return "numbers" if ref.type == "number" else "true/false"
    bits = ref.types
    kinds = [name for bit, name in _BIT_NAMES if bits & bit]
    return " and ".join(kinds) or "no values"


_BIT_NAMES = (
    (facts.NUMBER, "numbers"),
    (facts.BOOL, "true/false"),
    (facts.STRING, "text"),
    (facts.OBJECT, "objects or lists"),
    (facts.NULL, "nulls"),
)
