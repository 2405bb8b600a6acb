"""Nothing writes inside the registry except the registry.

Every command that writes a file the user names (``--out``, ``--out-model``,
``runs export-config --out`` ...) asks ``refuse_registry_output`` first: a path
that resolves (after ``~`` and symlinks) into the registry directory, or that is
one of the registry's own files under another name (a hard link), is refused with
one line, before any work. ``mlc run-evidence --out $MEDLANG_REGISTRY/runs.jsonl``
would otherwise replace the run log with a result file.

A registry on a database server (a ``postgresql://`` URL) has no directory here:
no local path can write into it, so there is nothing to guard.
"""

from __future__ import annotations

import os
from pathlib import Path

from medlang.registry.errors import RegistryError
from medlang.registry.pg_url import is_postgres_url


class OutputInRegistryError(RegistryError):
    """An output path that would write inside the registry."""


def refuse_registry_output(path: Path | str, registry_root: Path | str, option: str) -> None:
    """Raise ``OutputInRegistryError`` if writing ``path`` would write inside the registry.

    ``registry_root`` is the registry's directory (or archive file), or the URL of a
    registry on a server (nothing to guard). ``option`` names the output in the
    message (e.g. ``"--out"``). Cheap: a couple of ``realpath``/``stat`` calls.
    """
    if is_postgres_url(os.fspath(registry_root)):
        return  # no registry directory on this machine: any local path is outside it
    shown = os.fspath(path)
    target = os.path.realpath(os.path.expanduser(shown))
    root = os.path.realpath(os.path.expanduser(os.fspath(registry_root)))
    if target == root or target.startswith(root.rstrip(os.sep) + os.sep):
        raise OutputInRegistryError(
            f"{shown}: {option} is inside the registry {root}; only the registry writes "
            "there (choose a path outside it)"
        )
    owned = _registry_file_with_same_inode(target, root)
    if owned is not None:
        raise OutputInRegistryError(
            f"{shown}: {option} is the registry's own {owned} under another name "
            "(a hard link); choose another path"
        )


def _registry_file_with_same_inode(target: str, root: str) -> str | None:
    """The name of the registry file ``target`` is a hard link to, if any."""
    try:
        info = os.stat(target)
    except OSError:
        return None  # does not exist (yet): cannot be a registry file
    if info.st_nlink < 2:
        return None
    try:
        entries = list(os.scandir(root))
    except OSError:
        return None
    for entry in entries:
        try:
            other = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
            return entry.name
    return None
