"""Writing a user's output file: whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` whole or not at all.

    The bytes go to a temporary file beside ``path``, are fsync'd, then renamed over
    it, so a reader (or a crash) sees the old file or the new one, never a part. The
    file gets mode 0644 less the umask: never world-writable, even under umask 000. A
    device or pipe (``/dev/stdout``) is written in place: renaming over it would
    replace it with a regular file.
    """
    if path.exists() and not path.is_file() and not path.is_dir():
        with path.open("wb") as handle:
            handle.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o644 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """``write_bytes_atomic`` of UTF-8 text."""
    write_bytes_atomic(path, text.encode("utf-8"))
