"""Archives: runs moved out of a registry into one JSONL file, readable on their own.

An archive file is plain JSONL, written by ``mlc runs archive --to FILE``:

    {"medlang_archive":1,"created_at":"…","registry":"/abs/registry"}     the header
    {"table":"artifacts","record":{…ArtifactRecord…}}                      artifacts first,
    {"table":"runs","record":{…RunRecord…}}                                 like a registry
    {"table":"annotations","record":{…AnnotationRecord…}}                   the runs' tags, notes

Archiving is append-only like everything else: the runs are copied (and fsync'd)
into the archive, then an ``archive`` annotation hides each one in the registry.
Only ``mlc registry compact`` removes them from the registry's logs, after
checking that each is in the archive it names. ``mlc --registry FILE`` opens an
archive read-only (``ArchiveStore``), and ``mlc runs import FILE`` brings its runs back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from medlang.registry import codec
from medlang.registry.errors import RegistryError, warn
from medlang.registry.logfile import LogFile
from medlang.registry.memory_store import MemoryStore
from medlang.registry.paths import is_archive_file
from medlang.registry.storage import ANNOTATIONS, JsonObject, Table

FORMAT = 1
_TABLES: dict[str, Table | str] = {"artifacts": Table.ARTIFACTS, "runs": Table.RUNS}
_TABLES[ANNOTATIONS] = ANNOTATIONS


@dataclass
class ArchiveContents:
    """The valid records of an archive, in file order (bad lines skipped with a warning)."""

    artifacts: list[JsonObject] = field(default_factory=list)
    runs: list[JsonObject] = field(default_factory=list)
    annotations: list[JsonObject] = field(default_factory=list)

    def run_ids(self) -> set[str]:
        return {run["id"] for run in self.runs}


def read_archive(path: Path) -> ArchiveContents:
    if not is_archive_file(path):
        raise RegistryError(f"{path}: not a registry archive (written by `mlc runs archive`)")
    contents = ArchiveContents()
    for lineno, table, line in _lines(path):
        try:
            codec.parse_line(table, line, path, lineno)
        except codec.BadLineError as error:
            warn(f"{error}; skipped")
            continue
        record = codec.decode(table, line)
        if table == ANNOTATIONS:
            contents.annotations.append(record)
        elif table is Table.RUNS:
            contents.runs.append(record)
        else:
            contents.artifacts.append(record)
    return contents


def _lines(path: Path) -> Iterator[tuple[int, Table | str, bytes]]:
    with path.open("rb") as handle:
        next(handle, None)  # the header
        for lineno, raw in enumerate(handle, start=2):
            if not raw.strip():
                continue
            try:
                wrapper = json.loads(raw)
                table = _TABLES[wrapper["table"]]
                record = wrapper["record"]
            except (ValueError, KeyError, TypeError):
                warn(f"{path}:{lineno}: not an archive line; skipped")
                continue
            yield lineno, table, json.dumps(record, ensure_ascii=False).encode("utf-8")


def write_archive(path: Path, contents: ArchiveContents, registry_root: Path) -> None:
    """Add ``contents`` to the archive at ``path``, durably: a new archive is written
    beside it and renamed into place; an existing one is appended to, line by line."""
    lines = [
        _archive_line(table, record)
        for table, records in (
            (Table.ARTIFACTS, contents.artifacts),
            (Table.RUNS, contents.runs),
            (ANNOTATIONS, contents.annotations),
        )
        for record in records
    ]
    try:
        if path.exists():
            if not is_archive_file(path):
                raise RegistryError(f"{path}: exists and is not a registry archive; not touched")
            log = LogFile(path)
            for line in lines:
                log.append(line)
            return
        from medlang.registry.timestamps import format_timestamp, utc_now

        header = {
            "medlang_archive": FORMAT,
            "created_at": format_timestamp(utc_now()),
            "registry": str(registry_root),
        }
        data = b"\n".join([_compact(header), *lines]) + b"\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        _sync_directory(path.parent)
    except OSError as error:
        raise RegistryError(f"cannot write {path}: {error.strerror or error}") from None


def _archive_line(table: Table | str, record: JsonObject) -> bytes:
    return _compact({"table": str(table), "record": record})


def _compact(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ArchiveStore(MemoryStore):
    """An archive file opened as a read-only registry (``mlc --registry FILE``)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        contents = read_archive(path)
        for table, records in ((Table.ARTIFACTS, contents.artifacts), (Table.RUNS, contents.runs)):
            for record in records:
                super().append(table, _compact(record))
        for annotation in contents.annotations:
            if annotation["op"] not in ("archive", "unarchive"):  # visible in their archive
                super().annotate(_compact(annotation))

    def append(self, table: Table, line: bytes) -> None:
        raise RegistryError(f"{self.path} is an archive: read-only (import it to change it)")

    def annotate(self, line: bytes) -> None:
        raise RegistryError(f"{self.path} is an archive: read-only (import it to change it)")
