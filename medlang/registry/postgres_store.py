"""The PostgreSQL backend: a registry a team shares on one database server.

Every write is one transaction: a record, its query facts and its lineage links
commit together or not at all, so a writer killed mid-way leaves nothing behind,
and a run that ``append`` acknowledged is committed (PostgreSQL's durability).
Ids are unique per table and the first record with an id wins (``ON CONFLICT DO
NOTHING``), so a re-sent record is harmless. Objects are stored before the run
that names them, where the registry's ``objects`` setting says: its own ``objects``
table by default, or a shared directory or fsspec URL (``object_location``).

psycopg is imported lazily: only a command that opens a PostgreSQL registry pays
for it. The database must have been prepared with ``mlc registry migrate``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from medlang.registry import codec, facts
from medlang.registry.errors import RegistryError
from medlang.registry.object_location import DATABASE, open_objects
from medlang.registry.object_location import display as display_location
from medlang.registry.objects import ObjectStore, StoredObject
from medlang.registry.pg_url import display, password_in
from medlang.registry.postgres_objects import DatabaseObjects
from medlang.registry.postgres_schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SETTINGS_TABLE,
    VERSION_TABLE,
)
from medlang.registry.storage import (
    ANNOTATIONS,
    Entry,
    JsonObject,
    Order,
    RecordStore,
    RunAnnotations,
    Table,
    batches,
)

if TYPE_CHECKING:
    from medlang.query.engine import Request
    from medlang.query.fields import Catalog

T = TypeVar("T")
_BATCH = 1000  # rows fetched per round trip when streaming a query
_WRITE_BATCH = 1000  # records per transaction of append_many / annotate_many
_ID_BATCH = 10_000  # ids per round trip of known_ids
_MAX_INTEGER = 2**63 - 1
# One advisory lock key for "the schema is being migrated" (any fixed 64-bit number).
_MIGRATE_LOCK = 0x6D65646C616E67


class PostgresStore(RecordStore):
    remote = True  # not a directory: nothing local to create, check or guard

    def __init__(self, url: str, *, connect_timeout: int = 10) -> None:
        if password_in(url):
            raise RegistryError(
                f"{display(url)}: a password in the registry URL is refused (it would end "
                "up in shell history and process lists); put it in PGPASSWORD, ~/.pgpass "
                "or a libpq service file"
            )
        self.url = url
        self.shown = display(url)
        self._connect_timeout = connect_timeout
        self._conn: Any = None
        self._checked = False
        self._lock = threading.RLock()
        self._objects: ObjectStore | None = None
        self._objects_location: str | None = None  # set once this process used its objects

    def __repr__(self) -> str:
        return f"PostgresStore({self.shown!r})"

    # --- connection and schema ------------------------------------------------

    def _connect(self) -> Any:
        try:
            import psycopg
        except ImportError:
            raise RegistryError(
                "a PostgreSQL registry needs psycopg: pip install 'medlang[postgres]'"
            ) from None
        try:
            conn = psycopg.connect(
                self.url,
                connect_timeout=self._connect_timeout,
                application_name="mlc",
                autocommit=True,
            )
        except psycopg.Error as error:
            raise RegistryError(f"cannot connect to {self.shown}: {_reason(error)}") from None
        return conn

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
            self._checked = False
        return self._conn

    def schema_version(self) -> int:
        """The schema version the database holds (0: never migrated)."""
        return self._run(lambda conn: _version(conn))

    def migrate(self) -> tuple[int, int]:
        """Create or upgrade the schema to ``SCHEMA_VERSION``: (version before, after)."""

        def run(conn: Any) -> tuple[int, int]:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
                before = _version(conn)
                if before > SCHEMA_VERSION:
                    raise RegistryError(_newer(self.shown, before))
                for version in range(before + 1, SCHEMA_VERSION + 1):
                    conn.execute(MIGRATIONS[version])
                    conn.execute(f"DELETE FROM {VERSION_TABLE}")
                    conn.execute(f"INSERT INTO {VERSION_TABLE} VALUES (%s)", (version,))
            return before, SCHEMA_VERSION

        return self._run(run, migrated=False)

    def _ready(self, conn: Any) -> None:
        if self._checked:
            return
        version = _version(conn)
        if version == 0:
            raise RegistryError(
                f"{self.shown} has no MedLang registry schema yet; "
                f"run: mlc --registry {self.shown} registry migrate"
            )
        if version > SCHEMA_VERSION:
            raise RegistryError(_newer(self.shown, version))
        if version < SCHEMA_VERSION:
            raise RegistryError(
                f"{self.shown} holds registry schema version {version}, this toolchain "
                f"uses {SCHEMA_VERSION}; run: mlc --registry {self.shown} registry migrate"
            )
        self._checked = True

    def _run(self, work: Callable[[Any], T], *, migrated: bool = True) -> T:
        """``work(connection)``, with database errors as one ``RegistryError`` line.

        A lost connection (the server restarted) is reopened and the work retried
        once: every write is idempotent by id or sha256, so a write that did commit
        before the connection broke is not doubled. A second failure is reported."""
        import psycopg

        with self._lock:
            for attempt in (1, 2):
                conn = self._connection()
                try:
                    if migrated:
                        self._ready(conn)
                    return work(conn)
                except psycopg.OperationalError as error:
                    broken = conn.closed or conn.broken
                    self._close()
                    if attempt == 1 and broken:
                        continue  # reconnect once: every write is idempotent by id
                    raise RegistryError(
                        f"{self.shown}: {_reason(error)} (nothing half-written: each record "
                        "commits whole; re-running is safe, records already stored are kept once)"
                    ) from None
                except psycopg.Error as error:
                    raise RegistryError(f"{self.shown}: {_reason(error)}") from None
            raise AssertionError("unreachable")

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        with self._lock:
            self._close()

    # --- writing ---------------------------------------------------------------
    # ``append`` is ``append_many`` of one line: one implementation fills the record
    # tables, the query tables and the lineage links, whatever the batch size.

    def append(self, table: Table, line: bytes) -> None:
        self.append_many(table, [line])

    def append_many(self, table: Table, lines: Iterable[bytes]) -> None:
        """Records in transactions of up to ``_WRITE_BATCH``: each batch commits whole,
        so an interrupted call leaves a prefix of the records stored."""
        for batch in batches(lines, _WRITE_BATCH):
            rows = [_Row.parse(table, line) for line in batch]
            self._run(lambda conn, rows=rows: self._write_records(conn, table, rows))

    def _write_records(self, conn: Any, table: Table, rows: list[_Row]) -> None:
        unique = _first_of_each(rows, lambda row: row.entry.id)
        sha = table is Table.ARTIFACTS
        with conn.transaction():
            self._check_objects_location(conn)
            # seq follows the order given (ORDER BY the position in the batch)
            inserted = dict(
                conn.execute(
                    f"INSERT INTO {table} (id, kind, t{', sha256' if sha else ''}, line, doc)"
                    f" SELECT i, k, t{', s' if sha else ''}, l, d::jsonb FROM unnest("
                    f"%b::text[], %b::text[], %b::bigint[]{', %b::text[]' if sha else ''},"
                    " %b::text[], %b::text[]) WITH ORDINALITY"
                    f" AS v(i, k, t{', s' if sha else ''}, l, d, o) ORDER BY o"
                    " ON CONFLICT (id) DO NOTHING RETURNING id, seq",
                    (
                        [row.entry.id for row in unique],
                        [row.entry.kind for row in unique],
                        [row.entry.time_us for row in unique],
                        *([[row.entry.sha256 for row in unique]] if sha else []),
                        [row.text for row in unique],
                        [_jsonb(row.text) for row in unique],
                    ),
                ).fetchall()
            )
            new = [(inserted[row.entry.id], row) for row in unique if row.entry.id in inserted]
            if not new:
                return  # the first record with an id wins
            kinds = facts.COLUMNS[table].values()
            conn.execute(
                f"INSERT INTO {table}_cols SELECT * FROM unnest(%b::bigint[], "
                + ", ".join(f"%b::{_ARRAYS[kind]}" for kind in kinds)
                + ")",
                (
                    [seq for seq, _ in new],
                    *(
                        [_column(kind, row.columns[i]) for _, row in new]
                        for i, kind in enumerate(kinds)
                    ),
                ),
            )
            self._write_values(conn, table, [(seq, row.keyed) for seq, row in new])
            if table is Table.RUNS:
                _write_links(conn, [row.entry for _, row in new])

    @staticmethod
    def _write_values(
        conn: Any, table: Table, records: list[tuple[int, list[facts.KeyedValue]]]
    ) -> None:
        wanted: dict[str, int] = {}
        for _, keyed in records:
            for key, _, _, bit in keyed:
                wanted[key] = wanted.get(key, 0) | bit
        if not wanted:
            return
        names = sorted(wanted)  # one lock order for every writer: no deadlocks
        conn.execute(
            f"INSERT INTO {table}_keys (key, types)"
            " SELECT * FROM unnest(%b::text[], %b::int[]) ORDER BY 1"
            " ON CONFLICT (key) DO NOTHING",
            (names, [wanted[n] for n in names]),
        )
        found = conn.execute(
            f"SELECT key, kid, types FROM {table}_keys WHERE key = ANY(%s)", (names,)
        ).fetchall()
        kids = {key: kid for key, kid, _ in found}
        grow = sorted((key, wanted[key]) for key, _, types in found if types | wanted[key] != types)
        for key, bits in grow:  # rare: a key seen with a new type of value
            conn.execute(f"UPDATE {table}_keys SET types = types | %s WHERE key = %s", (bits, key))
        values = [(seq, value) for seq, keyed in records for value in keyed]
        conn.execute(
            f"INSERT INTO {table}_values (kid, seq, num, txt)"
            " SELECT * FROM unnest(%b::int[], %b::bigint[], %b::float8[], %b::text[])"
            " ON CONFLICT DO NOTHING",
            (
                [kids[key] for _, (key, _, _, _) in values],
                [seq for seq, _ in values],
                [None if num is None else float(num) for _, (_, num, _, _) in values],
                [txt for _, (_, _, txt, _) in values],
            ),
        )

    def remove_uncommitted_artifacts(self, artifact_ids: list[str]) -> None:
        """Delete these artifact records if their run was never written (``mlc gc``: a
        writer killed between its artifacts and its run). One transaction; one whose run
        was committed meanwhile stays."""

        def remove(conn: Any) -> None:
            with conn.transaction():
                doomed = (  # uncommitted: its run_id names no run (Registry.is_committed)
                    "SELECT a.seq FROM artifacts a WHERE a.id = ANY(%s) AND a.doc ? 'run_id'"
                    " AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = a.doc->>'run_id')"
                )
                conn.execute(
                    f"DELETE FROM artifacts_values WHERE seq IN ({doomed})", (artifact_ids,)
                )
                conn.execute(f"DELETE FROM artifacts_cols WHERE seq IN ({doomed})", (artifact_ids,))
                conn.execute(f"DELETE FROM artifacts WHERE seq IN ({doomed})", (artifact_ids,))

        self._run(remove)

    def annotate(self, line: bytes) -> None:
        self.annotate_many([line])

    def annotate_many(self, lines: Iterable[bytes]) -> None:
        for batch in batches(lines, _WRITE_BATCH):
            rows = []
            for line in batch:
                codec.parse_line(ANNOTATIONS, line, "<annotations>", 0)
                rows.append((codec.decode(ANNOTATIONS, line), line.decode("utf-8")))
            self._run(lambda conn, rows=rows: _write_annotations(conn, rows))

    # --- reading ---------------------------------------------------------------

    def get(self, table: Table, record_id: str) -> JsonObject | None:
        found = self._records(f"SELECT line FROM {table} WHERE id = %s", (record_id,), table)
        return found[0] if found else None

    def get_many(self, table: Table, record_ids: list[str]) -> dict[str, JsonObject]:
        wanted = [i for i in dict.fromkeys(record_ids) if isinstance(i, str)]
        if not wanted:
            return {}
        records = self._records(
            f"SELECT line FROM {table} WHERE id = ANY(%s) ORDER BY seq", (wanted,), table
        )
        return {record["id"]: record for record in records}

    def identity(self) -> object:
        """The server (its start time) and the database (its oid): the same whatever
        name the URL reaches them by."""
        row = self._rows(
            "SELECT pg_postmaster_start_time()::text, d.oid::bigint FROM pg_database d"
            " WHERE d.datname = current_database()"
        )[0]
        return ("postgresql", *row)

    def lines(self, table: Table | str) -> Iterator[tuple[str, bytes]]:
        _check_table(table)
        return self._stream(
            f"SELECT id, line FROM {table} ORDER BY seq", [], lambda row: (row[0], row[1].encode())
        )

    def known_ids(self, table: Table | str, ids: Iterable[str]) -> set[str]:
        _check_table(table)
        known: set[str] = set()
        for batch in batches(dict.fromkeys(ids), _ID_BATCH):
            rows = self._rows(f"SELECT id FROM {table} WHERE id = ANY(%s)", (batch,))
            known.update(row[0] for row in rows)
        return known

    def ids_with_prefix(self, table: Table, prefix: str, limit: int) -> list[str]:
        pattern = "".join("\\" + c if c in "%_\\" else c for c in prefix) + "%"
        rows = self._rows(
            f"SELECT id FROM {table} WHERE id COLLATE \"C\" LIKE %s ESCAPE '\\'"
            ' ORDER BY id COLLATE "C" LIMIT %s',
            (pattern, max(limit, 0)),
        )
        return [row[0] for row in rows]

    def select(
        self,
        table: Table,
        *,
        kind: str | None = None,
        order: Order = Order.LOG,
        limit: int | None = None,
        visible_only: bool = False,
    ) -> list[JsonObject]:
        if limit is not None and limit <= 0:
            return []
        where, params = self._where(table, kind, visible_only)
        sort = {Order.LOG: "seq", Order.NEWEST: "t DESC, seq", Order.OLDEST: "t, seq"}[order]
        sql = f"SELECT line FROM {table} r{where} ORDER BY {sort}"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(min(limit, _MAX_INTEGER))
        return self._records(sql, params, table)

    def count(self, table: Table, kind: str | None = None, visible_only: bool = False) -> int:
        where, params = self._where(table, kind, visible_only)
        return self._rows(f"SELECT count(*) FROM {table} r{where}", params)[0][0]

    @staticmethod
    def _where(table: Table, kind: str | None, visible_only: bool) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if kind is not None:
            clauses.append("r.kind = %s")
            params.append(kind)
        if visible_only and table is Table.RUNS:
            clauses.append("r.id NOT IN (SELECT run_id FROM run_hidden)")
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def runs_with_artifact(self, artifact_id: str) -> list[JsonObject]:
        return self._records(
            "SELECT line FROM runs WHERE id IN"
            " (SELECT run_id FROM run_artifacts WHERE artifact_id = %s) ORDER BY seq",
            (artifact_id,),
            Table.RUNS,
        )

    def artifacts_with_sha256(self, sha256: str) -> list[JsonObject]:
        return self._records(
            "SELECT line FROM artifacts WHERE sha256 = %s ORDER BY seq",
            (sha256.lower(),),
            Table.ARTIFACTS,
        )

    def runs_producing(self, sha256: str) -> list[JsonObject]:
        return self._records(
            "SELECT line FROM runs WHERE id IN (SELECT l.run_id FROM run_artifacts l"
            " JOIN artifacts a ON a.id = l.artifact_id WHERE a.sha256 = %s) ORDER BY t, seq",
            (sha256.lower(),),
            Table.RUNS,
        )

    def runs_using(
        self, sha256: str, *, role: str | None = None, kind: str | None = None
    ) -> list[JsonObject]:
        sql = "SELECT run_id FROM run_inputs WHERE sha256 = %s"
        params: list[Any] = [sha256.lower()]
        if role is not None:
            sql += " AND role = %s"
            params.append(role)
        outer = f"SELECT line FROM runs WHERE id IN ({sql})"
        if kind is not None:
            outer += " AND kind = %s"
            params.append(kind)
        return self._records(outer + " ORDER BY t, seq", params, Table.RUNS)

    def annotations(self, run_ids: list[str]) -> dict[str, RunAnnotations]:
        if not run_ids:
            return {}
        folded = self._run(lambda conn: _fold(conn, list(dict.fromkeys(run_ids))))
        return {
            run_id: state
            for run_id, state in folded.items()
            if state.tags or state.notes or state.hidden
        }

    def hidden(self, kind: str | None = None) -> dict[str, str]:
        sql, params = "SELECT h.run_id, h.reason FROM run_hidden h", []
        if kind is not None:
            sql += " JOIN runs r ON r.id = h.run_id WHERE r.kind = %s"
            params.append(kind)
        return dict(self._rows(sql, params))

    def _rows(self, sql: str, params: Any = ()) -> list[tuple]:
        return self._run(lambda conn: conn.execute(sql, params).fetchall())

    def _records(self, sql: str, params: Any, table: Table) -> list[JsonObject]:
        return [codec.decode(table, line) for (line,) in self._rows(sql, params)]

    # --- queries (medlang.query), as SQL on the server ------------------------

    def query_catalog(self, table: Table) -> Catalog:
        from medlang.query.fields import Catalog

        def read(conn: Any) -> tuple[dict[str, int], frozenset[str], int]:
            # Whether records exist is asked first: each statement sees the writers'
            # commits up to its own start, and keys only grow, so the keys read next
            # cover every record counted (asked the other way round, a first run
            # committed in between made a fresh registry refuse its own fields).
            present = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]
            keys = dict(conn.execute(f"SELECT key, types FROM {table}_keys").fetchall())
            tags = frozenset(r[0] for r in conn.execute("SELECT DISTINCT key FROM run_tags"))
            return keys, tags if table is Table.RUNS else frozenset(), present

        keys, tags, present = self._run(read)
        if not keys and not present:
            return Catalog(table)  # nothing to check against: any field is accepted
        return Catalog(table, keys, tags)

    def iter_select(self, request: Request) -> Iterator[JsonObject]:
        from medlang.query.sql import POSTGRESQL, translate, walked

        table = request.table
        if request.limit is not None and request.limit <= 0:
            return iter(())
        key_ids = dict(self._rows(f"SELECT key, kid FROM {table}_keys"))
        rows = walked(request, key_ids, POSTGRESQL, "r.line", self._rows)
        if rows is not None:  # a top-N found by walking an index: a few rows
            return iter([codec.decode(table, line) for (line,) in rows])
        select = translate(
            table,
            request.where,
            request.order,
            key_ids=key_ids,
            include_hidden=request.include_hidden,
            limit=None if request.limit is None else min(request.limit, _MAX_INTEGER),
            dialect=POSTGRESQL,
        )
        sql, params = select.sql("r.line", POSTGRESQL)
        return self._stream(sql, params, lambda row: codec.decode(table, row[0]))

    def _stream(self, sql: str, params: list[object], value: Callable[[Any], T]) -> Iterator[T]:
        """``value(row)`` of each row, fetched in batches through a server-side cursor:
        constant memory."""
        import psycopg

        # a connection of its own, so other calls can run while the caller iterates
        conn = self._connect()
        try:
            self._ready(conn)
            with conn.transaction(), conn.cursor(name="medlang_query") as cursor:
                # A long scan is costed high enough to be JIT-compiled, which adds
                # more time (~150 ms) than it saves on queries of this shape.
                conn.execute("SET LOCAL jit = off")
                cursor.execute(sql, params)
                while rows := cursor.fetchmany(_BATCH):
                    for row in rows:
                        yield value(row)
        except psycopg.Error as error:
            raise RegistryError(f"{self.shown}: {_reason(error)}") from None
        finally:
            conn.close()

    # --- the object store: wherever the registry's 'objects' setting says -----------

    @property
    def objects(self) -> ObjectStore:
        """This registry's object store, as configured (read once per process; see
        ``relocate_objects`` for why a later change cannot strand a run's objects)."""
        with self._lock:
            if self._objects is None:
                location = self.objects_location()
                self._objects = self.objects_at(location)
                self._objects_location = location
            return self._objects

    def objects_location(self) -> str:
        """The registry's object location (``object_location``), read now."""
        rows = self._rows(f"SELECT value FROM {SETTINGS_TABLE} WHERE name = %s", ("objects",))
        return rows[0][0] if rows else DATABASE

    def objects_at(self, location: str) -> ObjectStore:
        if location == DATABASE:
            return DatabaseObjects(self._rows, self.shown)
        return open_objects(location)

    def switch_objects(self, before: str, after: str) -> None:
        """Point the registry's objects at ``after``, if they are still at ``before``.
        Waits for runs being committed by writers that use ``before`` (they hold the
        setting's row, see ``append``); later ones are refused."""

        def switch(conn: Any) -> None:
            with conn.transaction():
                row = conn.execute(
                    f"SELECT value FROM {SETTINGS_TABLE} WHERE name = 'objects' FOR UPDATE"
                ).fetchone()
                if row is None or row[0] != before:
                    raise RegistryError(
                        f"{self.shown}: the object location was changed by someone else "
                        "meanwhile; nothing was changed here, look again with mlc registry info"
                    )
                conn.execute(
                    f"UPDATE {SETTINGS_TABLE} SET value = %s WHERE name = 'objects'", (after,)
                )

        self._run(switch)
        with self._lock:
            self._objects = self._objects_location = None

    def _check_objects_location(self, conn: Any) -> None:
        """Inside a record's transaction: refuse it if this process stored its objects
        somewhere the registry no longer points at (the location changed meanwhile)."""
        if self._objects_location is None:
            return  # this process stored and read no objects: nothing to strand
        row = conn.execute(
            f"SELECT value FROM {SETTINGS_TABLE} WHERE name = 'objects' FOR SHARE"
        ).fetchone()
        now = row[0] if row else DATABASE
        if now != self._objects_location:
            raise RegistryError(
                f"{self.shown}: the registry's objects moved to {display_location(now)} while "
                f"this was being logged (its files went to "
                f"{display_location(self._objects_location)}); nothing was logged: run it again"
            )

    def check_writable(self) -> None:
        self.objects.check_writable()

    def store_object(self, source: Path, max_bytes: int) -> StoredObject:
        return self.objects.store(source, max_bytes)

    def open_object(self, sha256: str) -> BinaryIO:
        return self.objects.open(sha256)

    def has_object(self, sha256: str) -> bool:
        return self.objects.has(sha256)

    def object_ids(self) -> list[str]:
        return list(self.objects.ids())

    def object_size(self, sha256: str) -> int | None:
        return self.objects.size(sha256)

    def remove_object(self, sha256: str) -> None:
        self.objects.remove(sha256)


