"""The index's query tables: what ``--where`` and ``--order-by`` run against.

Per table ``{t}`` (runs, artifacts), kept in step with it by the index:

- ``{t}_cols``: one row per record, the ``facts.COLUMNS`` (status, finished_at ...);
- ``{t}_keys``: every keyed path seen (``metrics.rmse`` ...), with an id and the
  ``facts`` type bits of its values (for did-you-mean and type errors);
- ``{t}_values``: (key id, record seq) -> number or text, clustered by key, with
  an index on (key id, number) so a range on a metric is an index range.

Queries also read the annotation tables the index folds from annotations.jsonl:
``run_tags(run_id, key, value)`` and ``run_hidden(run_id, reason)``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from medlang.registry import facts
from medlang.registry.storage import Table

# the types SQLite stores each column kind as
_SQL_TYPES = {"text": "TEXT", "time": "INTEGER", "number": "", "bool": "INTEGER"}


def schema(table: Table) -> str:
    columns = ", ".join(
        f"{name} {_SQL_TYPES[kind]}".rstrip() for name, kind in facts.COLUMNS[table].items()
    )
    return f"""
CREATE TABLE {table}_cols (seq INTEGER PRIMARY KEY, {columns});
CREATE TABLE {table}_keys (
    kid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, types INTEGER NOT NULL
);
CREATE TABLE {table}_values (
    kid INTEGER NOT NULL, seq INTEGER NOT NULL, num, txt TEXT, PRIMARY KEY (kid, seq)
) WITHOUT ROWID;
{_values_index(table)};
"""


def _values_index(table: Table) -> str:
    return (
        f"CREATE INDEX IF NOT EXISTS {table}_values_num ON {table}_values (kid, num)"
        " WHERE num IS NOT NULL"
    )


def clear(conn: sqlite3.Connection, table: Table) -> None:
    for suffix in ("cols", "keys", "values"):
        conn.execute(f"DELETE FROM {table}_{suffix}")


def key_types(conn: sqlite3.Connection, table: Table) -> dict[str, int]:
    return dict(conn.execute(f"SELECT key, types FROM {table}_keys"))


def key_ids(conn: sqlite3.Connection, table: Table) -> dict[str, int]:
    return dict(conn.execute(f"SELECT key, kid FROM {table}_keys"))


def tag_names(conn: sqlite3.Connection) -> frozenset[str]:
    return frozenset(row[0] for row in conn.execute("SELECT DISTINCT key FROM run_tags"))


# What one record contributes: its columns and its keyed values.
RecordFacts = tuple[tuple[Any, ...], list[facts.KeyedValue]]


def facts_of(table: Table, record: Any) -> RecordFacts:
    return facts.columns(table, record), list(facts.keyed(table, record))


class FactWriter:
    """Inserts the facts of newly indexed records; one per catch-up transaction."""

    def __init__(self, conn: sqlite3.Connection, table: Table) -> None:
        self.conn = conn
        self.table = table
        self.keys: dict[str, list[int]] = {
            key: [kid, types]
            for key, kid, types in conn.execute(f"SELECT key, kid, types FROM {table}_keys")
        }
        self.changed: set[str] = set()
        self.next_kid = max((kid for kid, _ in self.keys.values()), default=0) + 1
        # A build from nothing: one index sort at the end beats an index insert per row.
        self.fresh = not self.keys
        if self.fresh:
            conn.execute(f"DROP INDEX IF EXISTS {table}_values_num")
        width = len(facts.COLUMNS[table]) + 1
        self.insert_cols = f"INSERT INTO {table}_cols VALUES ({', '.join('?' * width)})"

    def add(self, rows: list[tuple[int, RecordFacts]]) -> None:
        """Facts of records just inserted, each with its seq."""
        keys, changed = self.keys, self.changed
        values = []
        for seq, (_, keyed) in rows:
            for key, num, txt, bit in keyed:
                entry = keys.get(key)
                if entry is None:
                    entry = keys[key] = [self.next_kid, 0]
                    self.next_kid += 1
                if not entry[1] & bit:
                    entry[1] |= bit
                    changed.add(key)
                values.append((entry[0], seq, num, txt))
        self.conn.executemany(self.insert_cols, ((seq, *cols) for seq, (cols, _) in rows))
        self.conn.executemany(
            f"INSERT OR IGNORE INTO {self.table}_values VALUES (?, ?, ?, ?)", values
        )

    def finish(self) -> None:
        """Write new keys and changed type bits (and the index, after a fresh build)."""
        if self.fresh:
            self.conn.execute(_values_index(self.table))
        self.conn.executemany(
            f"INSERT INTO {self.table}_keys VALUES (?, ?, ?)"
            " ON CONFLICT (kid) DO UPDATE SET types = excluded.types",
            ((kid, key, types) for key, (kid, types) in self.keys.items() if key in self.changed),
        )
