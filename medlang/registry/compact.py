"""``mlc registry compact``: the one operation that rewrites the registry's logs.

Everything else only appends. Compaction removes what was archived (runs hidden
with an ``archive`` annotation, once the archive file they name is checked to hold
them), the artifact records only those runs referenced, and those runs'
annotations. Every other line is kept byte for byte, in order, including lines
that do not parse (they are skipped with a warning on read, never destroyed here).

Safety: all three logs are held under their writers' locks (artifacts, runs,
annotations: a fixed order, and writers take one lock at a time, so no deadlock)
while each is read whole, written anew beside itself, fsync'd and renamed over
the old one. A writer that was waiting for a lock then opens the new file
(``LogFile._open_locked``), so no concurrently appended line is lost.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from medlang.registry.errors import RegistryError, warn
from medlang.registry.logfile import LogFile
from medlang.registry.paths import ANNOTATIONS_FILE, ARTIFACTS_FILE, RUNS_FILE
from medlang.registry.storage import RunAnnotations


@dataclass
class Compaction:
    """What a compaction removed, and the logs' sizes before and after."""

    runs: int = 0
    artifacts: int = 0
    annotations: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    kept_unverified: list[str] = field(default_factory=list)  # archived, not in their archive


def compact(root: Path) -> Compaction:
    logs = [LogFile(root / name) for name in (ARTIFACTS_FILE, RUNS_FILE, ANNOTATIONS_FILE)]
    existing = [log for log in logs if log.exists()]
    result = Compaction()
    if not existing:
        return result
    try:
        with ExitStack() as stack:
            for log in existing:
                stack.enter_context(log.exclusive())
            contents = {log.path.name: log.path.read_bytes() for log in existing}
            result.bytes_before = sum(len(data) for data in contents.values())
            rewritten = _compacted(contents, result)
            for log in existing:
                if rewritten[log.path.name] != contents[log.path.name]:
                    log.replace_contents(rewritten[log.path.name])
            result.bytes_after = sum(len(data) for data in rewritten.values())
    except OSError as error:
        raise RegistryError(f"cannot compact {root}: {error.strerror or error}") from None
    return result


def _compacted(contents: dict[str, bytes], result: Compaction) -> dict[str, bytes]:
    annotations = _lines(contents.get(ANNOTATIONS_FILE, b""))
    archived = _archived_runs(annotations)
    removed_runs = _verified(archived, result)
    runs = _lines(contents.get(RUNS_FILE, b""))
    kept_runs = [line for line in runs if _field(line, "id") not in removed_runs]
    result.runs = len(runs) - len(kept_runs)
    still_referenced = {a for line in kept_runs for a in _artifact_ids(line)}
    removed_artifacts = {
        a for line in runs if _field(line, "id") in removed_runs for a in _artifact_ids(line)
    } - still_referenced
    artifacts = _lines(contents.get(ARTIFACTS_FILE, b""))
    kept_artifacts = [line for line in artifacts if _field(line, "id") not in removed_artifacts]
    result.artifacts = len(artifacts) - len(kept_artifacts)
    kept_annotations = [line for line in annotations if _field(line, "run_id") not in removed_runs]
    result.annotations = len(annotations) - len(kept_annotations)
    return {
        ARTIFACTS_FILE: _joined(kept_artifacts, contents.get(ARTIFACTS_FILE)),
        RUNS_FILE: _joined(kept_runs, contents.get(RUNS_FILE)),
        ANNOTATIONS_FILE: _joined(kept_annotations, contents.get(ANNOTATIONS_FILE)),
    }


def _archived_runs(annotation_lines: list[bytes]) -> dict[str, str]:
    """Runs whose folded state is "archived": run id -> the archive file named."""
    states: dict[str, RunAnnotations] = {}
    archives: dict[str, str] = {}
    for line in annotation_lines:
        annotation = _decoded(line)
        if not annotation or not isinstance(annotation.get("run_id"), str):
            continue
        if annotation.get("op") not in ("archive", "unarchive", "delete", "restore"):
            continue
        states.setdefault(annotation["run_id"], RunAnnotations.empty()).apply(annotation)
        if annotation["op"] == "archive":
            archives[annotation["run_id"]] = str(annotation.get("archive") or "")
    return {
        run_id: archives.get(run_id, "")
        for run_id, state in states.items()
        if state.hidden == "archived"
    }


def _verified(archived: dict[str, str], result: Compaction) -> set[str]:
    """The archived runs that their archive file really holds (the others are kept)."""
    from medlang.registry.archive import read_archive

    held: dict[str, set[str]] = {}
    verified = set()
    for run_id, archive in archived.items():
        if archive not in held:
            try:
                held[archive] = read_archive(Path(archive)).run_ids() if archive else set()
            except (RegistryError, OSError):
                held[archive] = set()
        if run_id in held[archive]:
            verified.add(run_id)
        else:
            result.kept_unverified.append(run_id)
            where = archive or "its archive"
            warn(f"run {run_id} is marked archived but {where} does not hold it; kept")
    return verified


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n")


def _joined(lines: list[bytes], original: bytes | None) -> bytes:
    """The kept lines, each ended (a torn last line gets the newline an append would add)."""
    if not original:
        return original or b""
    return b"".join(line + b"\n" for line in lines)


def _decoded(line: bytes) -> dict | None:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _field(line: bytes, name: str) -> object:
    decoded = _decoded(line)
    if decoded is None:
        return None
    return _canonical(decoded.get(name))


def _artifact_ids(line: bytes) -> list[str]:
    decoded = _decoded(line) or {}
    ids = decoded.get("artifacts")
    return [_canonical(a) for a in ids] if isinstance(ids, list) else []


def _canonical(value: object) -> str | None:
    """An id as the index knows it (any spelling uuid accepts), else unchanged."""
    from medlang.registry.ids import parse_uuid4

    if not isinstance(value, str):
        return None  # not an id at all: matches nothing (and is hashable)
    try:
        return parse_uuid4(value)
    except ValueError:
        return value