@dataclass(frozen=True, slots=True)
class _Row:
    """One record to write: what its tables need, computed before the transaction."""

    entry: Entry
    text: str
    columns: tuple[Any, ...]
    keyed: list[facts.KeyedValue]

    @classmethod
    def parse(cls, table: Table, line: bytes) -> _Row:
        obj, record = codec.parse_line_with_object(table, line, f"<{table}>", 0)
        entry = codec.entry_of(table, record)
        return cls(entry, line.decode("utf-8"), facts.columns(table, obj), facts.keyed(table, obj))


# the array type each kind of query column is sent as (see postgres_schema)
_ARRAYS = {"text": "text[]", "time": "bigint[]", "number": "float8[]", "bool": "int[]"}


def _column(kind: str, value: Any) -> Any:
    """A column value as its array's element type (an array holds one Python type)."""
    if value is None or kind == "text":
        return value
    return float(value) if kind == "number" else int(value)


def _write_links(conn: Any, entries: list[Entry]) -> None:
    """Lineage: each run's artifacts and input files."""
    artifacts = [(e.id, a) for e in entries for a in dict.fromkeys(e.artifacts)]
    inputs = [(e.id, role, sha) for e in entries for role, sha in e.inputs]
    if artifacts:
        conn.execute(
            "INSERT INTO run_artifacts SELECT * FROM unnest(%b::text[], %b::text[])",
            ([r for r, _ in artifacts], [a for _, a in artifacts]),
        )
    if inputs:
        conn.execute(
            "INSERT INTO run_inputs SELECT * FROM unnest(%b::text[], %b::text[], %b::text[])",
            ([r for r, _, _ in inputs], [role for _, role, _ in inputs], [s for *_, s in inputs]),
        )


