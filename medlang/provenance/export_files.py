"""The bytes of a lineage graph's files, copied out of the registry for an export.

Readers never trust a path, only a hash: a file's bytes come from the registry's
object store, re-hashed while they are copied. Only for a file the store does not
hold (a run logged before inputs were stored, or with ``--no-store``) is the file
at its recorded path used, and only if it still hashes to the recorded sha256.
Anything else is reported as not exported, with the reason, never guessed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from medlang.provenance.lineage import FileNode, LineageGraph
from medlang.registry.errors import RegistryError

if TYPE_CHECKING:
    from medlang.registry.store import Registry

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """Where a file of the graph ended up: ``name`` (relative to the export) when its
    bytes were written, else None and ``note`` says why."""

    node: FileNode
    name: str | None
    source: str | None  # "object store" or "recorded path"
    note: str | None = None
    size: int = 0  # bytes written


def copy_files(registry: Registry, graph: LineageGraph, directory: Path) -> dict[str, ExportedFile]:
    """Write every file of ``graph`` whose bytes are available under ``directory``
    (one name per content), by sha256."""
    exported: dict[str, ExportedFile] = {}
    taken: set[str] = set()
    for sha256, node in graph.files.items():
        name = _unique_name(node, taken)
        exported[sha256] = _copy_one(registry, node, directory, name)
        if exported[sha256].name is not None:
            taken.add(name)
    return exported


def _copy_one(registry: Registry, node: FileNode, directory: Path, name: str) -> ExportedFile:
    target = directory / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if registry.has_object(node.sha256):
        with registry.open_object(node.sha256) as stream:
            if _copy_verified(stream, target, node.sha256):
                return ExportedFile(node, name, "object store", size=target.stat().st_size)
        damaged = "the stored object is damaged (its bytes no longer hash to its sha256)"
        return ExportedFile(node, None, None, damaged)
    for path in node.paths:
        try:
            with open(path, "rb") as stream:
                if os.path.isfile(path) and _copy_verified(stream, target, node.sha256):
                    size = target.stat().st_size
                    return ExportedFile(node, name, "recorded path", size=size)
        except OSError:
            continue
    note = "not in the registry's object store"
    if node.paths:
        note += " and no longer at its recorded path with the recorded sha256"
    return ExportedFile(node, None, None, note + "; only its sha256 is exported")


def _copy_verified(stream: BinaryIO, target: Path, sha256: str) -> bool:
    """Copy, hashing as we go; keep the copy only if the bytes are the expected ones."""
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() == sha256:
        return True
    target.unlink()
    return False


def _unique_name(node: FileNode, taken: set[str]) -> str:
    """``data/<file name>``, prefixed with the hash when another content has that name."""
    base = Path(node.paths[0]).name if node.paths else ""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".") or node.sha256[:16]
    name = f"data/{base}"
    return name if name not in taken else f"data/{node.sha256[:12]}-{base}"


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def check_output_directory(out: Path) -> None:
    """An export goes to a new or empty directory (never over someone's files)."""
    if out.exists() or out.is_symlink():
        if not out.is_dir() or out.is_symlink():
            raise RegistryError(f"{out}: --out must be a new or empty directory")
        if any(out.iterdir()):
            raise RegistryError(f"{out}: --out directory is not empty; give a new or empty one")
