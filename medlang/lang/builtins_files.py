"""Writing files: ``write_file(path, text)`` and ``write_csv(path, header, rows)``.

An analysis may write tables and reports, but only inside the directory it is
run from (the current directory tree): a path is refused, before anything is
written, when it is absolute and outside that tree, when ``..`` climbs out of it,
when a symlink on the way leads out of it, and when it lies inside the run
registry (only the registry writes there). Missing directories inside the tree
are created. A file is written whole or not at all: to a temporary file beside
it, flushed to disk, then renamed over the target.

CSV follows RFC 4180 (fields quoted when they contain a comma, a quote or a line
break; quotes doubled) with ``\\n`` line endings; every row must have as many
fields as the header.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from medlang.files import write_text_atomic
from medlang.lang.builtin_rules import BuiltinFailure, _entry, _fixed
from medlang.lang.types import STRING, UNIT, VectorType


def checked_output_path(ctx, path: str) -> Path:
    """The real path ``path`` names, if writing there is allowed; else BuiltinFailure."""
    if path == "" or "\0" in path:
        raise BuiltinFailure(f"{path!r} is not a file path")
    root = os.path.realpath(os.getcwd())
    written = os.path.join(root, path)  # an absolute `path` replaces root
    if not _within(os.path.normpath(written), root):
        raise BuiltinFailure(
            f"{path!r} is outside the current directory; "
            "a program only writes files below the directory it runs in"
        )
    target = os.path.realpath(written)
    if not _within(target, root):
        raise BuiltinFailure(
            f"{path!r} leads outside the current directory through a symlink ({target})"
        )
    if os.path.isdir(target):
        raise BuiltinFailure(f"{path!r} is a directory")
    registry_root = getattr(ctx, "registry_root", None)
    if registry_root is not None:
        from medlang.registry.guard import OutputInRegistryError, refuse_registry_output

        try:
            refuse_registry_output(target, registry_root(), "the path")
        except OutputInRegistryError as error:
            raise BuiltinFailure(str(error)) from None
    return Path(target)


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def write_text(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` whole or not at all (``files.write_text_atomic``)."""
    try:
        write_text_atomic(target, text)
    except OSError as error:
        raise BuiltinFailure(f"cannot write {target}: {error.strerror or error}") from None


def _write_file(ctx, path: str, text: str) -> None:
    write_text(checked_output_path(ctx, path), text)


def _write_csv(ctx, path: str, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> None:
    target = checked_output_path(ctx, path)
    for number, row in enumerate(rows, start=1):
        if len(row) != len(header):
            raise BuiltinFailure(
                f"row {number} has {len(row)} fields but the header has {len(header)}"
            )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text(target, buffer.getvalue())


ENTRIES = dict(
    [
        _entry("write_file", _fixed((STRING, STRING), UNIT), _write_file),
        _entry(
            "write_csv",
            _fixed((STRING, VectorType(STRING), VectorType(VectorType(STRING))), UNIT),
            _write_csv,
        ),
    ]
)
