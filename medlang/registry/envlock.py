"""The environment lock: every installed Python distribution as ``name==version``.

A run's ``env.packages`` is the sha256 of this text in the object store, so each
distinct environment is stored once, not inlined in every line; replay compares the
lock of the original run with the current one and names the packages that differ.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import sys
import tempfile
from pathlib import Path

from medlang.registry.store import Registry


@functools.cache
def environment_lock() -> bytes:
    """This interpreter's distributions, sorted, one ``name==version`` per line."""
    from importlib import metadata

    lines = set()
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"] if distribution.metadata else None
        if name:
            lines.add(f"{_normalise(name)}=={distribution.version}")
    return "".join(f"{line}\n" for line in sorted(lines)).encode("utf-8")


def store_environment_lock(registry: Registry) -> str:
    """Store this environment's lock (if it is new) and return its sha256.

    Listing the distributions takes tens of milliseconds, so the sha256 is remembered
    per interpreter and state of its import directories (whose modification times
    change when a package is installed, upgraded or removed).
    """
    remembered = _remembered(registry)
    known = _read(remembered) if remembered is not None else None
    if known is not None and registry.has_object(known):
        return known
    data = environment_lock()
    sha256 = hashlib.sha256(data).hexdigest()
    if registry.has_object(sha256):
        return sha256
    fd, path = tempfile.mkstemp(prefix="medlang-env-", suffix=".txt")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        sha256 = registry.store_file(path)
    finally:
        os.unlink(path)
    if remembered is not None:
        with contextlib.suppress(OSError):  # only a cache
            remembered.parent.mkdir(parents=True, exist_ok=True)
            remembered.write_text(sha256)
    return sha256


def _remembered(registry: Registry) -> Path | None:
    """Where this environment's lock sha256 is cached (JSONL registries only)."""
    if not hasattr(registry.store, "logs"):  # a server registry's root is not a directory
        return None
    state = [sys.executable]
    for entry in sys.path:
        with contextlib.suppress(OSError):
            state.append(f"{entry}:{os.stat(entry or '.').st_mtime_ns}")
    key = hashlib.sha256("\n".join(state).encode("utf-8", "replace")).hexdigest()[:32]
    return registry.root / "objects" / "env-cache" / key


def parse_lock(data: bytes) -> dict[str, str]:
    """``{name: version}`` of a stored lock."""
    packages = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        name, sep, version = line.partition("==")
        if sep:
            packages[name] = version
    return packages


def package_differences(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """``name: old -> new`` lines (``(absent)`` where a side has no such package)."""
    changes = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name, "(absent)"), new.get(name, "(absent)")
        if before != after:
            changes.append(f"{name}: {before} -> {after}")
    return changes


def _normalise(name: str) -> str:
    """PEP 503 normalised project name: ``Foo_Bar`` and ``foo-bar`` are one package."""
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