def _write_annotations(conn: Any, rows: list[tuple[JsonObject, str]]) -> None:
    """Annotations in one transaction, then the folded state of the runs they name."""
    unique = _first_of_each(rows, lambda row: row[0]["id"])
    with conn.transaction():
        # one annotation of a run folds at a time, so run_tags/run_hidden stay exact;
        # the locks are taken in one order by every writer: no deadlocks
        conn.execute(
            "SELECT pg_advisory_xact_lock(h) FROM"
            " (SELECT DISTINCT hashtext(r) AS h FROM unnest(%b::text[]) r ORDER BY 1) s",
            ([a["run_id"] for a, _ in unique],),
        )
        inserted = conn.execute(
            "INSERT INTO annotations (id, run_id, line, doc)"
            " SELECT i, r, l, d::jsonb FROM unnest(%b::text[], %b::text[], %b::text[],"
            " %b::text[]) WITH ORDINALITY AS v(i, r, l, d, o) ORDER BY o"
            " ON CONFLICT (id) DO NOTHING RETURNING run_id",
            (
                [a["id"] for a, _ in unique],
                [a["run_id"] for a, _ in unique],
                [text for _, text in unique],
                [_jsonb(text) for _, text in unique],
            ),
        ).fetchall()
        touched = sorted({run_id for (run_id,) in inserted})
        if not touched:
            return
        folded = _fold(conn, touched)
        conn.execute("DELETE FROM run_tags WHERE run_id = ANY(%s)", (touched,))
        conn.execute("DELETE FROM run_hidden WHERE run_id = ANY(%s)", (touched,))
        tags = [(r, k, v) for r in touched for k, v in folded[r].tags.items()]
        hidden = [(r, folded[r].hidden) for r in touched if folded[r].hidden]
        if tags:
            conn.execute(
                "INSERT INTO run_tags SELECT * FROM unnest(%b::text[], %b::text[], %b::text[])",
                ([r for r, _, _ in tags], [k for _, k, _ in tags], [v for *_, v in tags]),
            )
        if hidden:
            conn.execute(
                "INSERT INTO run_hidden SELECT * FROM unnest(%b::text[], %b::text[])",
                ([r for r, _ in hidden], [h for _, h in hidden]),
            )


