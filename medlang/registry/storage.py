"""The storage interface: a few primitives every registry backend provides.

Backends deal in stored JSON objects (plain dicts, exactly as written), never in
pydantic models, so the fast ``mlc runs`` path can use them without importing
pydantic. ``Registry`` (store.py) turns them into records. The contract tests in
``tests/registry/test_storage_contract.py`` run against every backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from medlang.query.engine import Request
    from medlang.query.fields import Catalog
    from medlang.registry.objects import StoredObject

JsonObject = dict[str, Any]
T = TypeVar("T")


class Table(StrEnum):
    """The two logs of a registry."""

    RUNS = "runs"
    ARTIFACTS = "artifacts"

    @property
    def time_field(self) -> str:
        """The timestamp a table is ordered by."""
        return "started_at" if self is Table.RUNS else "created_at"


# The third log: tags, notes and delete/restore/archive marks on runs (annotations.jsonl).
# Not a ``Table``: annotations are folded into the runs they name, never listed alone.
ANNOTATIONS = "annotations"


class Order(Enum):
    LOG = "log"  # append order
    NEWEST = "newest"  # newest timestamp first, ties in log order
    OLDEST = "oldest"  # oldest timestamp first, ties in log order


@dataclass(frozen=True, slots=True)
class Entry:
    """What a backend indexes about one valid stored record."""

    id: str
    kind: str
    time_us: int  # started_at / created_at, microseconds since the Unix epoch
    artifacts: tuple[str, ...] = ()  # a run's artifact ids
    # Lineage: the content hashes that link runs (see medlang.registry.inputs).
    inputs: tuple[tuple[str, str], ...] = ()  # a run's input files as (role, sha256)
    sha256: str | None = None  # an artifact's content hash, lowercase


class RecordStore(ABC):
    """An append-only store of JSON records in two tables, with id/kind/time queries,
    and a content-addressed store of the files runs read and wrote.

    Reads only ever return records that passed validation; records with an id seen
    before in the same table are ignored (the first one wins). Objects are named by
    the sha256 of their bytes, written once, complete or absent, and never changed.
    """

    @abstractmethod
    def append(self, table: Table, line: bytes) -> None:
        """Durably append one encoded record (compact JSON, no newline).

        The caller has validated it. Must be safe with concurrent writers in other
        processes, and the record must be on stable storage when this returns.
        """

    @abstractmethod
    def get(self, table: Table, record_id: str) -> JsonObject | None:
        """The record with this exact (normalized) id, or None."""

    def get_many(self, table: Table, record_ids: list[str]) -> dict[str, JsonObject]:
        """The records with these exact ids, by id (absent ones left out). Backends
        override it to read them all at once (``views.run_views`` of many runs)."""
        found = {}
        for record_id in dict.fromkeys(record_ids):
            record = self.get(table, record_id)
            if record is not None:
                found[record_id] = record
        return found

    @abstractmethod
    def ids_with_prefix(self, table: Table, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` ids starting with ``prefix``, sorted."""

    @abstractmethod
    def select(
        self,
        table: Table,
        *,
        kind: str | None = None,
        order: Order = Order.LOG,
        limit: int | None = None,
        visible_only: bool = False,
    ) -> list[JsonObject]:
        """Records, optionally of one kind, in ``order``, at most ``limit`` of them;
        ``visible_only`` leaves out hidden (deleted or archived) runs."""

    @abstractmethod
    def count(self, table: Table, kind: str | None = None, visible_only: bool = False) -> int:
        """How many records (of one kind, if given; not hidden, if ``visible_only``)."""

    @abstractmethod
    def runs_with_artifact(self, artifact_id: str) -> list[JsonObject]:
        """The runs whose ``artifacts`` list holds this id, in log order."""

    # --- bulk: what ``mlc registry push/pull`` (medlang.sync) moves between stores ---
    # ``table`` is a ``Table`` or ``ANNOTATIONS``. The defaults loop over the
    # one-record primitives; a backend overrides them to move many records per
    # round trip, with the same meaning (first id wins, nothing half-written).

    @abstractmethod
    def lines(self, table: Table | str) -> Iterator[tuple[str, bytes]]:
        """Every valid record of ``table`` as its id and the exact line stored, in log
        order; of records sharing an id, only the first."""

    def identity(self) -> object:
        """Equal for two stores that are one and the same (a registry is never synced
        into itself); the default: this object only."""
        return id(self)

    def known_ids(self, table: Table | str, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that ``table`` holds a record with."""
        wanted = set(ids)
        if table == ANNOTATIONS:
            return {found for found, _ in self.lines(ANNOTATIONS) if found in wanted}
        return set(self.get_many(Table(table), list(wanted)))

    def append_many(self, table: Table, lines: Iterable[bytes]) -> None:
        """Durably append encoded records in order, as ``append`` would one by one:
        a record whose id the table holds already is left out. Interrupted, it has
        stored a prefix of them."""
        for line in lines:
            self.append(table, line)

    def annotate_many(self, lines: Iterable[bytes]) -> None:
        """Durably append encoded annotations in order, leaving out those whose id is
        held already (so sending one twice never folds it twice)."""
        lines = list(lines)
        ids = [_annotation_id(line) for line in lines]
        known = self.known_ids(ANNOTATIONS, ids)
        for annotation_id, line in zip(ids, lines, strict=True):
            if annotation_id not in known:
                known.add(annotation_id)
                self.annotate(line)

    # --- queries (medlang.query) ---------------------------------------------------
    # The defaults evaluate in memory over ``select``; an indexed backend overrides
    # both with SQL, and the contract tests check that the answers are the same.

    def query_catalog(self, table: Table) -> Catalog:
        """The fields the records of ``table`` hold, with their types (for checking)."""
        from medlang.query.fields import Catalog
        from medlang.registry import facts

        records = self.select(table)
        if not records:
            return Catalog(table)  # nothing to check against: any field is accepted
        keys: dict[str, int] = {}
        for record in records:
            for key, _, _, bit in facts.keyed(table, record):
                keys[key] = keys.get(key, 0) | bit
        tags: frozenset[str] = frozenset()
        if table is Table.RUNS:
            annotations = self.annotations([record["id"] for record in records])
            tags = frozenset(tag for found in annotations.values() for tag in found.tags)
        return Catalog(table, keys, tags)

    def iter_select(self, request: Request) -> Iterator[JsonObject]:
        """The records a checked request selects, in its order, streamed."""
        from medlang.query.evaluate import facts_of, select

        table = request.table
        visible_only = table is Table.RUNS and not request.include_hidden
        records = self.select(table, visible_only=visible_only)
        annotations = (
            self.annotations([record["id"] for record in records]) if table is Table.RUNS else {}
        )
        everything = [
            facts_of(table, record, seq, annotations.get(record["id"], RunAnnotations.empty()).tags)
            for seq, record in enumerate(records)
        ]
        for found in select(everything, request.where, request.order, request.limit):
            yield records[found.seq]

    # --- the object store -------------------------------------------------------

    @abstractmethod
    def store_object(self, source: Path, max_bytes: int) -> StoredObject:
        """Copy a regular file's bytes in (durably, deduplicated); ``RegistryError`` if it
        is larger than ``max_bytes``, not a regular file, or cannot be read or written."""

    @abstractmethod
    def open_object(self, sha256: str) -> BinaryIO:
        """The stored bytes for reading; ``RegistryError`` if there is no such object."""

    @abstractmethod
    def has_object(self, sha256: str) -> bool:
        """Whether an object with this sha256 is stored."""

    @abstractmethod
    def object_ids(self) -> list[str]:
        """Every stored object's sha256, sorted."""

    @abstractmethod
    def object_size(self, sha256: str) -> int | None:
        """Stored size in bytes, or None if absent."""

    @abstractmethod
    def remove_object(self, sha256: str) -> None:
        """Delete an object (``mlc gc`` only, for objects no committed record references)."""

    # --- lineage: runs linked by the content hashes of the files they share ---

    @abstractmethod
    def artifacts_with_sha256(self, sha256: str) -> list[JsonObject]:
        """The artifacts whose content hash is ``sha256`` (lowercase), in log order."""

    @abstractmethod
    def runs_producing(self, sha256: str) -> list[JsonObject]:
        """The runs that list an artifact with this content hash, oldest ``started_at``
        first, ties in log order."""

    @abstractmethod
    def runs_using(
        self, sha256: str, *, role: str | None = None, kind: str | None = None
    ) -> list[JsonObject]:
        """The runs (of one kind, if given) whose ``config.inputs`` record a file with
        this content hash (in this role, if given), oldest ``started_at`` first, ties
        in log order."""

    # --- annotations: append-only, folded per run in log order ----------------

    @abstractmethod
    def annotate(self, line: bytes) -> None:
        """Durably append one encoded annotation (validated by the caller)."""

    @abstractmethod
    def annotations(self, run_ids: list[str]) -> dict[str, RunAnnotations]:
        """The folded annotations of each of these runs (runs without any are left out)."""

    @abstractmethod
    def hidden(self, kind: str | None = None) -> dict[str, str]:
        """Hidden (deleted or archived) runs, of one kind if given: run id -> reason."""


@dataclass(slots=True)
class RunAnnotations:
    """Everything annotated on one run, folded in log order."""

    tags: dict[str, str]
    notes: list[JsonObject]  # {"at": timestamp, "text": ...}, oldest first
    hidden: str | None = None  # "deleted" or "archived"

    @classmethod
    def empty(cls) -> RunAnnotations:
        return cls({}, [])

    def apply(self, annotation: JsonObject) -> None:
        """Fold one stored annotation (see ``model.AnnotationRecord``) into this run's state."""
        op = annotation["op"]
        if op == "tag":
            for key in annotation.get("remove") or []:
                self.tags.pop(key, None)
            self.tags.update(annotation.get("tags") or {})
        elif op == "note":
            self.notes.append({"at": annotation["at"], "text": annotation["text"]})
        elif op in ("delete", "archive"):
            self.hidden = "deleted" if op == "delete" else "archived"
        elif op in ("restore", "unarchive"):
            wanted = "deleted" if op == "restore" else "archived"
            self.hidden = None if self.hidden == wanted else self.hidden


def _annotation_id(line: bytes) -> str:
    from medlang.registry import codec

    return str(codec.decode(ANNOTATIONS, line).get("id"))


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter), consumed lazily: how the
    bulk primitives' callers and backends cut a stream of records."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
