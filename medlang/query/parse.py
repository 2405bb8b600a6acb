"""Query text -> AST (medlang.query.ast), or a ``QueryError`` pointing at the problem.

The LALR parser is built once per process from grammar/query.lark; lark is imported
only here, so listing runs without ``--where`` never pays for it.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from medlang.query import ast
from medlang.query.ast import Span
from medlang.query.errors import QueryError
from medlang.resources import grammar_dir

_OPERATORS = {"==": "=", "<>": "!="}
MAX_QUERY_CHARS = 10_000  # a query is typed by a person; refuse a file pasted by mistake


@cache
def _parser() -> Any:
    from lark import Lark

    # The parser tables are cached on disk (lark keys the file by the grammar's hash),
    # so a `--where` pays for lark's import, not for building them, after the first run.
    return Lark.open(
        str(grammar_dir() / "query.lark"), parser="lalr", keep_all_tokens=True, cache=_cache_file()
    )


def _cache_file() -> str | bool:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    directory = Path(base) / "medlang"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return True  # lark falls back to a file in the temp directory
    return str(directory / "query-grammar.lark.cache")


def parse_query(text: str) -> ast.Expr:
    """The AST of ``text``; ``QueryError`` with a span for a syntax error."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters)", Span(0, 1), text)
    if not text.strip():
        raise QueryError("empty query", Span(0, max(len(text), 1)), text, _EXAMPLE)
    try:
        tree = _parser().parse(text)
    except UnexpectedToken as error:
        raise _unexpected_token(text, error) from None
    except UnexpectedCharacters as error:
        span = Span(error.pos_in_stream, error.pos_in_stream + 1)
        char = text[error.pos_in_stream]
        hint = "quote text values: 'like this'" if char in "\"'" else None
        raise QueryError(f"unexpected character {char!r}", span, text, hint) from None
    except UnexpectedInput as error:  # pragma: no cover - other lark failures
        position = getattr(error, "pos_in_stream", 0) or 0
        raise QueryError("cannot parse the query", Span(position, position + 1), text) from None
    except RecursionError:
        raise QueryError("query nested too deeply", Span(0, 1), text) from None
    try:
        return _build(tree, text)
    except RecursionError:
        raise QueryError("query nested too deeply", Span(0, 1), text) from None


_EXAMPLE = "for example: kind = SurrogateEval and metrics.rmse < 0.05"
_WHAT = {
    "WORD": "a field or word",
    "NUMBER": "a number",
    "STRING": "a string",
    "COMPARE": "a comparison",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "TILDE": "'~'",
    "OR": "'or'",
    "AND": "'and'",
    "NOT": "'not'",
    "IN": "'in'",
    "EXISTS": "'exists'",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "$END": "the end of the query",
}


def _unexpected_token(text: str, error: Any) -> QueryError:
    token = error.token
    if token.type == "$END":
        end = len(text.rstrip())
        span, found = Span(end, end + 1), "end of query"
    else:
        span, found = Span(token.start_pos, token.end_pos), f"{token.value!r}"
    names = set(error.expected)
    if text[: span.start].count("(") <= text[: span.start].count(")"):
        names -= {"RPAR", "COMMA"}  # LALR's merged states offer them outside any list too
    expected = sorted({_WHAT.get(name, name) for name in names})
    hint = None
    if token.type == "WORD" and "a comparison" in expected:
        hint = "compare a field with a value: field = value, field < 3, field ~ 'glob*'"
    if token.type == "COMPARE" and token.value == "=" and "a field or word" in expected:
        hint = "a comparison needs a field on its left"
    message = f"unexpected {found}; expected {_join(expected)}"
    return QueryError(message, span, text, hint)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _span(node: Any) -> Span:
    """The span from the first to the last token under ``node``."""
    from lark import Token

    if isinstance(node, Token):
        return Span(node.start_pos, node.end_pos)
    tokens = list(node.scan_values(lambda value: isinstance(value, Token)))
    return Span(tokens[0].start_pos, tokens[-1].end_pos)


def _build(node: Any, text: str) -> ast.Expr:
    rule = node.data
    children = node.children
    span = _span(node)
    if rule == "or_":
        return ast.Or(_build(children[0], text), _build(children[2], text), span)
    if rule == "and_":
        return ast.And(_build(children[0], text), _build(children[2], text), span)
    if rule == "not_":
        return ast.Not(_build(children[1], text), span)
    if rule == "group":
        return _build(children[1], text)
    field = _field(children[0], text)
    if rule == "compare":
        op = str(children[1])
        return ast.Compare(field, _OPERATORS.get(op, op), _literal(children[2], text), span)
    if rule in ("in_", "not_in"):
        values = tuple(_literal(child, text) for child in children[-2].children[::2])
        found: ast.Expr = ast.In(field, values, span)
        return ast.Not(found, span) if rule == "not_in" else found
    if rule == "exists":
        return ast.Exists(field, span)
    if rule == "glob":
        return ast.Glob(field, _literal(children[2], text), span)
    raise AssertionError(f"unknown rule {rule}")  # pragma: no cover


def _field(node: Any, text: str) -> ast.Field:
    token = node.children[0]
    parts = _segments(str(token))
    return ast.Field(".".join(parts), parts, Span(token.start_pos, token.end_pos))


def _segments(word: str) -> tuple[str, ...]:
    parts, current, quoted = [], [], False
    for char in word:
        if char == "`":
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return tuple(parts)


def _literal(node: Any, text: str) -> ast.Literal:
    token = node.children[0]
    span = Span(token.start_pos, token.end_pos)
    raw = str(token)
    if node.data == "string":
        quote = raw[0]
        return ast.Literal(raw[1:-1].replace(quote * 2, quote), span)
    if node.data == "number":
        try:
            value: ast.Value = int(raw)
        except ValueError:
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise QueryError(f"number out of range: {raw}", span, text) from None
        return ast.Literal(value, span)
    if node.data in ("true", "false"):
        return ast.Literal(node.data == "true", span)
    return ast.Literal(".".join(_segments(raw)), span, bare=True)
