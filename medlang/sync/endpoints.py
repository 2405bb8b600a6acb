"""Which registries can be synced: checked before anything moves, each problem one line.

A source is a registry that exists (a directory holding one, an archive, a
server); a target is a server, or a directory that is a registry, new or empty
(never an archive: those are read-only). The two must not be the same registry,
however they are named (another path to the directory, another host name of
the server): ``RecordStore.identity`` tells.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from medlang.registry.errors import RegistryError
from medlang.registry.paths import ANNOTATIONS_FILE, ARTIFACTS_FILE, RUNS_FILE

if TYPE_CHECKING:
    from medlang.registry.store import Registry

_REGISTRY_ENTRIES = (RUNS_FILE, ARTIFACTS_FILE, ANNOTATIONS_FILE, "objects")


def check(source: Registry, target: Registry, *, dry_run: bool) -> None:
    check_source(source)
    check_target(target, dry_run=dry_run)
    if source.store.identity() == target.store.identity():
        raise RegistryError(
            f"{source.location} and {target.location} are the same registry: nothing to sync"
        )


def check_source(registry: Registry) -> None:
    if _remote(registry) or registry.root.is_file():  # a server, an archive
        return  # (a server not migrated says so at the first question)
    root = registry.root
    if not root.exists():
        raise RegistryError(f"no registry at {root}")
    if not _holds_registry(root):
        raise RegistryError(
            f"{root} is not a registry (it holds none of {', '.join(_REGISTRY_ENTRIES)})"
        )


def check_target(registry: Registry, *, dry_run: bool) -> None:
    if _remote(registry):
        return
    root = registry.root
    if root.is_file():
        raise RegistryError(f"{root} is an archive, read-only: sync into a registry directory")
    if root.is_dir() and not _holds_registry(root) and any(root.iterdir()):
        raise RegistryError(
            f"{root} is a directory but not a registry: name a registry, "
            "or a new or empty directory"
        )
    if not dry_run:  # a dry run creates nothing, not even the directory
        registry.check_writable()


def _remote(registry: Registry) -> bool:
    return bool(getattr(registry.store, "remote", False))


def _holds_registry(root: Path) -> bool:
    return root.is_dir() and any((root / name).exists() for name in _REGISTRY_ENTRIES)
