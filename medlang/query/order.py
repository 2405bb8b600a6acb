"""``--order-by`` keys and the one ordering rule both backends follow.

Values of a key sort numbers (and booleans, and times) first, then text; a record
without the field, or with null or NaN there, comes last in either direction.
Ties are broken by the default order: newest first, then log order.
"""

from __future__ import annotations

from dataclasses import dataclass

from medlang.query.check import resolve_field
from medlang.query.errors import QueryError
from medlang.query.fields import Catalog, FieldRef


@dataclass(frozen=True, slots=True)
class OrderKey:
    field: FieldRef
    descending: bool = False


def parse_order(specs: list[str], catalog: Catalog, *, descending: bool = False) -> list[OrderKey]:
    """``["metrics.rmse", "started_at desc"]`` (each may hold several, comma-separated);
    ``descending`` is the direction of keys that do not say."""
    keys = []
    for spec in specs:
        for part in spec.split(","):
            words = part.split()
            if not words:
                continue
            direction = descending
            if len(words) == 2 and words[1].lower() in ("asc", "desc"):
                direction = words[1].lower() == "desc"
            elif len(words) != 1:
                raise QueryError(
                    f"cannot order by {part.strip()!r}",
                    _span_of(spec, part),
                    spec,
                    "write FIELD, FIELD asc or FIELD desc",
                )
            name = words[0]
            if name.startswith("-"):  # --order-by=-metrics.rmse
                name, direction = name[1:], True
            try:
                field = resolve_field(name, catalog)
            except QueryError as error:
                offset = spec.find(name)
                raise QueryError(
                    error.message,
                    type(error.span)(offset, offset + len(name)),
                    spec,
                    error.hint,
                ) from None
            keys.append(OrderKey(field, direction))
    return keys


def _span_of(spec: str, part: str):
    from medlang.query.ast import Span

    start = spec.find(part.strip())
    return Span(start, start + len(part.strip()))
