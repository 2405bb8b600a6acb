"""The derived SQLite index beside the logs: id -> byte offset, plus kind and time.

It is a cache. The JSONL logs are the truth: the index is brought up to date from
its last indexed offset whenever it is read, and rebuilt when its log was
truncated or replaced (see ``logfile.Fingerprint``). Deleting it loses nothing.
Only lines that passed validation are indexed, so a line found through the index
can be shown with a plain ``json.loads``. WAL mode and ``BEGIN IMMEDIATE`` make it
safe with concurrent readers and writers in several processes.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import TypeVar

from medlang.registry.errors import note, warn
from medlang.registry.logfile import Fingerprint, LogFile, LogReader
from medlang.registry.storage import Entry, Order, Table

SCHEMA_VERSION = 3
_BATCH = 20_000
_MAX_INTEGER = 2**63 - 1
_ANNOUNCE_BYTES = 64 << 20  # say why the command is slow, once

_SCHEMA = """
CREATE TABLE meta (
    tbl TEXT PRIMARY KEY, inode INTEGER NOT NULL, device INTEGER NOT NULL,
    size INTEGER NOT NULL, head TEXT NOT NULL, tail TEXT NOT NULL, lines INTEGER NOT NULL,
    seen INTEGER NOT NULL, pending INTEGER NOT NULL
);
CREATE TABLE counts (tbl TEXT, kind TEXT, n INTEGER NOT NULL, PRIMARY KEY (tbl, kind));
CREATE TABLE links (artifact TEXT NOT NULL, run TEXT NOT NULL);
CREATE INDEX links_artifact ON links (artifact);
"""
# seq is the rowid, so it is log order, and every index ends with it: ties on the
# timestamp come out in log order.
_TABLE_SCHEMA = """
CREATE TABLE {t} (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    t INTEGER NOT NULL, off INTEGER NOT NULL, len INTEGER NOT NULL
);
CREATE INDEX {t}_time ON {t} (t);
CREATE INDEX {t}_kind_time ON {t} (kind, t);
"""
_ORDER_BY = {
    Order.LOG: "seq",
    Order.NEWEST: "t DESC, seq ASC",
    Order.OLDEST: "t ASC, seq ASC",
}

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _State:
    """What the index knows about its log."""

    fingerprint: Fingerprint  # of the indexed part, bytes [0, fingerprint.size)
    lines: int  # newlines in the indexed part
    seen: int  # the log's size when last looked at: beyond the indexed part may be
    pending: int  # an incomplete last line, at this offset, already warned about (or -1)


# Where one indexed record's line is: (id, byte offset, length).
Location = tuple[str, int, int]


class SqliteIndex:
    def __init__(self, path: Path, logs: dict[Table, LogFile]) -> None:
        self.path = path
        self._logs = logs
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._lock = threading.RLock()

    # --- queries (each brings its table up to date first) -----------------

    def locate(self, table: Table, record_id: str) -> Location | None:
        sql = f"SELECT id, off, len FROM {table} WHERE id = ?"
        return self._query(table, lambda conn: conn.execute(sql, (record_id,)).fetchone())

    def ids_with_prefix(self, table: Table, prefix: str, limit: int) -> list[str]:
        sql = f"SELECT id FROM {table} WHERE id >= ? AND id < ? ORDER BY id LIMIT ?"
        params = (prefix, prefix + "~", limit)  # '~' sorts after every id character
        return self._query(table, lambda conn: [row[0] for row in conn.execute(sql, params)])

    def select(
        self, table: Table, kind: str | None, order: Order, limit: int | None
    ) -> list[Location]:
        where, params = ("WHERE kind = ?", [kind]) if kind is not None else ("", [])
        sql = f"SELECT id, off, len FROM {table} {where} ORDER BY {_ORDER_BY[order]}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(min(limit, _MAX_INTEGER))  # sqlite cannot bind a larger one
        return self._query(table, lambda conn: conn.execute(sql, params).fetchall())

    def count(self, table: Table, kind: str | None) -> int:
        sql = "SELECT coalesce(sum(n), 0) FROM counts WHERE tbl = ?"
        params = [str(table)]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        return self._query(table, lambda conn: conn.execute(sql, params).fetchone()[0])

    def runs_with_artifact(self, artifact_id: str) -> list[Location]:
        sql = (
            "SELECT r.id, r.off, r.len FROM links l JOIN runs r ON r.id = l.run"
            " WHERE l.artifact = ? ORDER BY r.seq"
        )
        return self._query(Table.RUNS, lambda conn: conn.execute(sql, (artifact_id,)).fetchall())

    def invalidate(self, table: Table) -> None:
        """Forget everything indexed for ``table``; the next read re-indexes it."""
        with self._lock, self._transaction() as conn:
            _clear(conn, table)

    def _query(self, table: Table, query: Callable[[sqlite3.Connection], T]) -> T:
        """Bring ``table`` up to date, then run ``query``; a damaged index is rebuilt once."""
        with self._lock:
            try:
                conn = self._connection()
                self._refresh(conn, table)
                return query(conn)
            except sqlite3.OperationalError:
                raise  # locked, disk full ...: not the index's fault
            except sqlite3.DatabaseError:  # e.g. "database disk image is malformed"
                self._discard()
                conn = self._connection()
                self._refresh(conn, table)
                return query(conn)

    # --- keeping up with the log -------------------------------------------

    def _refresh(self, conn: sqlite3.Connection, table: Table) -> None:
        log = self._logs[table]
        try:
            with log.reader() as reader:
                state = _state(conn, table)
                if state and reader.size() == state.seen and _unchanged(reader, state):
                    return  # the fast path: nothing new
                with self._transaction() as conn:
                    self._catch_up(conn, table, log, reader)
        except FileNotFoundError:  # no log (any more): an empty table
            if _state(conn, table) is not None:
                with self._transaction() as conn:
                    _clear(conn, table)

    def _catch_up(
        self, conn: sqlite3.Connection, table: Table, log: LogFile, reader: LogReader
    ) -> None:
        end = reader.settled_size()
        state = _state(conn, table)  # again: another process may have indexed meanwhile
        if state and (end < state.fingerprint.size or not _unchanged(reader, state)):
            _clear(conn, table)  # truncated or replaced: start over
            state = None
        if state and end == state.seen:
            return
        start = state.fingerprint.size if state else 0
        if end - start > _ANNOUNCE_BYTES:
            note(f"indexing {(end - start) / 1e6:.0f} MB of {log.path} (only new lines next time)")
        progress = _index_lines(conn, table, log, reader, start, end, state)
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(table),
                *astuple(reader.fingerprint(progress.indexed_end)),
                progress.lines,
                end,
                progress.pending,
            ),
        )

    # --- the connection ------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():  # never share one across fork
            self._conn = self._open()
            self._pid = os.getpid()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        try:
            return _connect(self.path)
        except (sqlite3.Error, OSError):
            pass
        # A corrupt or foreign file: it is only a cache, so start a new one.
        self._remove_files()
        try:
            return _connect(self.path)
        except (sqlite3.Error, OSError):
            # e.g. a read-only registry: index in memory for this process only
            return _connect(":memory:")

    def _discard(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None
        self._remove_files()

    def _remove_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass
            except OSError:
                return

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _connect(path: Path | str) -> sqlite3.Connection:
    if path != ":memory:" and not os.path.exists(path):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # a derived cache: losing the tail is fine
        conn.execute("PRAGMA cache_size=-65536")
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            _create_schema(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _create_schema(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            for (name,) in tables.fetchall():
                conn.execute(f'DROP TABLE IF EXISTS "{name}"')
            script = _SCHEMA + "".join(_TABLE_SCHEMA.format(t=table) for table in Table)
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _state(conn: sqlite3.Connection, table: Table) -> _State | None:
    row = conn.execute(
        "SELECT inode, device, size, head, tail, lines, seen, pending FROM meta WHERE tbl = ?",
        (str(table),),
    ).fetchone()
    return _State(Fingerprint(*row[:5]), *row[5:]) if row else None


def _unchanged(reader: LogReader, state: _State) -> bool:
    """Is the indexed part of the log still the same bytes in the same file?"""
    known = state.fingerprint
    return reader.size() >= known.size and reader.fingerprint(known.size) == known


def _clear(conn: sqlite3.Connection, table: Table) -> None:
    conn.execute(f"DELETE FROM {table}")
    if table is Table.RUNS:
        conn.execute("DELETE FROM links")
    conn.execute("DELETE FROM counts WHERE tbl = ?", (str(table),))
    conn.execute("DELETE FROM meta WHERE tbl = ?", (str(table),))


@dataclass
class _Progress:
    indexed_end: int  # lines before this offset are indexed (or skipped with a warning)
    lines: int
    pending: int


def _index_lines(
    conn: sqlite3.Connection,
    table: Table,
    log: LogFile,
    reader: LogReader,
    start: int,
    end: int,
    state: _State | None,
) -> _Progress:
    """Validate and index the lines in ``[start, end)``.

    An invalid last line without its newline is left unindexed: its writer crashed
    (our next append ends it) or, if it does not lock, is still writing. It is
    warned about once, and looked at again when it is complete.
    """
    from medlang.registry import codec  # imports pydantic: only when there is news

    progress = _Progress(start, state.lines if state else 0, state.pending if state else -1)
    batch: list[_Row] = []
    kinds: Counter[str] = Counter()
    for offset, raw, terminated in reader.lines(start, end):
        lineno = progress.lines + 1
        if terminated:
            progress.lines += 1
            progress.indexed_end = offset + len(raw) + 1
        if not raw.strip():
            continue
        try:
            record = codec.parse_line(table, raw, log.path, lineno)
        except codec.BadLineError as error:
            if offset != progress.pending:
                torn = "" if terminated else " (incomplete last line)"
                warn(f"{error}; skipped{torn}")
            if not terminated:
                progress.pending = offset
            continue
        if not terminated:
            progress.indexed_end = end  # a complete record that only lacks its newline
        batch.append(_Row(codec.entry_of(table, record), offset, len(raw), lineno))
        if len(batch) >= _BATCH:
            _insert(conn, table, log, batch, kinds)
            batch.clear()
    _insert(conn, table, log, batch, kinds)
    conn.executemany(
        "INSERT INTO counts VALUES (?, ?, ?)"
        " ON CONFLICT (tbl, kind) DO UPDATE SET n = n + excluded.n",
        [(str(table), kind, n) for kind, n in kinds.items()],
    )
    return progress


@dataclass(frozen=True, slots=True)
class _Row:
    entry: Entry
    offset: int
    length: int
    lineno: int

    def values(self) -> tuple[str, str, int, int, int]:
        return (self.entry.id, self.entry.kind, self.entry.time_us, self.offset, self.length)


def _insert(
    conn: sqlite3.Connection,
    table: Table,
    log: LogFile,
    batch: list[_Row],
    kinds: Counter[str],
) -> None:
    if not batch:
        return
    sql = f"INSERT INTO {table} (id, kind, t, off, len) VALUES (?, ?, ?, ?, ?)"
    conn.execute("SAVEPOINT batch")
    try:
        conn.executemany(sql, (row.values() for row in batch))
        inserted = batch
    except sqlite3.IntegrityError:
        # A repeated id somewhere in the batch: go row by row, keep the first.
        conn.execute("ROLLBACK TO batch")
        inserted = []
        for row in batch:
            try:
                conn.execute(sql, row.values())
            except sqlite3.IntegrityError:
                warn(
                    f"{log.path}:{row.lineno}: duplicate {table[:-1]} id {row.entry.id}; "
                    "skipped (the first record with this id is kept)"
                )
                continue
            inserted.append(row)
    kinds.update(row.entry.kind for row in inserted)
    conn.executemany(
        "INSERT INTO links VALUES (?, ?)",
        ((artifact, row.entry.id) for row in inserted for artifact in row.entry.artifacts),
    )
    conn.execute("RELEASE batch")
