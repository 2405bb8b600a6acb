"""An in-memory backend: the reference the storage contract tests check the JSONL one against.

Useful on its own for tests of code that logs runs. It validates on append, so it
holds only valid records, like the JSONL backend's index.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from medlang.registry import codec
from medlang.registry.errors import RegistryError
from medlang.registry.objects import StoredObject, hash_stream, open_source, too_large
from medlang.registry.storage import (
    ANNOTATIONS,
    Entry,
    JsonObject,
    Order,
    RecordStore,
    RunAnnotations,
    Table,
)


class MemoryStore(RecordStore):
    def __init__(self) -> None:
        self._records: dict[Table, list[tuple[Entry, JsonObject]]] = {table: [] for table in Table}
        self._by_id: dict[Table, dict[str, JsonObject]] = {table: {} for table in Table}
        self._objects: dict[str, bytes] = {}
        self._annotations: dict[str, RunAnnotations] = {}
        # every record's exact line by id, first of an id only, in log order
        self._lines: dict[Table | str, dict[str, bytes]] = {t: {} for t in (*Table, ANNOTATIONS)}
        self._lock = threading.Lock()

    def append(self, table: Table, line: bytes) -> None:
        record = codec.parse_line(table, line, f"<memory {table}>", 0)
        entry = codec.entry_of(table, record)
        stored = codec.decode(table, line)
        with self._lock:
            if entry.id in self._by_id[table]:
                return  # as in the JSONL backend: the first record with an id wins
            self._records[table].append((entry, stored))
            self._by_id[table][entry.id] = stored
            self._lines[table][entry.id] = bytes(line)

    def lines(self, table: Table | str) -> Iterator[tuple[str, bytes]]:
        with self._lock:
            return iter(list(self._lines[table].items()))

    def get(self, table: Table, record_id: str) -> JsonObject | None:
        return self._by_id[table].get(record_id)

    def ids_with_prefix(self, table: Table, prefix: str, limit: int) -> list[str]:
        return sorted(i for i in self._by_id[table] if i.startswith(prefix))[:limit]

    def select(
        self,
        table: Table,
        *,
        kind: str | None = None,
        order: Order = Order.LOG,
        limit: int | None = None,
        visible_only: bool = False,
    ) -> list[JsonObject]:
        rows = [
            (entry, record)
            for entry, record in self._records[table]
            if (kind is None or entry.kind == kind)
            and not (visible_only and self._is_hidden(table, entry.id))
        ]
        if order is Order.OLDEST:
            rows.sort(key=lambda row: row[0].time_us)  # stable: ties stay in log order
        elif order is Order.NEWEST:
            rows.sort(key=lambda row: -row[0].time_us)
        records = [record for _, record in rows]
        return records if limit is None else records[: max(limit, 0)]

    def runs_with_artifact(self, artifact_id: str) -> list[JsonObject]:
        return [
            record for entry, record in self._records[Table.RUNS] if artifact_id in entry.artifacts
        ]

    def store_object(self, source: Path, max_bytes: int) -> StoredObject:
        with open_source(source) as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise too_large(source, len(data), max_bytes)
        sha256, size = hash_stream(io.BytesIO(data))
        with self._lock:
            added = sha256 not in self._objects
            self._objects.setdefault(sha256, data)
        return StoredObject(sha256, size, added)

    def open_object(self, sha256: str) -> BinaryIO:
        data = self._objects.get(sha256)
        if data is None:
            raise RegistryError(f"object {sha256} is not in the registry's store")
        return io.BytesIO(data)

    def has_object(self, sha256: str) -> bool:
        return sha256 in self._objects

    def object_ids(self) -> list[str]:
        return sorted(self._objects)

    def object_size(self, sha256: str) -> int | None:
        data = self._objects.get(sha256)
        return None if data is None else len(data)

    def remove_object(self, sha256: str) -> None:
        with self._lock:
            self._objects.pop(sha256, None)

    # --- lineage -------------------------------------------------------------

    def artifacts_with_sha256(self, sha256: str) -> list[JsonObject]:
        return [
            record for entry, record in self._records[Table.ARTIFACTS] if entry.sha256 == sha256
        ]

    def runs_producing(self, sha256: str) -> list[JsonObject]:
        produced = {
            entry.id for entry, _ in self._records[Table.ARTIFACTS] if entry.sha256 == sha256
        }
        return self._oldest_first(
            (entry, record)
            for entry, record in self._records[Table.RUNS]
            if produced.intersection(entry.artifacts)
        )

    def runs_using(
        self, sha256: str, *, role: str | None = None, kind: str | None = None
    ) -> list[JsonObject]:
        return self._oldest_first(
            (entry, record)
            for entry, record in self._records[Table.RUNS]
            if (kind is None or entry.kind == kind)
            and any(s == sha256 and role in (None, r) for r, s in entry.inputs)
        )

    @staticmethod
    def _oldest_first(rows: Iterable[tuple[Entry, JsonObject]]) -> list[JsonObject]:
        return [record for _, record in sorted(rows, key=lambda row: row[0].time_us)]

    def count(self, table: Table, kind: str | None = None, visible_only: bool = False) -> int:
        return len(self.select(table, kind=kind, visible_only=visible_only))

    def annotate(self, line: bytes) -> None:
        codec.parse_line(ANNOTATIONS, line, "<memory annotations>", 0)
        annotation = codec.decode(ANNOTATIONS, line)
        with self._lock:
            if annotation["id"] in self._lines[ANNOTATIONS]:
                return  # as on a server: the first annotation with an id wins
            self._lines[ANNOTATIONS][annotation["id"]] = bytes(line)
            state = self._annotations.setdefault(annotation["run_id"], RunAnnotations.empty())
            state.apply(annotation)

    def annotations(self, run_ids: list[str]) -> dict[str, RunAnnotations]:
        found = {run_id: self._annotations.get(run_id) for run_id in run_ids}
        return {run_id: state for run_id, state in found.items() if state and _folded(state)}

    def hidden(self, kind: str | None = None) -> dict[str, str]:
        return {
            run_id: state.hidden
            for run_id, state in self._annotations.items()
            if state.hidden
            and (kind is None or (self._by_id[Table.RUNS].get(run_id) or {}).get("kind") == kind)
        }

    def _is_hidden(self, table: Table, record_id: str) -> bool:
        state = self._annotations.get(record_id) if table is Table.RUNS else None
        return bool(state and state.hidden)


def _folded(state: RunAnnotations) -> bool:
    """Whether anything is left after folding (the SQLite index keeps no empty rows)."""
    return bool(state.tags or state.notes or state.hidden)
