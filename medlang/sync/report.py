"""What a sync did, as one line for people and one JSON object for scripts."""

from __future__ import annotations

from typing import Any

from medlang.sync.transfer import Counts

_KINDS = ("runs", "artifacts", "annotations", "objects")


def summary(counts: Counts, verb: str, *, dry_run: bool) -> str:
    """``pushed 1,234 runs, 1,234 artifacts, 56 annotations, 78 objects (12.3 MB);
    10 runs already there`` (``verb``: push or pull)."""
    sent = [(kind, getattr(counts, kind).sent) for kind in _KINDS]
    there = [(kind, getattr(counts, kind).there) for kind in _KINDS]
    done = f"would {verb}" if dry_run else f"{verb}ed"
    if any(n for _, n in sent):
        text = f"{done} {_sent(counts)}"
    else:
        text = f"nothing to {verb}: the target holds everything"
    held = [_count(n, kind) for kind, n in there if n]
    if held:
        text += f"; {', '.join(held)} already there"
    if counts.orphan_annotations:
        text += (
            f"; {_count(counts.orphan_annotations, 'annotations')} of runs neither "
            "registry holds left out"
        )
    return text


def progress(counts: Counts, verb: str) -> str:
    """The line shown while a sync runs (on a terminal)."""
    return f"{verb}ing: {_sent(counts)} so far"


def interrupted(counts: Counts, verb: str) -> str:
    """What to tell someone who stopped a sync midway."""
    sent = _sent(counts) if any(getattr(counts, kind).sent for kind in _KINDS) else "nothing"
    return (
        f"stopped after {verb}ing {sent}; what was sent is kept: "
        "run the same command again to finish"
    )


def _sent(counts: Counts) -> str:
    text = ", ".join(_count(getattr(counts, kind).sent, kind) for kind in _KINDS)
    return text + (f" ({_bytes(counts.object_bytes)})" if counts.objects.sent else "")


def as_json(counts: Counts, *, source: str, target: str, dry_run: bool) -> dict[str, Any]:
    return {
        "from": source,
        "to": target,
        "dry_run": dry_run,
        "sent": {kind: getattr(counts, kind).sent for kind in _KINDS}
        | {"object_bytes": counts.object_bytes},
        "already_there": {kind: getattr(counts, kind).there for kind in _KINDS},
        "orphan_annotations": counts.orphan_annotations,
    }


def _count(n: int, kind: str) -> str:
    return f"{n:,} {kind if n != 1 else kind.removesuffix('s')}"


def _bytes(size: int) -> str:
    if size < 1000:
        return f"{size} bytes" if size != 1 else "1 byte"
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1000
        if size < 1000 or unit == "TB":
            return f"{size:.1f} {unit}"
    raise AssertionError("unreachable")
