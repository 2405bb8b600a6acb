"""Writing a user's output file: whole or not at all.

The one implementation every output path uses (producers' outputs, exported configs,
``artifacts get``, PROV-JSON, MedLang's ``write_file``/``write_csv``, reports), so
they all share the same guarantees: a reader or a crash sees the old file or the new
one, never a part, and the new one survives a crash once written; nothing is left
behind; the file is never world-writable.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

Fill = Callable[[BinaryIO], None]  # writes the new content into the handle it is given


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` whole or not at all (see ``write_atomic``)."""
    write_atomic(path, lambda handle: handle.write(data))


def write_text_atomic(path: Path, text: str) -> None:
    """``write_bytes_atomic`` of UTF-8 text (newlines written as given)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_atomic(path: Path, fill: Fill) -> None:
    """Replace ``path`` with what ``fill`` writes, whole or not at all.

    The content goes to a file beside ``path`` that gets its name only once it is
    complete and fsync'd: on Linux an unnamed file (``O_TMPFILE``), so even a SIGKILL
    mid-write leaves nothing behind; elsewhere a named temporary file removed on any
    error. Mode 0644 less the umask: never world-writable, even under umask 000. A
    device or pipe (``/dev/stdout``) is written in place: renaming over it would
    replace it with a regular file. ``fill`` must write the whole content each time it
    is called: it is called again if the unnamed file cannot be given a name.
    """
    if path.exists() and not path.is_file() and not path.is_dir():
        with path.open("wb") as handle:
            fill(handle)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if not _replace_via_unnamed_file(path, fill):
        _replace_via_named_file(path, fill)
    _sync_directory(path.parent)  # the rename itself survives a crash


def _sync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return  # a directory that cannot be opened for reading: the rename still happened
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory
    finally:
        os.close(fd)


def _mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o644 & ~umask


def _replace_via_named_file(path: Path, fill: Fill) -> None:
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _mode())
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _replace_via_unnamed_file(path: Path, fill: Fill) -> bool:
    """Linux: fill an unnamed file (``O_TMPFILE``) and name it only when complete.
    False where the file system cannot (the caller falls back to a named file)."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not Path("/proc/self/fd").is_dir():
        return False
    try:
        fd = os.open(path.parent, flag | os.O_WRONLY | os.O_CLOEXEC, _mode())
    except OSError:
        return False
    named = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    with os.fdopen(fd, "wb") as handle:
        fill(handle)
        handle.flush()
        os.fsync(handle.fileno())
        proc = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:  # linkat(AT_SYMLINK_FOLLOW) of /proc/self/fd/N gives the unnamed file a name
            os.link(str(handle.fileno()), named, src_dir_fd=proc, follow_symlinks=True)
        except OSError:
            return False
        finally:
            os.close(proc)
    try:
        os.replace(named, path)
    except BaseException:
        named.unlink(missing_ok=True)
        raise
    return True
