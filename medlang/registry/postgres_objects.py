"""Objects in the PostgreSQL registry's own ``objects`` table (sha256 -> bytes): the
default location, so a team registry needs nothing but its database.

An insert is one statement, so an object is in the table whole or not at all;
storing the same bytes again only refreshes ``stored_at`` (``mlc gc`` keeps what a
run in progress just stored or reused).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from medlang.registry.errors import RegistryError
from medlang.registry.objects import (
    ObjectStore,
    StoredObject,
    hash_source,
    open_source,
    too_large,
)

_TOUCH = "UPDATE objects SET stored_at = now() WHERE sha256 = %s RETURNING 1"
Rows = Callable[[str, Any], list[tuple]]  # PostgresStore._rows: SQL and parameters -> rows


class DatabaseObjects(ObjectStore):
    def __init__(self, rows: Rows, shown: str) -> None:
        self._rows = rows
        self.location = f"{shown} (table objects)"

    def store(self, source: Path | str, max_bytes: int) -> StoredObject:
        with open_source(source) as handle:
            sha256, size = hash_source(handle, source, max_bytes)
            # held already: only say it was used now (mlc gc), without sending the bytes
            if self._rows(_TOUCH, (sha256,)):
                return StoredObject(sha256, size, added=False)
            handle.seek(0)
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:  # it grew meanwhile
            raise too_large(source, len(data), max_bytes)
        sha256 = hashlib.sha256(data).hexdigest()  # the bytes sent, even if it changed
        # xmax = 0 only for a row this statement inserted (not one it updated)
        rows = self._rows(
            "INSERT INTO objects (sha256, size, data) VALUES (%s, %s, %s)"
            " ON CONFLICT (sha256) DO UPDATE SET stored_at = now() RETURNING xmax = 0",
            (sha256, len(data), data),
        )
        return StoredObject(sha256, len(data), bool(rows and rows[0][0]))

    def open(self, sha256: str) -> BinaryIO:
        rows = self._rows("SELECT data FROM objects WHERE sha256 = %s", (sha256,))
        if not rows:
            raise RegistryError(f"object {sha256} is not in the registry's store")
        return io.BytesIO(bytes(rows[0][0]))

    def has(self, sha256: str) -> bool:
        return bool(self._rows("SELECT 1 FROM objects WHERE sha256 = %s", (sha256,)))

    def ids(self) -> Iterator[str]:
        return iter([row[0] for row in self._rows("SELECT sha256 FROM objects ORDER BY 1", ())])

    def size(self, sha256: str) -> int | None:
        rows = self._rows("SELECT size FROM objects WHERE sha256 = %s", (sha256,))
        return rows[0][0] if rows else None

    def modified(self, sha256: str) -> float | None:
        rows = self._rows(
            "SELECT extract(epoch FROM stored_at)::float8 FROM objects WHERE sha256 = %s",
            (sha256,),
        )
        return rows[0][0] if rows else None

    def remove(self, sha256: str) -> None:
        self._rows("DELETE FROM objects WHERE sha256 = %s RETURNING 1", (sha256,))
