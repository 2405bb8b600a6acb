"""The typed query AST: frozen dataclasses, each with the span of text it came from."""

from __future__ import annotations

from dataclasses import dataclass

# A literal's value once checked: numbers (bool counts as 0/1), strings, or
# microseconds since the epoch for a time field.
Value = int | float | str | bool


@dataclass(frozen=True, slots=True)
class Span:
    """0-based offsets of the first character and one past the last, in the query text."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # dotted, backquotes removed: "config.learning-rate"
    parts: tuple[str, ...]  # ("config", "learning-rate")
    span: Span


@dataclass(frozen=True, slots=True)
class Literal:
    value: Value
    span: Span
    bare: bool = False  # a bare word (kind = SurrogateEval), not a quoted string


@dataclass(frozen=True, slots=True)
class Compare:
    field: Field
    op: str  # one of = != < <= > >=
    value: Literal
    span: Span


@dataclass(frozen=True, slots=True)
class In:
    field: Field
    values: tuple[Literal, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Exists:
    field: Field
    span: Span


@dataclass(frozen=True, slots=True)
class Glob:
    field: Field
    pattern: Literal  # a string: * any run of characters, ? one character, [abc]
    span: Span


@dataclass(frozen=True, slots=True)
class And:
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Or:
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span


Predicate = Compare | In | Exists | Glob
Expr = Predicate | And | Or | Not


def predicates(expr: Expr):
    """Every predicate in ``expr``, left to right."""
    if isinstance(expr, And | Or):
        yield from predicates(expr.left)
        yield from predicates(expr.right)
    elif isinstance(expr, Not):
        yield from predicates(expr.operand)
    else:
        yield expr
