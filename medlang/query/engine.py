"""From the user's words (``--where``, ``--order-by``, ``--kind``, ``--since`` ...) to a
checked ``Request`` any ``RecordStore`` can answer.

The store says which fields exist (``query_catalog``) so that a typo is caught
with a did-you-mean before anything runs; an empty table accepts any field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from medlang.query.ast import Span
from medlang.query.check import All, Checked, Test, check, parse_time
from medlang.query.errors import QueryError
from medlang.query.fields import Catalog
from medlang.query.order import OrderKey, parse_order
from medlang.registry.storage import RecordStore, Table


@dataclass(frozen=True)
class Request:
    table: Table
    where: Checked | None = None
    order: list[OrderKey] = field(default_factory=list)
    limit: int | None = None
    include_hidden: bool = False


class QueryInputError(QueryError):
    """A ``QueryError`` that knows which option (``--where`` ...) held the text."""

    def __init__(self, error: QueryError, origin: str) -> None:
        super().__init__(error.message, error.span, error.text, error.hint)
        self.origin = origin

    def __str__(self) -> str:
        return self.render(self.origin)


def build(
    store: RecordStore,
    table: Table,
    *,
    where: str | None = None,
    order_by: Sequence[str] | str | None = None,
    descending: bool = False,
    kind: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
    include_hidden: bool = False,
    now: datetime | None = None,
    catalog: Catalog | None = None,
) -> Request:
    """A checked request; ``QueryInputError`` names the option a problem is in."""
    now = now or datetime.now(UTC)
    needs_catalog = where is not None or order_by
    if catalog is None and needs_catalog:
        catalog = store.query_catalog(table)
    catalog = catalog or Catalog(table)
    tests: list[Checked] = []
    if where is not None:
        from medlang.query.parse import parse_query

        try:
            tests.append(check(parse_query(where), catalog, where, now=now))
        except QueryError as error:
            raise QueryInputError(error, "--where") from None
    time_ref = catalog.fixed_fields()[catalog.time_field]
    for option, text, op in (("--since", since, ">="), ("--until", until, "<")):
        if text is not None:
            try:
                moment = parse_time(text, now)
            except ValueError as error:
                span = Span(0, max(len(text), 1))
                raise QueryInputError(
                    QueryError(str(error), span, text, _TIME_HINT), option
                ) from None
            tests.append(Test(time_ref, op, (moment,)))
    if kind is not None:
        tests.append(Test(catalog.fixed_fields()["kind"], "=", (kind,)))
    order: list[OrderKey] = []
    if order_by:
        specs = [order_by] if isinstance(order_by, str) else list(order_by)
        try:
            order = parse_order(specs, catalog, descending=descending)
        except QueryError as error:
            raise QueryInputError(error, "--order-by") from None
    elif descending:  # --desc alone: the default order reversed
        order = [OrderKey(time_ref, descending=False)]
    where_tree = None if not tests else tests[0] if len(tests) == 1 else All(tuple(tests))
    return Request(table, where_tree, order, limit, include_hidden)


_TIME_HINT = "write a date '2026-11-01', a timestamp '2026-11-01T12:00:00Z' or an age '7d'"
