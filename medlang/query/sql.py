"""One translator from a checked query (and order keys) to SQL over the index's tables.

Tables (see ``medlang.registry.query_tables``): the main table ``{t}`` (``seq``
log order, ``id``, ``kind``, ``t`` time), ``{t}_cols`` (one row per record:
``facts.COLUMNS``), ``{t}_values`` (``kid``, ``seq``, ``num``, ``txt``: keyed
values, a key's id in ``{t}_keys``), ``run_tags`` and ``run_hidden``.

Every predicate becomes an expression that is true or false, never NULL, so
``NOT`` is plain negation as in ``evaluate.py``. A keyed predicate is a ``seq IN
(subquery)`` that SQLite answers from the ``(kid, num)`` index; on PostgreSQL it is
an ``EXISTS`` probe of the ``(kid, seq)`` key, which its planner joins or probes
per row as the rest of the plan needs (an ``IN`` under ``OR`` is hashed whole
there, however few rows it is asked about). The dialect switch covers what
differs: placeholders, glob, text collation, that probe.

A top-N ordered by a keyed field first (``--order-by metrics.rmse -n 100``) need
not look at every match: ``walk`` gives the windows to try, the first entries of
that key's ``(kid, num)`` index in order (within the query's own bounds on the key),
each joined to its records and filtered (``translate(..., window=...)``; there
every keyed predicate is a probe, in both dialects). ``settled`` says when a
window's answer is the answer; when none is, the plain query runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from medlang.query.check import All, Any_, Checked, Negate, Test
from medlang.query.fields import COLUMN, ID, KEYED, KIND, TAG, TIME, FieldRef
from medlang.query.order import OrderKey
from medlang.registry.storage import Table

if TYPE_CHECKING:
    from medlang.query.engine import Request


@dataclass(frozen=True)
class Dialect:
    name: str
    placeholder: str  # "?" (sqlite3) or "%s" (psycopg)
    collate: str = ""  # appended to text comparisons: byte order, as in Python
    false: str = "0"  # a predicate that is never true
    probe: bool = False  # keyed predicates and the hidden runs as EXISTS probes
    # Ends a probe that must stay one (not be turned into a join). PostgreSQL turns
    # EXISTS into a join, and may make it by reading the whole range (its estimate of
    # a range on one key comes from the numbers of all keys: 30x too low here), but
    # never one with an OFFSET.
    fence: str = ""

    def glob(self, column: str, pattern: str) -> tuple[str, list[object]]:
        """``column`` matches ``pattern`` (``*`` and ``?`` only; everything else literal)."""
        if self.name == "sqlite":
            # In GLOB, '[' opens a character class; '[[]' is a literal '['.
            return f"{column} GLOB {self.placeholder}", [pattern.replace("[", "[[]")]
        like = "".join(
            "%" if c == "*" else "_" if c == "?" else "\\" + c if c in "%_\\" else c
            for c in pattern
        )
        return f"{column} LIKE {self.placeholder}{self.collate} ESCAPE '\\'", [like]


SQLITE = Dialect("sqlite", "?")
POSTGRESQL = Dialect("postgresql", "%s", ' COLLATE "C"', "FALSE", probe=True, fence=" OFFSET 0")

_OPS = {"=", "!=", "<", "<=", ">", ">="}


@dataclass
class Select:
    """A SELECT over table ``{t}`` aliased ``r``: ``sql(columns)`` with ``params``."""

    table: Table
    where: list[str] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    params_where: list[object] = field(default_factory=list)
    params_joins: list[object] = field(default_factory=list)
    params_order: list[object] = field(default_factory=list)
    limit: int | None = None

    def sql(self, columns: str, dialect: Dialect = SQLITE) -> tuple[str, list[object]]:
        text = f"SELECT {columns} FROM {self.table} r"
        text += "".join(f" {join}" for join in self.joins)
        if self.where:
            text += " WHERE " + " AND ".join(f"({w})" for w in self.where)
        if self.order:
            text += " ORDER BY " + ", ".join(self.order)
        params = [*self.params_joins, *self.params_where, *self.params_order]
        if self.limit is not None:
            text += f" LIMIT {dialect.placeholder}"
            params.append(self.limit)
        return text, params


def translate(
    table: Table,
    query: Checked | None,
    order: list[OrderKey],
    *,
    key_ids: Mapping[str, int],
    include_hidden: bool = False,
    limit: int | None = None,
    dialect: Dialect = SQLITE,
    window: tuple[str, list[object]] | None = None,
) -> Select:
    """The query as one SELECT; with ``window`` (``Walk.entries``: SQL and its
    parameters), over those entries of the first order key only."""
    translator = _Translator(table, key_ids, dialect, window)
    return translator.select(query, order, include_hidden, limit)


# --- walking the first order key's index ----------------------------------------

_WALK_MAX_LIMIT = 1_000  # beyond this a window is no smaller than a plain sort
# The windows a walk tries, in index entries: (at least, per row asked for). Each
# costs about its size; when both fail, the plain query runs (bounded extra work).
WALK_WINDOWS = ((1_000, 10), (10_000, 100))


@dataclass(frozen=True)
class Walk:
    """The windows worth trying for a top-N whose first order key is keyed, and the
    bounds the query itself puts on that key (``metrics.rmse < 0.05 and ...``):
    entries outside them cannot match, so a window skips them."""

    table: Table
    kid: int
    descending: bool
    windows: tuple[int, ...]
    bounds: tuple[tuple[str, float], ...] = ()

    def _where(self, p: str) -> tuple[str, list[object]]:
        sql = f"FROM {self.table}_values WHERE kid = {p} AND num IS NOT NULL"
        sql += "".join(f" AND num {op} {p}" for op, _ in self.bounds)
        direction = " DESC" if self.descending else ""
        return f"{sql} ORDER BY num{direction}", [self.kid, *(value for _, value in self.bounds)]

    def entries(self, window: int, dialect: Dialect = SQLITE) -> tuple[str, list[object]]:
        """SQL for the first ``window`` entries in order (``seq, num, txt``)."""
        sql, params = self._where(dialect.placeholder)
        return f"SELECT seq, num, txt {sql} LIMIT {dialect.placeholder}", [*params, window]

    def edge(self, window: int, dialect: Dialect = SQLITE) -> tuple[str, list[object]]:
        """SQL for the last entry's number in a window (no row: the key has fewer
        entries, so the window holds them all)."""
        sql, params = self._where(dialect.placeholder)
        p = dialect.placeholder
        return f"SELECT num {sql} LIMIT 1 OFFSET {p}", [*params, window - 1]

    def settled(self, rows: list[tuple], limit: int, edge: float | None) -> bool:
        """Whether ``rows`` (a window's answer, each ending with its key's number) is
        the whole answer: ``limit`` rows, the last strictly before the window's last
        entry. Every record outside the window has a number at or past that entry,
        or none, or one out of bounds, so it sorts after them all or does not
        match, ties in the number included."""
        if len(rows) < limit:
            return False  # more matches may lie beyond the window, or have no number
        if edge is None:
            return True
        last = rows[-1][-1]
        return last > edge if self.descending else last < edge


def walk(
    table: Table,
    query: Checked | None,
    order: list[OrderKey],
    key_ids: Mapping[str, int],
    limit: int | None,
) -> Walk | None:
    """How to walk the first order key's index for a top-``limit``, if it is keyed."""
    if not order or order[0].field.source != KEYED or limit is None:
        return None
    if not 0 < limit <= _WALK_MAX_LIMIT:
        return None
    ref = order[0].field
    kid = key_ids.get(ref.key or "")
    if kid is None:
        return None
    windows = tuple(max(least, per_row * limit) for least, per_row in WALK_WINDOWS)
    descending = order[0].descending
    return Walk(table, kid, descending, windows, _bounds(query, ref, descending))


