"""One translator from a checked query (and order keys) to SQL over the index's tables.

Tables (see ``medlang.registry.query_tables``): the main table ``{t}`` (``seq``
log order, ``id``, ``kind``, ``t`` time), ``{t}_cols`` (one row per record:
``facts.COLUMNS``), ``{t}_values`` (``kid``, ``seq``, ``num``, ``txt``: keyed
values, a key's id in ``{t}_keys``), ``run_tags`` and ``run_hidden``.

Every predicate becomes an expression that is true or false, never NULL, so
``NOT`` is plain negation as in ``evaluate.py``. A keyed predicate is a ``seq IN
(subquery)`` that SQLite answers from the ``(kid, num)`` index. The dialect
switch covers what differs in PostgreSQL: placeholders, glob, text collation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from medlang.query.check import All, Any_, Checked, Negate, Test
from medlang.query.fields import COLUMN, ID, KEYED, KIND, TAG, TIME, FieldRef
from medlang.query.order import OrderKey
from medlang.registry.storage import Table


@dataclass(frozen=True)
class Dialect:
    name: str
    placeholder: str  # "?" (sqlite3) or "%s" (psycopg)
    collate: str = ""  # appended to text comparisons: byte order, as in Python
    false: str = "0"  # a predicate that is never true

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
POSTGRESQL = Dialect("postgresql", "%s", ' COLLATE "C"', "FALSE")

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
) -> Select:
    return _Translator(table, key_ids, dialect).select(query, order, include_hidden, limit)


class _Translator:
    def __init__(self, table: Table, key_ids: Mapping[str, int], dialect: Dialect) -> None:
        self.table = table
        self.key_ids = key_ids
        self.dialect = dialect
        self.p = dialect.placeholder
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
            cond, params = self.condition(test, "num", "txt")
            sql = f"SELECT seq FROM {self.table}_values WHERE kid = {self.p}"
            if cond:
                sql += f" AND ({cond})"
            return f"r.seq IN ({sql})", [kid, *params]
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
        collate = self.dialect.collate if isinstance(value, str) else ""
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
