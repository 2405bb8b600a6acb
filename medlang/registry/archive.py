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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from medlang.registry import codec
from medlang.registry.errors import RegistryError, warn
from medlang.registry.logfile import LogFile
from medlang.registry.memory_store import MemoryStore
from medlang.registry.paths import is_archive_file
from medlang.registry.storage import ANNOTATIONS, JsonObject, Table

if TYPE_CHECKING:
    from medlang.registry.store import Registry

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
        from medlang.files import write_bytes_atomic

        write_bytes_atomic(path, data)
    except OSError as error:
        raise RegistryError(f"cannot write {path}: {error.strerror or error}") from None


def _archive_line(table: Table | str, record: JsonObject) -> bytes:
    return _compact({"table": str(table), "record": record})


def _compact(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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


@dataclass
class Moved:
    """What ``archive_runs`` or ``import_archive`` did."""

    runs: int = 0
    artifacts: int = 0
    annotations: int = 0
    skipped: list[str] = field(default_factory=list)  # run ids left as they were, with why


def archive_runs(registry: Registry, run_ids: list[str], path: Path) -> Moved:
    """Copy these runs, their artifact records and annotations into the archive at
    ``path`` (durably), then hide each one in the registry with an ``archive`` mark."""
    from medlang.registry.guard import refuse_registry_output

    path = path.expanduser().absolute()
    refuse_registry_output(str(path), registry.root, "--to")
    moved, contents = Moved(), ArchiveContents()
    states = registry.annotations_json(run_ids)
    wanted: list[str] = []
    for run_id in dict.fromkeys(run_ids):
        record = registry.run_json(run_id)
        if record is None:
            raise RegistryError(f"no run with id {run_id!r} in {registry.root}")
        if states[run_id].hidden == "archived":
            moved.skipped.append(f"{run_id} (already archived)")
            continue
        wanted.append(run_id)
        contents.runs.append(record)
    seen: set[str] = set()
    for record in contents.runs:
        for artifact_id in record.get("artifacts") or []:
            artifact = registry.artifact_json(artifact_id) if artifact_id not in seen else None
            seen.add(artifact_id)
            if artifact is not None:
                contents.artifacts.append(artifact)
    contents.annotations = list(_annotations_of(registry, set(wanted)))
    if not wanted:
        return moved
    write_archive(path, contents, registry.root)
    for run_id in wanted:
        registry.mark_archived(run_id, path)
    moved.runs, moved.artifacts = len(contents.runs), len(contents.artifacts)
    moved.annotations = len(contents.annotations)
    return moved


def import_archive(registry: Registry, path: Path) -> Moved:
    """Bring an archive's runs back: records the registry no longer has are appended
    (artifacts first, then runs, then their annotations), and runs hidden as archived
    are shown again. Importing twice changes nothing the second time."""
    contents = read_archive(path.expanduser())
    moved = Moved()
    for artifact in contents.artifacts:
        if registry.artifact_json(artifact["id"]) is None:
            registry.store.append(Table.ARTIFACTS, _compact(artifact))
            moved.artifacts += 1
    appended: set[str] = set()
    for run in contents.runs:
        if registry.run_json(run["id"]) is None:
            registry.store.append(Table.RUNS, _compact(run))
            appended.add(run["id"])
            moved.runs += 1
    for annotation in contents.annotations:
        if annotation["run_id"] in appended and annotation["op"] not in ("archive", "unarchive"):
            registry.store.annotate(_compact(annotation))
            moved.annotations += 1
    states = registry.annotations_json([run["id"] for run in contents.runs])
    for run in contents.runs:
        if states[run["id"]].hidden == "archived":
            registry.mark_unarchived(run["id"])
            moved.runs += run["id"] not in appended
        elif run["id"] not in appended:
            moved.skipped.append(f"{run['id']} (already in the registry)")
    return moved


def _annotations_of(registry: Registry, run_ids: set[str]) -> Iterator[JsonObject]:
    """The stored annotations of these runs, in log order (valid records only), from
    whatever store holds them (a directory's log, or a database server)."""
    if not run_ids:
        return
    for _, line in registry.store.lines(ANNOTATIONS):
        annotation = codec.decode(ANNOTATIONS, line)
        if annotation["run_id"] in run_ids:
            yield annotation