def _bounds(
    query: Checked | None, ref: FieldRef, descending: bool
) -> tuple[tuple[str, float], ...]:
    """The comparisons of ``ref`` with a number that every match satisfies (the
    query's own, or those of its conjunctions' parts) and that move where a walk
    starts. A bound on the far side ends the walk at most, which the query's
    filter does anyway, and it would make PostgreSQL's estimate of the window (a
    range on one key, judged from the numbers of all keys) low enough to read the
    whole range and sort it rather than walk the index."""
    starts = {"<", "<=", "="} if descending else {">", ">=", "="}
    return tuple(
        (test.op, test.values[0])
        for test in _conjuncts(query)
        if isinstance(test, Test)
        and test.field.source == KEYED
        and test.field.key == ref.key
        and test.op in starts
        and type(test.values[0]) in (int, float)
    )


def _conjuncts(query: Checked | None) -> list[Checked]:
    if isinstance(query, All):
        return [part for item in query.items for part in _conjuncts(item)]
    return [] if query is None else [query]


class _Translator:
    def __init__(
        self,
        table: Table,
        key_ids: Mapping[str, int],
        dialect: Dialect,
        window: tuple[str, list[object]] | None,
    ) -> None:
        self.table = table
        self.key_ids = key_ids
        self.dialect = dialect
        self.p = dialect.placeholder
        self.window = window
        self.uses_columns = False

    def select(
        self, query: Checked | None, order: list[OrderKey], include_hidden: bool, limit: int | None
    ) -> Select:
        out = Select(self.table, limit=limit)
        if query is not None:
            where, params = self.expr(query)
            out.where.append(where)
            out.params_where += params
        if self.table is Table.RUNS and not include_hidden:
            if self.dialect.probe:
                out.where.append("NOT EXISTS (SELECT 1 FROM run_hidden h WHERE h.run_id = r.id)")
            else:
                out.where.append("r.id NOT IN (SELECT run_id FROM run_hidden)")
        for index, key in enumerate(order):
            self.order_key(out, index, key)
        out.order += ["r.t DESC", "r.seq ASC"]  # the default order breaks ties
        if self.uses_columns:
            out.joins.insert(0, f"JOIN {self.table}_cols c ON c.seq = r.seq")
        return out

    # --- predicates ------------------------------------------------------------

    def expr(self, query: Checked) -> tuple[str, list[object]]:
        if isinstance(query, All | Any_):
            parts = [self.expr(item) for item in query.items]
            glue = " AND " if isinstance(query, All) else " OR "
            return glue.join(f"({sql})" for sql, _ in parts), [p for _, ps in parts for p in ps]
        if isinstance(query, Negate):
            sql, params = self.expr(query.item)
            return f"NOT ({sql})", params
        return self.test(query)

    def test(self, test: Test) -> tuple[str, list[object]]:
        ref = test.field
        if ref.source == KEYED:
            kid = self.key_ids.get(ref.key or "")
            if kid is None:
                return self.dialect.false, []  # no record has this key
            cond, params = self.condition(test, "v.num", "v.txt")
            values = f"{self.table}_values v WHERE v.kid = {self.p}"
            if cond:
                values += f" AND ({cond})"
            if self.dialect.probe or self.window is not None:
                # One (kid, seq) key lookup per row: what a window's few rows need (an
                # IN reads the whole range first: every seed > 100 for a window of 1,000).
                fence = self.dialect.fence if self.window is not None else ""
                return f"EXISTS (SELECT 1 FROM {values} AND v.seq = r.seq{fence})", [kid, *params]
            return f"r.seq IN (SELECT v.seq FROM {values})", [kid, *params]
        if ref.source == TAG:
            cond, params = self.condition(test, None, "value")
            sql = f"SELECT run_id FROM run_tags WHERE key = {self.p}"
            if cond:
                sql += f" AND ({cond})"
            return f"r.id IN ({sql})", [ref.key, *params]
        number, text = self.columns_of(ref)
        column = number or text
        if test.op == "exists":
            return f"{column} IS NOT NULL", []
        cond, params = self.condition(test, number, text)
        return f"{column} IS NOT NULL AND {cond}", params

    def condition(self, test: Test, number: str | None, text: str | None) -> tuple[str, list]:
        """SQL for ``test`` on a value whose number is in column ``number`` and text in
        ``text``; true only for a value of the literal's type."""
        if test.op == "exists":
            return "", []
        if test.op == "glob":
            if text is None:
                return self.dialect.false, []
            return self.dialect.glob(text, str(test.values[0]))
        if test.op == "in":
            parts = [self.compare("=", number, text, value) for value in test.values]
            return " OR ".join(f"({sql})" for sql, _ in parts), [p for _, ps in parts for p in ps]
        return self.compare(test.op, number, text, test.values[0])

    def compare(self, op: str, number: str | None, text: str | None, value: object):
        assert op in _OPS
        column = text if isinstance(value, str) else number
        if column is None:
            return self.dialect.false, []
        # Equality is the same in every (deterministic) collation; without COLLATE
        # an index on the column in the database's collation can answer it.
        collate = self.dialect.collate if isinstance(value, str) and op not in ("=", "!=") else ""
        return f"{column} IS NOT NULL AND {column} {op} {self.p}{collate}", [value]

    def columns_of(self, ref: FieldRef) -> tuple[str | None, str | None]:
        """(number column, text column) of a field stored in ``r`` or ``c``."""
        if ref.source == ID:
            return None, "r.id"
        if ref.source == KIND:
            return None, "r.kind"
        if ref.source == TIME:
            return "r.t", None
        assert ref.source == COLUMN
        self.uses_columns = True
        column = f"c.{ref.key}"
        return (None, column) if ref.type == "text" else (column, None)

    # --- order -----------------------------------------------------------------

    def order_key(self, out: Select, index: int, key: OrderKey) -> None:
        ref = key.field
        if ref.source == KEYED:
            kid = self.key_ids.get(ref.key or "")
            if kid is None:
                return  # every record lacks it: no effect on the order
            alias = f"o{index}"
            if index == 0 and self.window is not None:
                entries, params = self.window
                out.joins.append(f"JOIN ({entries}) {alias} ON {alias}.seq = r.seq")
                out.params_joins += params
            else:
                out.joins.append(
                    f"LEFT JOIN {self.table}_values {alias} ON {alias}.kid = {self.p}"
                    f" AND {alias}.seq = r.seq"
                )
                out.params_joins.append(kid)
            number, text = f"{alias}.num", f"{alias}.txt"
        elif ref.source == TAG:
            alias = f"o{index}"
            out.joins.append(
                f"LEFT JOIN run_tags {alias} ON {alias}.run_id = r.id AND {alias}.key = {self.p}"
            )
            out.params_joins.append(ref.key)
            number, text = None, f"{alias}.value"
        else:
            number, text = self.columns_of(ref)
        direction = " DESC" if key.descending else ""
        collate = self.dialect.collate
        if number and text:
            out.order.append(
                f"CASE WHEN {number} IS NOT NULL THEN 0 WHEN {text} IS NOT NULL THEN 1 ELSE 2 END"
            )
            out.order += [f"{number}{direction}", f"{text}{collate}{direction}"]
        else:
            column = number or text
            out.order.append(f"{column} IS NULL")
            out.order.append(f"{column}{collate if column == text else ''}{direction}")


