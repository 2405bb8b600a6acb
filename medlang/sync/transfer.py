"""Move what the target lacks, in the order the commit rule asks for.

A registry commits a run in three steps: its objects, then its artifact records,
then the run record (the commit point); annotations name runs that exist. A
transfer keeps that order across two stores, phase by phase:

1. the runs to send are fixed first (a snapshot of the source's run ids), so a
   run logged while the transfer runs is left for the next one, never sent
   without the artifacts logged just before it;
2. objects, by sha256 (their bytes are checked against it on the way);
3. artifact records, then run records, then annotations, each in the source's
   log order, in batches the target writes with ``append_many``/``annotate_many``.

Every step asks the target what it holds (``known_ids``, ``object_ids``) before
sending, and the target keeps the first record of an id, so a transfer is
idempotent; a killed one resumes where it stopped, and because each phase goes
in log order, the target ends with the same records in the same order as if it
had never been interrupted.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from medlang.registry.errors import RegistryError
from medlang.registry.storage import ANNOTATIONS, RecordStore, Table, batches

BATCH = 1000  # records per known_ids question and per append_many
_CHUNK = 1 << 20


@dataclass
class Tally:
    """Of one kind of thing: how many were sent, and how many the target had."""

    sent: int = 0
    there: int = 0


@dataclass
class Counts:
    runs: Tally = field(default_factory=Tally)
    artifacts: Tally = field(default_factory=Tally)
    annotations: Tally = field(default_factory=Tally)
    objects: Tally = field(default_factory=Tally)
    object_bytes: int = 0  # the bytes of the objects sent
    orphan_annotations: int = 0  # of runs neither registry holds: not sent


def transfer(
    source: RecordStore,
    target: RecordStore,
    *,
    dry_run: bool = False,
    counts: Counts | None = None,
    progress: Callable[[Counts], None] | None = None,
) -> Counts:
    """Send what ``target`` lacks from ``source`` (``dry_run``: only count it).

    ``counts`` is filled as the transfer goes, so a caller interrupted midway can
    say how far it got; ``progress(counts)`` is called after each object and batch."""
    counts = Counts() if counts is None else counts

    def step() -> None:
        if progress is not None:
            progress(counts)

    runs = {run_id for run_id, _ in source.lines(Table.RUNS)}
    _send_objects(source, target, counts, dry_run, step)
    _send_records(source, target, Table.ARTIFACTS, counts.artifacts, dry_run, step)
    _send_records(source, target, Table.RUNS, counts.runs, dry_run, step, only=runs)
    _send_annotations(source, target, counts, dry_run, runs, step)
    return counts


def _send_objects(
    source: RecordStore,
    target: RecordStore,
    counts: Counts,
    dry_run: bool,
    step: Callable[[], None],
) -> None:
    held = set(target.object_ids())
    with tempfile.TemporaryDirectory(prefix="medlang-sync-") as spool:
        for sha256 in source.object_ids():
            if sha256 in held:
                counts.objects.there += 1
                continue
            if dry_run:
                size = source.object_size(sha256) or 0
            else:
                size = _copy_object(source, target, sha256, Path(spool) / "object")
            counts.objects.sent += 1
            counts.object_bytes += size
            step()


def _copy_object(source: RecordStore, target: RecordStore, sha256: str, spool: Path) -> int:
    """Through a local file (``store_object`` takes one), checked against its name:
    damaged bytes are never passed on under a hash they do not have."""
    digest, size = hashlib.sha256(), 0
    with source.open_object(sha256) as bytes_in, open(spool, "wb") as out:
        while chunk := bytes_in.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise RegistryError(
            f"object {sha256} in the source is damaged (its bytes hash to "
            f"{digest.hexdigest()}); not sent. Everything sent so far is kept"
        )
    stored = target.store_object(spool, size)  # the source's limit accepted it already
    os.unlink(spool)
    if stored.sha256 != sha256:  # the target changed the bytes on the way
        raise RegistryError(f"object {sha256} arrived as {stored.sha256}; stopped")
    return size


def _send_records(
    source: RecordStore,
    target: RecordStore,
    table: Table,
    tally: Tally,
    dry_run: bool,
    step: Callable[[], None],
    only: set[str] | None = None,
) -> None:
    for batch in batches(source.lines(table), BATCH):
        if only is not None:
            batch = [(record_id, line) for record_id, line in batch if record_id in only]
        held = target.known_ids(table, [record_id for record_id, _ in batch])
        missing = [line for record_id, line in batch if record_id not in held]
        tally.there += len(batch) - len(missing)
        if missing and not dry_run:
            target.append_many(table, missing)
        tally.sent += len(missing)
        step()


def _send_annotations(
    source: RecordStore,
    target: RecordStore,
    counts: Counts,
    dry_run: bool,
    runs: set[str],
    step: Callable[[], None],
) -> None:
    """After the runs: an annotation goes once the run it names is there. Asked about
    all at once (a directory registry answers by reading its annotation log)."""
    from medlang.registry import codec

    tally = counts.annotations
    lines = list(source.lines(ANNOTATIONS))
    named = {
        annotation_id: codec.decode(ANNOTATIONS, line)["run_id"] for annotation_id, line in lines
    }
    elsewhere = {run_id for run_id in named.values() if run_id not in runs}
    present = runs | (target.known_ids(Table.RUNS, elsewhere) if elsewhere else set())
    held = target.known_ids(ANNOTATIONS, list(named)) if named else set()
    missing = []
    for annotation_id, line in lines:
        if annotation_id in held:
            tally.there += 1
        elif named[annotation_id] not in present:
            counts.orphan_annotations += 1
        else:
            missing.append(line)
    for batch in batches(missing, 10 * BATCH):
        if not dry_run:
            target.annotate_many(batch)
        tally.sent += len(batch)
        step()