def _first_of_each(rows: list[T], key: Callable[[T], str]) -> list[T]:
    """``rows`` without those whose key was seen before (the first one wins)."""
    first: dict[str, T] = {}
    for row in rows:
        first.setdefault(key(row), row)
    return list(first.values())


def _check_table(table: Table | str) -> None:
    """A table name goes into SQL text: only ours ever does."""
    if table not in (*Table, ANNOTATIONS):
        raise ValueError(f"no table {table!r}")


def _fold(conn: Any, run_ids: list[str]) -> dict[str, RunAnnotations]:
    folded: dict[str, RunAnnotations] = {}
    rows = conn.execute(
        "SELECT run_id, line FROM annotations WHERE run_id = ANY(%s) ORDER BY seq", (run_ids,)
    ).fetchall()
    for run_id, line in rows:
        folded.setdefault(run_id, RunAnnotations.empty()).apply(codec.decode(ANNOTATIONS, line))
    return folded


def _version(conn: Any) -> int:
    exists = conn.execute("SELECT to_regclass(%s)", (VERSION_TABLE,)).fetchone()[0]
    if exists is None:
        return 0
    row = conn.execute(f"SELECT max(version) FROM {VERSION_TABLE}").fetchone()
    return row[0] or 0


def _newer(shown: str, version: int) -> str:
    return (
        f"{shown} holds registry schema version {version}, newer than this toolchain "
        f"knows ({SCHEMA_VERSION}); upgrade medlang"
    )


def _jsonb(text: str) -> str:
    """The text jsonb receives: the stored line itself, except where jsonb cannot hold it.

    A NUL character (which JSON may spell as an escape) cannot be held at all: those
    few lines keep only their exact text. NaN and infinities (written by other tools
    into a JSONL registry, and pushed from there) are not JSON to PostgreSQL: its copy
    holds null in their place. The exact line is kept either way.
    """
    if "\\u0000" in text:
        return '{"medlang_unindexable": true}'
    if "NaN" in text or "Infinity" in text:  # (or only inside a string: re-encoded alike)
        return json.dumps(json.loads(text, parse_constant=lambda _: None), ensure_ascii=False)
    return text


def _reason(error: Exception) -> str:
    """The first line of a driver error, without anything that could carry a secret."""
    text = str(error).strip().splitlines()
    return display_secrets_removed(text[0] if text else type(error).__name__)


def display_secrets_removed(text: str) -> str:
    """``text`` with any URL in it shown by ``display`` (its password dropped)."""
    import re

    return re.sub(r"postgres(?:ql)?://\S+", lambda m: display(m.group(0)), text)