def walked(
    request: Request,
    key_ids: Mapping[str, int],
    dialect: Dialect,
    columns: str,
    fetch: Callable[[str, list[object]], list[tuple]],
) -> list[tuple] | None:
    """The answer to ``request`` as rows of ``columns``, found by walking the first
    order key's index (``fetch`` runs one SELECT); None when no window settles it
    and the plain query must run."""
    plan = walk(request.table, request.where, request.order, key_ids, request.limit)
    if plan is None or request.limit is None:
        return None
    for step, window in enumerate(plan.windows):
        found = fetch(*plan.edge(window, dialect))
        edge = found[0][0] if found else None
        select = translate(
            request.table,
            request.where,
            request.order,
            key_ids=key_ids,
            include_hidden=request.include_hidden,
            limit=request.limit,
            dialect=dialect,
            window=plan.entries(window, dialect),
        )
        rows = fetch(*select.sql(f"{columns}, o0.num", dialect))
        if plan.settled(rows, request.limit, edge):
            return [row[:-1] for row in rows]
        if edge is None:
            break  # the window held every entry: matches without a number decide
        larger = plan.windows[step + 1] if step + 1 < len(plan.windows) else None
        if larger is None or len(rows) * larger < request.limit * window:
            break  # at this rate of matches the larger window would fall short too
    return None
