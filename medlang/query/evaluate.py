"""The query semantics over records in memory: the reference the index is tested against.

- A comparison matches only a value of the literal's type (numbers, including
  booleans as 0/1 and times, or text); a record without the field, or with null
  or NaN there, never matches a comparison, ``in`` or ``~``.
- ``!=`` matches a value of the literal's type that differs from it.
- ``and``, ``or``, ``not`` are two-valued: ``not metrics.rmse < 0.05`` holds for
  a run without ``metrics.rmse``.
- ``exists`` holds when the field is there (a keyed value even when it is null,
  NaN, an object or a list; a column when it is not null).
- ``~`` is a case-sensitive glob: ``*`` any run of characters, ``?`` one.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from medlang.query.check import All, Any_, Checked, Negate, Test
from medlang.query.fields import COLUMN, ID, KEYED, KIND, TAG, TIME, FieldRef
from medlang.query.order import OrderKey
from medlang.registry import facts
from medlang.registry.storage import JsonObject, Table

_MISSING = object()
_OPS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass
class Facts:
    """Everything a query can see of one record, from ``medlang.registry.facts``."""

    id: str
    kind: str
    time: int
    seq: int  # position in the log
    columns: dict[str, Any]
    keyed: dict[str, tuple[Any, Any]]  # path -> (number or None, text or None)
    tags: Mapping[str, str]

    def lookup(self, field: FieldRef) -> tuple[Any, Any] | object:
        """(number, text) of ``field``, ``(None, None)`` for a null, ``_MISSING`` if absent."""
        if field.source == ID:
            return None, self.id
        if field.source == KIND:
            return None, self.kind
        if field.source == TIME:
            return self.time, None
        if field.source == COLUMN:
            value = self.columns[field.key]
            if value is None:
                return _MISSING
            return (None, value) if isinstance(value, str) else (value, None)
        if field.source == TAG:
            value = self.tags.get(field.key)
            return _MISSING if value is None else (None, value)
        return self.keyed.get(field.key, _MISSING)


def facts_of(
    table: Table, record: JsonObject, seq: int, tags: Mapping[str, str] | None = None
) -> Facts:
    names = list(facts.COLUMNS[table])
    columns = dict(zip(names, facts.columns(table, record), strict=True))
    return Facts(
        id=record["id"],
        kind=str(record["kind"]),
        time=facts.time_of(record.get(table.time_field)) or 0,
        seq=seq,
        columns=columns,
        keyed={key: (num, txt) for key, num, txt, _ in facts.keyed(table, record)},
        tags=tags or {},
    )


def matches(query: Checked | None, record: Facts) -> bool:
    if query is None:
        return True
    if isinstance(query, All):
        return all(matches(item, record) for item in query.items)
    if isinstance(query, Any_):
        return any(matches(item, record) for item in query.items)
    if isinstance(query, Negate):
        return not matches(query.item, record)
    return _test(query, record)


def _test(test: Test, record: Facts) -> bool:
    found = record.lookup(test.field)
    if found is _MISSING:
        return False
    if test.op == "exists":
        return True
    number, text = found
    if test.op == "glob":
        return text is not None and _glob(test.values[0]).fullmatch(text) is not None
    if test.op == "in":
        return any(_compare("=", number, text, value) for value in test.values)
    return _compare(test.op, number, text, test.values[0])


def _compare(op: str, number: Any, text: Any, value: Any) -> bool:
    if isinstance(value, str):
        return text is not None and _OPS[op](text, value)
    return number is not None and _OPS[op](number, value)


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def select(
    records: Iterable[Facts],
    query: Checked | None,
    order: list[OrderKey],
    limit: int | None = None,
) -> list[Facts]:
    """Matching records in order (default: newest first, ties in log order)."""
    found = [record for record in records if matches(query, record)]
    found.sort(key=functools.cmp_to_key(lambda a, b: _cmp(a, b, order)))
    return found if limit is None else found[:limit]


def _cmp(a: Facts, b: Facts, order: list[OrderKey]) -> int:
    for key in order:
        left, right = _sort_value(a, key.field), _sort_value(b, key.field)
        if left[0] != right[0]:  # numbers, then text, then missing: in either direction
            return -1 if left[0] < right[0] else 1
        if left[1] != right[1]:
            result = -1 if left[1] < right[1] else 1
            return -result if key.descending else result
    if a.time != b.time:
        return -1 if a.time > b.time else 1
    return -1 if a.seq < b.seq else (1 if a.seq > b.seq else 0)


def _sort_value(record: Facts, field: FieldRef) -> tuple[int, Any]:
    found = record.lookup(field)
    if found is _MISSING:
        return 2, 0
    number, text = found
    if number is not None:
        return 0, number
    if text is not None:
        return 1, text
    return 2, 0


__all__ = ["Facts", "facts_of", "matches", "select", "KEYED"]
