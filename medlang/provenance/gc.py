"""``mlc gc``: free what no committed record needs.

Removed: stored objects that no committed run (its inputs, environment lock) or
committed artifact references; artifact records whose run was never written
(a crash or kill mid-commit); copies interrupted before they were renamed into the
store. Only what is older than a grace period (default 1 day): a run may be
between storing its inputs and writing its record right now, and a store reuses
(and touches) an object it needs again. Nothing a committed record references is
ever removed.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta

from medlang.registry.objects import ObjectStore, Temporary
from medlang.registry.storage import JsonObject, Table
from medlang.registry.store import Registry

DEFAULT_GRACE = timedelta(days=1)


@dataclass
class Collection:
    objects: list[tuple[str, int]] = field(default_factory=list)  # (sha256, size)
    uncommitted: list[JsonObject] = field(default_factory=list)
    temporaries: list[Temporary] = field(default_factory=list)
    kept_young: int = 0  # unreferenced but within the grace period

    @property
    def freed_bytes(self) -> int:
        return sum(size for _, size in self.objects) + sum(t.size for t in self.temporaries)


def referenced_objects(registry: Registry) -> set[str]:
    """Every sha256 a committed run or committed artifact names."""
    from medlang.registry.inputs import input_files

    referenced: set[str] = set()
    for run in registry.store.select(Table.RUNS):
        referenced.update(f.sha256 for f in input_files(run.get("config")))
        lock = (run.get("env") or {}).get("packages")
        if isinstance(lock, str):
            referenced.add(lock)
    for artifact in registry.store.select(Table.ARTIFACTS):
        if isinstance(artifact.get("sha256"), str) and registry.is_committed(artifact):
            referenced.add(artifact["sha256"])
    return referenced


def plan(registry: Registry, grace: timedelta = DEFAULT_GRACE) -> Collection:
    """What ``collect`` would remove (``mlc gc --dry-run`` prints this)."""
    from medlang.registry.timestamps import parse_timestamp, utc_now

    cutoff = time.time() - grace.total_seconds()
    found = Collection()
    now = utc_now()
    young_artifact_objects: set[str] = set()
    for artifact in registry.uncommitted_artifacts_json():
        created = parse_timestamp(artifact["created_at"])
        if (now - created) > grace:
            found.uncommitted.append(artifact)
        elif isinstance(artifact.get("sha256"), str):
            young_artifact_objects.add(artifact["sha256"])
    keep = referenced_objects(registry) | young_artifact_objects
    # the store's ObjectStore (a directory, an fsspec URL, a database table), if it
    # has one: it knows when each object was last stored (the memory store does not)
    objects: ObjectStore | None = getattr(registry.store, "objects", None)
    for sha256 in registry.store.object_ids():
        if sha256 in keep:
            continue
        if objects is not None and (objects.modified(sha256) or 0.0) > cutoff:
            found.kept_young += 1
            continue
        found.objects.append((sha256, registry.store.object_size(sha256) or 0))
    if objects is not None:
        found.temporaries = objects.stale_temporaries(cutoff)
    return found


def collect(registry: Registry, grace: timedelta = DEFAULT_GRACE) -> Collection:
    """Remove what ``plan`` finds; returns it."""
    found = plan(registry, grace)
    doomed = {artifact["id"] for artifact in found.uncommitted}
    if doomed:
        remove = getattr(registry.store, "remove_uncommitted_artifacts", None)  # a server's
        if remove is not None:
            remove(sorted(doomed))
        else:
            _remove_artifact_lines(registry, doomed)
    for sha256, _ in found.objects:
        registry.store.remove_object(sha256)
    objects: ObjectStore | None = getattr(registry.store, "objects", None)
    for temporary in found.temporaries:
        if objects is not None:
            objects.remove_temporary(temporary)
    return found


def _remove_artifact_lines(registry: Registry, doomed: set[str]) -> None:
    """Rewrite ``artifacts.jsonl`` without these records, under the writers' lock (the
    index notices the replaced file and rebuilds). JSONL only: a memory store holds
    no uncommitted artifacts past its process."""
    log = registry.store.logs[Table.ARTIFACTS]
    with log.exclusive() as fd:
        size = os.fstat(fd).st_size
        data = os.pread(fd, size, 0) if size else b""
        lines = data.split(b"\n")
        tail = lines.pop()  # b"" after the final newline, else an unterminated line
        kept = [line for line in lines if _record_id(line) not in doomed]
        if len(kept) != len(lines):
            log.replace_contents(b"".join(line + b"\n" for line in kept) + tail)


def _record_id(line: bytes) -> object:
    try:
        return json.loads(line).get("id")
    except (ValueError, AttributeError):
        return None  # a bad line stays (it is skipped with a warning anyway)
