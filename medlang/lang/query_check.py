"""Check-time diagnostics for the query literals of ``med.registry.query_runs``.

The query language has its own parser (``medlang.query``); here its errors become
MedLang diagnostics located inside the string literal, at the column of the bad
field or operator. Fields under ``metrics.``, ``config.``, ``env.`` and ``tags.``
depend on the registry the program will read, so only their syntax is checked now;
fixed fields, kinds, times and literal types are checked fully.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medlang.lang import ast


@dataclass(frozen=True)
class Problem:
    span: ast.Span
    message: str
    hint: str | None


def query_literal_problems(args: Sequence[ast.Expr]) -> list[Problem]:
    from medlang.query.check import check
    from medlang.query.errors import QueryError
    from medlang.query.fields import Catalog
    from medlang.query.order import parse_order
    from medlang.query.parse import parse_query
    from medlang.registry.storage import Table

    catalog = Catalog(Table.RUNS)  # keys unknown until run time: any metric is fine
    problems = []
    if args and isinstance(args[0], ast.StringLit) and args[0].value.strip():
        literal = args[0]
        try:
            check(parse_query(literal.value), catalog, literal.value)
        except QueryError as error:
            problems.append(_inside(literal, error, "query"))
    if len(args) > 1 and isinstance(args[1], ast.StringLit) and args[1].value.strip():
        literal = args[1]
        try:
            parse_order([literal.value], catalog)
        except QueryError as error:
            problems.append(_inside(literal, error, "order"))
    return problems


def _inside(literal: ast.StringLit, error, what: str) -> Problem:
    """The error's span mapped into the literal's source columns; the whole literal
    when it spans lines or holds escapes (its text is not its value)."""
    span = literal.span
    plain = span.line == span.end_line and span.end_col - span.col == len(literal.value) + 2
    if plain:
        start = span.col + 1 + error.span.start
        end = max(span.col + 1 + error.span.end, start + 1)
        span = ast.Span(span.line, start, span.line, end)
    return Problem(span, f"in this {what}: {error.message}", error.hint)
