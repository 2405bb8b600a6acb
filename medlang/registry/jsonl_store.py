"""The JSONL backend: ``runs.jsonl`` and ``artifacts.jsonl``, found through a SQLite index.

Records are read back by seeking to the offset the index gives and decoding that
one line; the line was validated when it was indexed, so no pydantic is needed.
If the line there is not the expected record (its checksum or id differs: the log
changed in a way the fingerprint missed), the index is rebuilt and the read
retried once.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from medlang.registry import codec
from medlang.registry.errors import RegistryError, warn
from medlang.registry.logfile import LogFile
from medlang.registry.objects import ObjectDir, StoredObject
from medlang.registry.paths import ANNOTATIONS_FILE, ARTIFACTS_FILE, INDEX_FILE, RUNS_FILE
from medlang.registry.safe_files import check_directory, insecure_ok_default
from medlang.registry.sqlite_index import Location, SqliteIndex, line_checksum
from medlang.registry.storage import (
    ANNOTATIONS,
    JsonObject,
    Order,
    RecordStore,
    RunAnnotations,
    Table,
)

if TYPE_CHECKING:
    from medlang.query.engine import Request
    from medlang.query.fields import Catalog

T = TypeVar("T")
_MAX_INTEGER = 2**63 - 1


class _IndexMismatch(Exception):
    """The line at an indexed offset is not the record the index says it is."""


class JsonlStore(RecordStore):
    def __init__(self, root: Path | str, *, insecure_ok: bool | None = None) -> None:
        self.root = Path(root)
        self.logs = {
            Table.RUNS: LogFile(self.root / RUNS_FILE),
            Table.ARTIFACTS: LogFile(self.root / ARTIFACTS_FILE),
        }
        self.annotation_log = LogFile(self.root / ANNOTATIONS_FILE)
        self.index = SqliteIndex(self.root / INDEX_FILE, self.logs, self.annotation_log)
        self.objects = ObjectDir.of_registry(self.root)
        # None: as the process says (`mlc --registry-insecure-ok`, the environment)
        self._insecure_ok = insecure_ok

    @property
    def insecure_ok(self) -> bool:
        return insecure_ok_default() if self._insecure_ok is None else self._insecure_ok

    def append(self, table: Table, line: bytes) -> None:
        self.check_writable()
        self.logs[table].append(line)

    def get(self, table: Table, record_id: str) -> JsonObject | None:
        found = self._read(
            table, [], lambda: self._retrying(table, lambda: self._get_once(table, record_id))
        )
        return found[0] if found else None

    def get_many(self, table: Table, record_ids: list[str]) -> dict[str, JsonObject]:
        wanted = [i for i in dict.fromkeys(record_ids) if isinstance(i, str)]
        if not wanted:
            return {}

        def read_once() -> dict[str, JsonObject]:
            records = self._read_all(table, self.index.locate_many(table, wanted))
            return {record["id"]: record for record in records}

        return self._read(table, {}, lambda: self._retrying(table, read_once))

    def ids_with_prefix(self, table: Table, prefix: str, limit: int) -> list[str]:
        return self._read(table, [], lambda: self.index.ids_with_prefix(table, prefix, limit))

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
        return self._read(
            table,
            [],
            lambda: self._retrying(
                table,
                lambda: self._read_all(
                    table, self.index.select(table, kind, order, limit, visible_only)
                ),
            ),
        )

    def count(self, table: Table, kind: str | None = None, visible_only: bool = False) -> int:
        return self._read(table, 0, lambda: self.index.count(table, kind, visible_only))

    def annotate(self, line: bytes) -> None:
        self.check_writable()
        self.annotation_log.append(line)

    # --- bulk (medlang.sync) ---------------------------------------------------

    def append_many(self, table: Table, lines: Iterable[bytes]) -> None:
        """One locked, synced append of the records whose ids are new."""
        self.check_writable()
        new = self._new_lines(table, lines)
        self.logs[table].append_many(new)

    def annotate_many(self, lines: Iterable[bytes]) -> None:
        self.check_writable()
        self.annotation_log.append_many(self._new_lines(ANNOTATIONS, lines))

    def _new_lines(self, table: Table | str, lines: Iterable[bytes]) -> list[bytes]:
        """``lines`` without those whose id is stored already or came earlier."""
        by_id: dict[str, bytes] = {}
        for line in lines:
            by_id.setdefault(str(codec.decode(table, line).get("id")), line)
        known = self.known_ids(table, by_id)
        return [line for record_id, line in by_id.items() if record_id not in known]

    def known_ids(self, table: Table | str, ids: Iterable[str]) -> set[str]:
        if table == ANNOTATIONS:
            return self._annotation_ids(set(ids))
        table = Table(table)
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return set()
        return self._read(
            table, set(), lambda: {found[0] for found in self.index.locate_many(table, wanted)}
        )

    def lines(self, table: Table | str) -> Iterator[tuple[str, bytes]]:
        if table == ANNOTATIONS:
            return self._annotation_lines()
        table = Table(table)
        if not self._readable(table):
            return iter(())
        return self._stream_lines(table)

    def _stream_lines(self, table: Table) -> Iterator[tuple[str, bytes]]:
        sql = f"SELECT id, off, len, crc FROM {table} ORDER BY seq"
        try:
            with self.logs[table].reader() as reader:
                for batch in self.index.stream(table, sql, []):
                    for record_id, offset, length, checksum in batch:
                        line = reader.read(offset, length)
                        if line_checksum(line) != checksum:  # cannot take back what was yielded
                            raise RegistryError(
                                f"{self.logs[table].path} changed while it was being read; "
                                "try again"
                            )
                        yield record_id, line
        except OSError as error:
            where = error.filename or self.logs[table].path
            raise RegistryError(f"cannot read {where}: {error.strerror or error}") from None

    def _annotation_ids(self, wanted: set[str]) -> set[str]:
        """Those of ``wanted`` in annotations.jsonl: only the ids are read, not validated
        (a bad line with a wanted id counts as held: it was sent once already)."""
        log = self.annotation_log
        if not wanted or not log.exists():
            return set()
        found = set()
        try:
            with log.reader() as reader:
                for _, raw, _ in reader.lines(0, reader.settled_size()):
                    try:
                        annotation_id = codec.decode(ANNOTATIONS, raw).get("id")
                    except ValueError:
                        continue
                    if isinstance(annotation_id, str) and annotation_id in wanted:
                        found.add(annotation_id)
        except OSError as error:
            raise RegistryError(f"cannot read {log.path}: {error.strerror or error}") from None
        return found

    def _annotation_lines(self) -> Iterator[tuple[str, bytes]]:
        """annotations.jsonl is folded, not indexed by id: read it whole, skipping bad
        lines with a warning (as the index does) and repeated ids."""
        log = self.annotation_log
        if not log.exists():
            return
        seen: set[str] = set()
        try:
            with log.reader() as reader:
                end = reader.settled_size()
                for lineno, (_, raw, terminated) in enumerate(reader.lines(0, end), 1):
                    if not raw.strip():
                        continue
                    try:
                        codec.parse_line(ANNOTATIONS, raw, log.path, lineno)
                    except codec.BadLineError as error:
                        warn(f"{error}; skipped{'' if terminated else ' (incomplete last line)'}")
                        continue
                    annotation_id = codec.decode(ANNOTATIONS, raw)["id"]
                    if annotation_id not in seen:
                        seen.add(annotation_id)
                        yield annotation_id, raw
        except OSError as error:
            raise RegistryError(f"cannot read {log.path}: {error.strerror or error}") from None

    def annotations(self, run_ids: list[str]) -> dict[str, RunAnnotations]:
        if not run_ids or not self.annotation_log.exists():
            return {}
        return self.index.annotations(run_ids)

    def hidden(self, kind: str | None = None) -> dict[str, str]:
        if not self.annotation_log.exists():
            return {}
        return self.index.hidden(kind)

    def runs_with_artifact(self, artifact_id: str) -> list[JsonObject]:
        return self._read(
            Table.RUNS,
            [],
            lambda: self._retrying(
                Table.RUNS,
                lambda: self._read_all(Table.RUNS, self.index.runs_with_artifact(artifact_id)),
            ),
        )

    def identity(self) -> object:
        try:
            info = os.stat(self.root)
        except OSError:
            return ("directory", str(self.root.resolve()))
        return ("directory", info.st_dev, info.st_ino)

    def check_writable(self) -> None:
        """Refuse a registry path that is not a directory, or an unsafe one (see safe_files)."""
        check_directory(self.root, writing=True, insecure_ok=self.insecure_ok)

    def _read(self, table: Table, empty: T, read: Callable[[], T]) -> T:
        """``read()`` if the table's log exists (else ``empty``); file-system errors
        become one ``RegistryError`` line naming the file."""
        safe = check_directory(self.root, writing=False, insecure_ok=self.insecure_ok)
        if not safe and not self.insecure_ok:  # write nothing there, not even the index
            self.index.use_memory("the registry directory is not safe", announce=False)
        log = self.logs[table]
        try:
            if not log.exists():  # never written: leave it untouched, no index file either
                return empty
            return read()
        except OSError as error:
            where = error.filename or log.path
            raise RegistryError(f"cannot read {where}: {error.strerror or error}") from None

    # --- objects -------------------------------------------------------------

    def store_object(self, source: Path, max_bytes: int) -> StoredObject:
        self.check_writable()
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
        self.check_writable()
        self.objects.remove(sha256)

    # --- lineage -------------------------------------------------------------

    def artifacts_with_sha256(self, sha256: str) -> list[JsonObject]:
        return self._found(Table.ARTIFACTS, lambda: self.index.artifacts_with_sha256(sha256))

    def runs_producing(self, sha256: str) -> list[JsonObject]:
        if not self._readable(Table.ARTIFACTS):
            return []
        return self._found(Table.RUNS, lambda: self.index.runs_producing(sha256))

    def runs_using(
        self, sha256: str, *, role: str | None = None, kind: str | None = None
    ) -> list[JsonObject]:
        return self._found(Table.RUNS, lambda: self.index.runs_using(sha256, role, kind))

    def _found(self, table: Table, locate: Callable[[], list[Location]]) -> list[JsonObject]:
        """The records at the locations an index query gives, read from ``table``'s log."""
        return self._read(
            table, [], lambda: self._retrying(table, lambda: self._read_all(table, locate()))
        )

    # --- queries --------------------------------------------------------------

    def query_catalog(self, table: Table) -> Catalog:
        from medlang.query.fields import Catalog

        def read() -> Catalog:
            keys, tags = self.index.query_keys(table)
            if not keys and not self.index.count(table, None):
                return Catalog(table)  # nothing to check against: any field is accepted
            return Catalog(table, {key: types for key, (_, types) in keys.items()}, tags)

        return self._read(table, Catalog(table), read)

    def iter_select(self, request: Request) -> Iterator[JsonObject]:
        """Streamed from the index in batches: constant memory however many match."""
        table = request.table
        if request.limit is not None and request.limit <= 0:
            return iter(())
        keys = self._read(table, None, lambda: self.index.query_keys(table)[0])
        if keys is None:  # no log: nothing to read, and no index file is made
            return iter(())
        return self._stream(request, keys)

    def _stream(self, request: Request, keys: dict[str, tuple[int, int]]) -> Iterator[JsonObject]:
        from medlang.query.sql import SQLITE, translate, walked

        table = request.table
        limit = None if request.limit is None else min(request.limit, _MAX_INTEGER)
        key_ids = {key: kid for key, (kid, _) in keys.items()}
        select = translate(
            table,
            request.where,
            request.order,
            key_ids=key_ids,
            include_hidden=request.include_hidden,
            limit=limit,
        )
        columns = "r.id, r.off, r.len, r.crc"
        sql, params = select.sql(columns)
        for attempt in (1, 2):
            yielded = False
            try:
                found = walked(
                    request,
                    key_ids,
                    SQLITE,
                    columns,
                    lambda sql, params: self.index.query(table, sql, params),
                )
                batches = self.index.stream(table, sql, params) if found is None else [found]
                for batch in batches:
                    for record in self._read_all(table, batch):
                        yielded = True
                        yield record
                return
            except _IndexMismatch:
                if yielded or attempt == 2:  # cannot take back what was yielded
                    raise RegistryError(
                        f"{self.logs[table].path} changed while it was being read; try again"
                    ) from None
                self.index.invalidate(table)
            except OSError as error:
                where = error.filename or self.logs[table].path
                raise RegistryError(f"cannot read {where}: {error.strerror or error}") from None

    # --- reading lines at indexed offsets ------------------------------------

    def _readable(self, table: Table) -> bool:
        # A registry that was never written stays untouched: no index file either.
        return self.logs[table].exists()

    def _get_once(self, table: Table, record_id: str) -> list[JsonObject]:
        location = self.index.locate(table, record_id)
        return self._read_all(table, [location]) if location else []

    def _read_all(self, table: Table, locations: list[Location]) -> list[JsonObject]:
        if not locations:
            return []
        with self.logs[table].reader() as reader:
            if len(locations) < 64:
                lines = [reader.read(offset, length) for _, offset, length, _ in locations]
            else:  # many records: let the page cache do the work
                with mmap.mmap(reader.fd, 0, access=mmap.ACCESS_READ) as mapped:
                    lines = [mapped[offset : offset + length] for _, offset, length, _ in locations]
        records = []
        for (record_id, _, _, checksum), line in zip(locations, lines, strict=True):
            if line_checksum(line) != checksum:  # edited in place since it was indexed
                raise _IndexMismatch
            try:
                record = codec.decode(table, line)
            except ValueError:
                raise _IndexMismatch from None
            if record.get("id") != record_id:
                raise _IndexMismatch
            records.append(record)
        return records

    def _retrying(self, table: Table, read: Callable[[], T]) -> T:
        try:
            return read()
        except _IndexMismatch:
            self.index.invalidate(table)
        try:
            return read()
        except _IndexMismatch:  # a bug of ours, or the log is being rewritten right now
            raise RegistryError(
                f"the index disagrees with {self.logs[table].path} even after a rebuild; "
                "try again, and report it if it persists"
            ) from None
