"""The derived SQLite index beside the logs: id -> byte offset, plus kind and time.

It is a cache. The JSONL logs are the truth: the index is brought up to date from
its last indexed offset whenever it is read, and rebuilt when its log was
truncated, replaced or edited in place (see ``logfile.Fingerprint``; each row also
keeps a CRC of its line, checked when the line is read). Deleting it loses nothing.
Only lines that passed validation are indexed, so a line found through the index
can be shown with a plain ``json.loads``. WAL mode and ``BEGIN IMMEDIATE`` make it
safe with concurrent readers and writers in several processes.

The file is ours or untouched: it carries our SQLite ``application_id``, and a file
without it (another program's database, anything else) is moved aside, never
emptied. When the index cannot be written (a read-only file or directory, a full
disk) it lives in memory for this process, with one warning.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import TypeVar

from medlang.registry import query_tables
from medlang.registry.errors import RegistryError, note, warn
from medlang.registry.logfile import Fingerprint, LogFile, LogReader
from medlang.registry.storage import ANNOTATIONS, Entry, JsonObject, Order, RunAnnotations, Table

SCHEMA_VERSION = 7  # 5: lineage tables, 6: annotation tables, 7: query tables
# PRAGMA application_id: b"MLix". A database without it is not ours and is never modified.
APPLICATION_ID = 0x4D4C6978
_LEGACY_TABLES = frozenset({"meta", "counts", "links", "runs", "artifacts"})  # before ids
_SQLITE_MAGIC = b"SQLite format 3\x00"
# sqlite3 primary result codes after which the index moves to memory: it is only a cache
_UNWRITABLE = {3, 8, 10, 13, 14}  # PERM, READONLY, IOERR, FULL, CANTOPEN
_BATCH = 20_000
_MAX_INTEGER = 2**63 - 1
_ANNOUNCE_BYTES = 64 << 20  # say why the command is slow, once
# After indexing this much, give the WAL's pages back to the database file and
# truncate it (else index.sqlite-wal stays as large as the index itself).
_CHECKPOINT_BYTES = 4 << 20

_SCHEMA = """
CREATE TABLE meta (
    tbl TEXT PRIMARY KEY, inode INTEGER NOT NULL, device INTEGER NOT NULL,
    size INTEGER NOT NULL, head TEXT NOT NULL, tail TEXT NOT NULL, lines INTEGER NOT NULL,
    seen INTEGER NOT NULL, seen_mtime INTEGER NOT NULL, pending INTEGER NOT NULL
);
CREATE TABLE counts (tbl TEXT, kind TEXT, n INTEGER NOT NULL, PRIMARY KEY (tbl, kind));
CREATE TABLE links (artifact TEXT NOT NULL, run TEXT NOT NULL);
CREATE INDEX links_artifact ON links (artifact);
CREATE TABLE IF NOT EXISTS run_tags (
    run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key)
);
CREATE INDEX IF NOT EXISTS run_tags_key_value ON run_tags (key, value);
CREATE TABLE IF NOT EXISTS run_hidden (run_id TEXT PRIMARY KEY, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_notes (
    seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, at TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS run_notes_run ON run_notes (run_id);
"""
# run_tags/run_hidden/run_notes fold annotations.jsonl (see storage.RunAnnotations):
# the query language reads run_tags, default views leave out the runs in run_hidden.
# seq is the rowid, so it is log order, and every index ends with it: ties on the
# timestamp come out in log order.
_TABLE_SCHEMA = """
CREATE TABLE {t} (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    t INTEGER NOT NULL, off INTEGER NOT NULL, len INTEGER NOT NULL, crc INTEGER NOT NULL
);
CREATE INDEX {t}_time ON {t} (t);
CREATE INDEX {t}_kind_time ON {t} (kind, t);
"""
# --- lineage (medlang.provenance.lineage) ----------------------------------
# Runs link through the content hashes of the files they share: a run's inputs
# (``config.inputs``, see medlang.registry.inputs) and every artifact's sha256.
# Maintained with the runs and artifacts tables, cleared with them.
_LINEAGE_SCHEMA = """
CREATE TABLE run_inputs (run TEXT NOT NULL, kind TEXT NOT NULL, role TEXT NOT NULL,
    sha256 TEXT NOT NULL);
CREATE INDEX run_inputs_sha ON run_inputs (sha256, kind, role);
CREATE TABLE artifact_hashes (artifact TEXT NOT NULL, sha256 TEXT NOT NULL);
CREATE INDEX artifact_hashes_sha ON artifact_hashes (sha256);
"""
_RUNS_OLDEST = "ORDER BY r.t, r.seq"
# --- end lineage -------------------------------------------------------------

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
    seen_mtime: int  # its st_mtime_ns then: same size, other time = edited in place
    pending: int  # an incomplete last line, at this offset, already warned about (or -1)


# Where one indexed record's line is: (id, byte offset, length, CRC-32 of the line).
Location = tuple[str, int, int, int]


def line_checksum(line: bytes) -> int:
    """The checksum kept for each indexed line; a read compares it with the bytes found."""
    return zlib.crc32(line)


class SqliteIndex:
    def __init__(
        self, path: Path, logs: dict[Table, LogFile], annotations: LogFile | None = None
    ) -> None:
        self.path = path
        self._logs: dict[Table | str, LogFile] = dict(logs)
        if annotations is not None:
            self._logs[ANNOTATIONS] = annotations
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._lock = threading.RLock()
        self._memory_reason: str | None = None  # why the index lives in memory, if it does

    def use_memory(self, reason: str, *, announce: bool = True) -> None:
        """Keep the index in memory from now on (one warning per path and process,
        unless the caller has warned already)."""
        with self._lock:
            if self._memory_reason is None:
                self._memory_reason = reason
                if announce:
                    _warn_once(self.path, f"{reason}; using an in-memory index for this command")
                self._close()

    # --- queries (each brings its table up to date first) -----------------

    def locate(self, table: Table, record_id: str) -> Location | None:
        sql = f"SELECT id, off, len, crc FROM {table} WHERE id = ?"
        return self._query(table, lambda conn: conn.execute(sql, (record_id,)).fetchone())

    def locate_many(self, table: Table, record_ids: list[str]) -> list[Location]:
        def find(conn: sqlite3.Connection) -> list[Location]:
            found: list[Location] = []
            for start in range(0, len(record_ids), 500):  # SQLite's bound-parameter limit
                chunk = record_ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT id, off, len, crc FROM {table} WHERE id IN ({marks}) ORDER BY seq"
                found += conn.execute(sql, chunk).fetchall()
            return found

        return self._query(table, find)

    def ids_with_prefix(self, table: Table, prefix: str, limit: int) -> list[str]:
        sql = f"SELECT id FROM {table} WHERE id >= ? AND id < ? ORDER BY id LIMIT ?"
        params = (prefix, prefix + "~", limit)  # '~' sorts after every id character
        return self._query(table, lambda conn: [row[0] for row in conn.execute(sql, params)])

    def select(
        self,
        table: Table,
        kind: str | None,
        order: Order,
        limit: int | None,
        visible_only: bool = False,
    ) -> list[Location]:
        conditions, params = (["kind = ?"], [kind]) if kind is not None else ([], [])
        if visible_only and table is Table.RUNS:
            conditions.append("id NOT IN (SELECT run_id FROM run_hidden)")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = f"SELECT id, off, len, crc FROM {table} {where} ORDER BY {_ORDER_BY[order]}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(min(limit, _MAX_INTEGER))  # sqlite cannot bind a larger one
        return self._query(table, lambda conn: conn.execute(sql, params).fetchall())

    def count(self, table: Table, kind: str | None, visible_only: bool = False) -> int:
        sql = "SELECT coalesce(sum(n), 0) FROM counts WHERE tbl = ?"
        params = [str(table)]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        if visible_only and table is Table.RUNS:
            hidden = "SELECT count(*) FROM run_hidden h JOIN runs r ON r.id = h.run_id"
            sql = f"SELECT ({sql}) - ({hidden}{' WHERE r.kind = ?' if kind else ''})"
            params += [kind] if kind else []
        return self._query(table, lambda conn: conn.execute(sql, params).fetchone()[0])

    def annotations(self, run_ids: list[str]) -> dict[str, RunAnnotations]:
        def fold(conn: sqlite3.Connection) -> dict[str, RunAnnotations]:
            found: dict[str, RunAnnotations] = {}
            for start in range(0, len(run_ids), 500):  # SQLite's bound-parameter limit
                chunk = run_ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for run_id, key, value in conn.execute(
                    f"SELECT run_id, key, value FROM run_tags WHERE run_id IN ({marks})"
                    " ORDER BY run_id, key",
                    chunk,
                ):
                    found.setdefault(run_id, RunAnnotations.empty()).tags[key] = value
                for run_id, at, text in conn.execute(
                    f"SELECT run_id, at, text FROM run_notes WHERE run_id IN ({marks})"
                    " ORDER BY seq",
                    chunk,
                ):
                    found.setdefault(run_id, RunAnnotations.empty()).notes.append(
                        {"at": at, "text": text}
                    )
                for run_id, reason in conn.execute(
                    f"SELECT run_id, reason FROM run_hidden WHERE run_id IN ({marks})", chunk
                ):
                    found.setdefault(run_id, RunAnnotations.empty()).hidden = reason
            return found

        return self._query(ANNOTATIONS, fold)

    def hidden(self, kind: str | None) -> dict[str, str]:
        sql = "SELECT h.run_id, h.reason FROM run_hidden h"
        if kind is None:
            return self._query(ANNOTATIONS, lambda conn: dict(conn.execute(sql).fetchall()))
        sql += " JOIN runs r ON r.id = h.run_id WHERE r.kind = ?"
        return self._query(Table.RUNS, lambda conn: dict(conn.execute(sql, (kind,)).fetchall()))

    def runs_with_artifact(self, artifact_id: str) -> list[Location]:
        sql = (
            "SELECT r.id, r.off, r.len, r.crc FROM links l JOIN runs r ON r.id = l.run"
            " WHERE l.artifact = ? ORDER BY r.seq"
        )
        return self._query(Table.RUNS, lambda conn: conn.execute(sql, (artifact_id,)).fetchall())

    # --- lineage queries (both tables brought up to date) --------------------

    def artifacts_with_sha256(self, sha256: str) -> list[Location]:
        sql = (
            "SELECT a.id, a.off, a.len, a.crc FROM artifact_hashes h JOIN artifacts a"
            " ON a.id = h.artifact WHERE h.sha256 = ? ORDER BY a.seq"
        )
        return self._query(Table.ARTIFACTS, lambda conn: conn.execute(sql, (sha256,)).fetchall())

    def runs_producing(self, sha256: str) -> list[Location]:
        sql = (
            "SELECT DISTINCT r.id, r.off, r.len, r.crc, r.t, r.seq FROM artifact_hashes h"
            " JOIN links l ON l.artifact = h.artifact JOIN runs r ON r.id = l.run"
            f" WHERE h.sha256 = ? {_RUNS_OLDEST}"
        )
        return self._query_all(lambda conn: _locations(conn.execute(sql, (sha256,))))

    def runs_using(self, sha256: str, role: str | None, kind: str | None) -> list[Location]:
        where, params = "i.sha256 = ?", [sha256]
        for column, value in (("kind", kind), ("role", role)):
            if value is not None:
                where += f" AND i.{column} = ?"
                params.append(value)
        sql = (
            "SELECT DISTINCT r.id, r.off, r.len, r.crc, r.t, r.seq FROM run_inputs i"
            f" JOIN runs r ON r.id = i.run WHERE {where} {_RUNS_OLDEST}"
        )
        return self._query(Table.RUNS, lambda conn: _locations(conn.execute(sql, params)))

    def _query_all(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """``_query`` for a question that joins both tables."""
        self._query(Table.ARTIFACTS, lambda conn: None)
        return self._query(Table.RUNS, query)

    # --- the query tables (query_tables.py) ------------------------------------

    def query_keys(self, table: Table) -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
        """Every keyed path as ``{path: (key id, type bits)}``, and the tag names."""

        def read(conn: sqlite3.Connection) -> tuple[dict[str, tuple[int, int]], frozenset[str]]:
            keys = {
                key: (kid, types)
                for kid, key, types in conn.execute(f"SELECT kid, key, types FROM {table}_keys")
            }
            tags = query_tables.tag_names(conn) if table is Table.RUNS else frozenset()
            return keys, tags

        return self._query(table, read)

    def query(self, table: Table, sql: str, params: list[object]) -> list[Location]:
        """Locations of a SELECT of ``r.id, r.off, r.len, r.crc`` built by medlang.query."""
        return self._query(table, lambda conn: conn.execute(sql, params).fetchall())

    def stream(
        self, table: Table, sql: str, params: list[object], batch: int = 1000
    ) -> Iterator[list[Location]]:
        """Like ``query`` in batches, in constant memory: the rows come from a read
        connection of their own, one consistent snapshot of the index."""
        with self._lock:
            self._query(table, lambda conn: None)  # up to date first
            memory = self._memory_reason is not None
        if memory:  # the index lives in this connection only
            yield from _batches(self.query(table, sql, params), batch)
            return
        reader = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=60)
        try:
            cursor = reader.execute(sql, params)
            while rows := cursor.fetchmany(batch):
                yield rows
        finally:
            reader.close()

    def invalidate(self, table: Table | str) -> None:
        """Forget everything indexed for ``table``; the next read re-indexes it."""
        with self._lock:
            try:
                with self._transaction() as conn:
                    _clear(conn, table)
            except sqlite3.OperationalError as error:
                if not _unwritable(error):
                    raise
                self.use_memory(_describe_unwritable(self.path, error))

    def _query(self, table: Table | str, query: Callable[[sqlite3.Connection], T]) -> T:
        """Bring ``table`` up to date, then run ``query``.

        A damaged index is rebuilt once; an index that cannot be written moves to memory.
        Queries of runs also see the latest annotations: hidden runs are left out there.
        """
        tables = [table, ANNOTATIONS] if table is Table.RUNS else [table]
        tables = [name for name in tables if name in self._logs]
        with self._lock:
            for _ in range(3):
                try:
                    conn = self._connection()
                    for name in tables:
                        self._refresh(conn, name)
                    return query(conn)
                except sqlite3.OperationalError as error:
                    if not _unwritable(error) or self._memory_reason is not None:
                        raise  # locked ...: not the index's fault
                    self.use_memory(_describe_unwritable(self.path, error))
                except sqlite3.DatabaseError:  # e.g. "database disk image is malformed"
                    self._discard()
            conn = self._connection()
            for name in tables:
                self._refresh(conn, name)
            return query(conn)

    # --- keeping up with the log -------------------------------------------

    def _refresh(self, conn: sqlite3.Connection, table: Table | str) -> None:
        log = self._logs[table]
        try:
            with log.reader() as reader:
                state = _state(conn, table)
                if state and _untouched(reader, state) and _unchanged(reader, state):
                    return  # the fast path: nothing new
                with self._transaction() as conn:
                    indexed = self._catch_up(conn, table, log, reader)
            if indexed >= _CHECKPOINT_BYTES:
                _checkpoint(conn)
        except FileNotFoundError:  # no log (any more): an empty table
            if _state(conn, table) is not None:
                with self._transaction() as conn:
                    _clear(conn, table)

    def _catch_up(
        self, conn: sqlite3.Connection, table: Table | str, log: LogFile, reader: LogReader
    ) -> int:
        """Index what is new in the log; returns how many bytes of it were read."""
        end, mtime = reader.settled_size_and_mtime()
        state = _state(conn, table)  # again: another process may have indexed meanwhile
        edited = state is not None and end == state.seen and mtime != state.seen_mtime
        if state and (edited or end < state.fingerprint.size or not _unchanged(reader, state)):
            _clear(conn, table)  # truncated, replaced or edited in place: start over
            state = None
        if state and end == state.seen:
            return 0
        start = state.fingerprint.size if state else 0
        if end - start > _ANNOUNCE_BYTES:
            note(f"indexing {(end - start) / 1e6:.0f} MB of {log.path} (only new lines next time)")
        progress = _index_lines(conn, table, log, reader, start, end, state)
        conn.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(table),
                *astuple(reader.fingerprint(progress.indexed_end)),
                progress.lines,
                end,
                mtime,
                progress.pending,
            ),
        )
        return end - start

    # --- the connection ------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():  # never share one across fork
            self._conn = self._open()
            self._pid = os.getpid()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._memory_reason is None:
            try:
                return self._open_file()
            except sqlite3.OperationalError as error:
                if not _unwritable(error):
                    raise
                self.use_memory(_describe_unwritable(self.path, error))
            except OSError as error:
                self.use_memory(f"cannot use {self.path} ({error.strerror or error})")
        return _connect(":memory:")

    def _open_file(self) -> sqlite3.Connection:
        found = _inspect(self.path)
        if found == "foreign":
            self._move_aside()
        elif found == "damaged":  # ours, but unreadable: it is only a cache
            self._remove_files()
        elif isinstance(found, _NotAFile):
            raise OSError(0, found.reason)
        elif found == "ours" and not os.access(self.path, os.W_OK):
            raise OSError(0, "it is read-only")
        try:
            return _connect(self.path)
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError):
                raise
        # damaged between the look and the open: start a new one
        self._remove_files()
        return _connect(self.path)

    def _move_aside(self) -> None:
        """Rename a database that is not our index out of the way; never modify it."""
        aside = f"{self.path}.foreign-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        os.rename(self.path, aside)
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.rename(f"{self.path}{suffix}", f"{aside}{suffix}")
        warn(f"{self.path} is not a MedLang registry index; moved it to {aside} (not modified)")

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None

    def _discard(self) -> None:
        self._close()
        if self._memory_reason is None:
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


@dataclass(frozen=True, slots=True)
class _NotAFile:
    reason: str


_WARNED: set[str] = set()


def _warn_once(path: Path, message: str) -> None:
    if str(path) not in _WARNED:
        _WARNED.add(str(path))
        warn(message)


def _inspect(path: Path) -> str | _NotAFile:
    """What is at the index path: "missing", "ours", "damaged" (ours, unreadable) or
    "foreign"; a symlink is refused and a non-regular file is never opened."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    if stat.S_ISLNK(info.st_mode):
        raise RegistryError(
            f"{path} is a symbolic link; the registry does not follow links for its own "
            "files (remove it: the index is only a cache and is rebuilt)"
        )
    if not stat.S_ISREG(info.st_mode):
        return _NotAFile(f"it is {_file_type(info.st_mode)}, not a file")
    if info.st_size == 0:
        return "missing"  # created but not yet initialised (by us, just now)
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        header = os.pread(fd, 100, 0)
    finally:
        os.close(fd)
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return "foreign"
    application_id = int.from_bytes(header[68:72], "big")
    if application_id == APPLICATION_ID:
        return "ours"
    if application_id == 0 and _is_legacy_index(path):
        return "ours"
    return "foreign"


def _is_legacy_index(path: Path) -> bool:
    """An index written before the application id: exactly our old tables."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
    except sqlite3.Error:
        return False
    try:
        names = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return names == _LEGACY_TABLES and 1 <= version <= SCHEMA_VERSION


def _file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _unwritable(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _UNWRITABLE
    text = str(error)
    return "readonly" in text or "unable to open" in text or "disk" in text


def _describe_unwritable(path: Path, error: sqlite3.OperationalError) -> str:
    return f"cannot write the index {path} ({error})"


def _connect(path: Path | str) -> sqlite3.Connection:
    if path != ":memory:" and not os.path.exists(path):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    try:
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            _claim(conn)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # a derived cache: losing the tail is fine
        conn.execute("PRAGMA cache_size=-65536")
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            _create_schema(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _claim(conn: sqlite3.Connection) -> None:
    """Mark a new (or our pre-id) index as ours, before WAL mode so the header has it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            names = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if names and names != _LEGACY_TABLES:  # appeared since we looked: not ours
                raise sqlite3.DatabaseError("not a MedLang registry index")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _batches(rows: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _checkpoint(conn: sqlite3.Connection) -> None:
    """Best effort: a concurrent reader may keep part of the WAL alive until it is done."""
    with contextlib.suppress(sqlite3.OperationalError):
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def _create_schema(conn: sqlite3.Connection) -> None:
    """(Re)create the schema of a database that is ours (its application id says so)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                raise sqlite3.DatabaseError("not a MedLang registry index")  # never drop theirs
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            for (name,) in tables.fetchall():
                conn.execute(f'DROP TABLE IF EXISTS "{name}"')
            script = _SCHEMA + "".join(_TABLE_SCHEMA.format(t=table) for table in Table)
            script += _LINEAGE_SCHEMA
            script += "".join(query_tables.schema(table) for table in Table)
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _state(conn: sqlite3.Connection, table: Table | str) -> _State | None:
    row = conn.execute(
        "SELECT inode, device, size, head, tail, lines, seen, seen_mtime, pending"
        " FROM meta WHERE tbl = ?",
        (str(table),),
    ).fetchone()
    return _State(Fingerprint(*row[:5]), *row[5:]) if row else None


def _untouched(reader: LogReader, state: _State) -> bool:
    """No byte added or rewritten since the last look (size and modification time)."""
    return (reader.size(), reader.mtime()) == (state.seen, state.seen_mtime)


def _unchanged(reader: LogReader, state: _State) -> bool:
    """Is the indexed part of the log still the same bytes in the same file?"""
    known = state.fingerprint
    return reader.size() >= known.size and reader.fingerprint(known.size) == known


def _clear(conn: sqlite3.Connection, table: Table | str) -> None:
    if table == ANNOTATIONS:
        for folded in ("run_tags", "run_hidden", "run_notes"):
            conn.execute(f"DELETE FROM {folded}")
    else:
        conn.execute(f"DELETE FROM {table}")
        query_tables.clear(conn, table)
    if table is Table.RUNS:
        conn.execute("DELETE FROM links")
        conn.execute("DELETE FROM run_inputs")
    elif table is Table.ARTIFACTS:
        conn.execute("DELETE FROM artifact_hashes")
    conn.execute("DELETE FROM counts WHERE tbl = ?", (str(table),))
    conn.execute("DELETE FROM meta WHERE tbl = ?", (str(table),))


@dataclass
class _Progress:
    indexed_end: int  # lines before this offset are indexed (or skipped with a warning)
    lines: int
    pending: int


def _index_lines(
    conn: sqlite3.Connection,
    table: Table | str,
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
    writer = query_tables.FactWriter(conn, table) if isinstance(table, Table) else None
    for offset, raw, terminated in reader.lines(start, end):
        lineno = progress.lines + 1
        if terminated:
            progress.lines += 1
            progress.indexed_end = offset + len(raw) + 1
        if not raw.strip():
            continue
        try:
            obj, record = codec.parse_line_with_object(table, raw, log.path, lineno)
        except codec.BadLineError as error:
            if offset != progress.pending:
                torn = "" if terminated else " (incomplete last line)"
                warn(f"{error}; skipped{torn}")
            if not terminated:
                progress.pending = offset
            continue
        if not terminated:
            progress.indexed_end = end  # a complete record that only lacks its newline
        if table == ANNOTATIONS:
            _apply_annotation(conn, codec.decode(table, raw))
            continue
        entry = codec.entry_of(table, record)
        facts = query_tables.facts_of(table, obj)
        batch.append(_Row(entry, offset, len(raw), lineno, line_checksum(raw), facts))
        if len(batch) >= _BATCH:
            _insert(conn, table, log, batch, kinds, writer)
            batch.clear()
    _insert(conn, table, log, batch, kinds, writer)
    if writer is not None:
        writer.finish()
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
    crc: int
    facts: query_tables.RecordFacts

    def values(self) -> tuple[str, str, int, int, int, int]:
        entry = self.entry
        return (entry.id, entry.kind, entry.time_us, self.offset, self.length, self.crc)


def _insert(
    conn: sqlite3.Connection,
    table: Table,
    log: LogFile,
    batch: list[_Row],
    kinds: Counter[str],
    writer: query_tables.FactWriter | None,
) -> None:
    if not batch:
        return
    sql = f"INSERT INTO {table} (id, kind, t, off, len, crc) VALUES (?, ?, ?, ?, ?, ?)"
    conn.execute("SAVEPOINT batch")
    try:
        conn.executemany(sql, (row.values() for row in batch))
        inserted = batch
        # seq is the rowid: max + 1 for each row, in this exclusive transaction
        last = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
        seqs = list(range(last - len(batch) + 1, last + 1))
    except sqlite3.IntegrityError:
        # A repeated id somewhere in the batch: go row by row, keep the first.
        conn.execute("ROLLBACK TO batch")
        inserted, seqs = [], []
        for row in batch:
            try:
                seqs.append(conn.execute(sql, row.values()).lastrowid)
            except sqlite3.IntegrityError:
                warn(
                    f"{log.path}:{row.lineno}: duplicate {table[:-1]} id {row.entry.id}; "
                    "skipped (the first record with this id is kept)"
                )
                continue
            inserted.append(row)
    kinds.update(row.entry.kind for row in inserted)
    assert writer is not None
    writer.add([(seq, row.facts) for seq, row in zip(seqs, inserted, strict=True)])
    conn.executemany(
        "INSERT INTO links VALUES (?, ?)",
        ((artifact, row.entry.id) for row in inserted for artifact in row.entry.artifacts),
    )
    _insert_lineage(conn, inserted)
    conn.execute("RELEASE batch")


def _insert_lineage(conn: sqlite3.Connection, inserted: list[_Row]) -> None:
    conn.executemany(
        "INSERT INTO run_inputs VALUES (?, ?, ?, ?)",
        (
            (row.entry.id, row.entry.kind, role, sha256)
            for row in inserted
            for role, sha256 in row.entry.inputs
        ),
    )
    conn.executemany(
        "INSERT INTO artifact_hashes VALUES (?, ?)",
        ((row.entry.id, row.entry.sha256) for row in inserted if row.entry.sha256),
    )


def _locations(rows: Iterable[tuple]) -> list[Location]:
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def _apply_annotation(conn: sqlite3.Connection, annotation: JsonObject) -> None:
    """Fold one annotation into run_tags/run_notes/run_hidden, as ``RunAnnotations.apply``."""
    run_id, op = annotation["run_id"], annotation["op"]
    if op == "tag":
        conn.executemany(
            "DELETE FROM run_tags WHERE run_id = ? AND key = ?",
            [(run_id, key) for key in annotation.get("remove") or []],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO run_tags VALUES (?, ?, ?)",
            [(run_id, key, value) for key, value in (annotation.get("tags") or {}).items()],
        )
    elif op == "note":
        conn.execute(
            "INSERT INTO run_notes (run_id, at, text) VALUES (?, ?, ?)",
            (run_id, annotation["at"], annotation["text"]),
        )
    elif op in ("delete", "archive"):
        reason = "deleted" if op == "delete" else "archived"
        conn.execute("INSERT OR REPLACE INTO run_hidden VALUES (?, ?)", (run_id, reason))
    elif op in ("restore", "unarchive"):
        reason = "deleted" if op == "restore" else "archived"
        conn.execute("DELETE FROM run_hidden WHERE run_id = ? AND reason = ?", (run_id, reason))
