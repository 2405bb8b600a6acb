"""One append-only JSONL log file: durable locked appends and positioned reads.

Every append takes an exclusive ``flock``, writes the whole line with one
``os.write`` on an ``O_APPEND`` descriptor and syncs it before unlocking, so
concurrent writers in several processes never interleave and a returned write
survives a crash. Readers that need a consistent end of file take a shared lock
just long enough to read the size: nobody is half way through a write then.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from medlang.registry.errors import RegistryError
from medlang.registry.safe_files import open_registry_file

_SYNC = getattr(os, "fdatasync", os.fsync)  # fdatasync also syncs the file size
_FINGERPRINT_BYTES = 256


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Identifies the first ``size`` bytes of a log, to notice a replaced or rewritten file."""

    inode: int
    device: int
    size: int
    head: str  # hash of the first bytes (never change in an append-only file)
    tail: str  # hash of the bytes just before ``size``


def make_private_dir(path: Path) -> None:
    """Create ``path`` and missing parents with mode 0700 (registry contents are private)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            os.mkdir(directory, 0o700)


class LogFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, line: bytes) -> None:
        """Durably append one record line (without its newline)."""
        try:
            self._append(line)
        except OSError as error:  # the registry is a file, full, read-only ...
            raise RegistryError(f"cannot write {self.path}: {error.strerror or error}") from None

    def append_many(self, lines: list[bytes]) -> None:
        """Durably append several record lines with one locked write and one sync."""
        if lines:
            self.append(b"\n".join(lines))

    def _append(self, line: bytes) -> None:
        make_private_dir(self.path.parent)
        existed = self.path.exists()
        fd = self._open_locked()
        try:
            try:
                data = line + b"\n"
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    # a torn tail from a crashed writer: end it so it cannot swallow this record
                    data = b"\n" + data
                _write_all(fd, data)
                _SYNC(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        if not existed:
            sync_dir(self.path.parent)  # make the new directory entry durable too

    def _open_locked(self) -> int:
        """The log opened for appending under its exclusive lock. If ``compact`` replaced
        the file while this writer waited for the lock, the descriptor names the old
        file, now unlinked: open the new one instead, or the line would be lost."""
        while True:
            fd = open_registry_file(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(self.path, follow_symlinks=False)
            except FileNotFoundError:
                current = None
            opened = os.fstat(fd)
            if current is not None and (current.st_ino, current.st_dev) == (
                opened.st_ino,
                opened.st_dev,
            ):
                return fd
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @contextmanager
    def exclusive(self) -> Iterator[int]:
        """The log's descriptor under its writers' lock (appends wait meanwhile), for
        ``replace_contents``; the log must exist."""
        fd = open_registry_file(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # releases the lock

    def replace_contents(self, data: bytes) -> None:
        """Atomically replace the log with ``data`` (call inside ``exclusive``): a new
        file beside it, fsync'd, renamed over it, the directory fsync'd. Writers that
        were waiting for the lock then find the new file (see ``_open_locked``)."""
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.compact")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        sync_dir(self.path.parent)

    def exists(self) -> bool:
        """Is there anything at the path (a symlink too: it is refused when opened)."""
        return os.path.lexists(self.path)

    @contextmanager
    def reader(self) -> Iterator[LogReader]:
        """The log opened for reading: never through a symlink, never a FIFO or device."""
        fd = open_registry_file(self.path, os.O_RDONLY)
        try:
            yield LogReader(fd)
        finally:
            os.close(fd)


class LogReader:
    """An open log for reading; positions are byte offsets."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def settled_size(self) -> int:
        """The file size at a moment when no writer is in the middle of a record."""
        return self.settled_size_and_mtime()[0]

    def settled_size_and_mtime(self) -> tuple[int, int]:
        """Size and ``st_mtime_ns`` at a moment when no writer is in the middle of a record."""
        fcntl.flock(self.fd, fcntl.LOCK_SH)
        try:
            info = os.fstat(self.fd)
            return info.st_size, info.st_mtime_ns
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def mtime(self) -> int:
        return os.fstat(self.fd).st_mtime_ns

    def read(self, offset: int, length: int) -> bytes:
        return os.pread(self.fd, length, offset)

    def fingerprint(self, size: int) -> Fingerprint:
        stat = os.fstat(self.fd)
        head = self.read(0, min(size, _FINGERPRINT_BYTES))
        tail_start = max(0, size - _FINGERPRINT_BYTES)
        tail = self.read(tail_start, size - tail_start)
        return Fingerprint(stat.st_ino, stat.st_dev, size, _digest(head), _digest(tail))

    def lines(
        self, start: int, end: int, chunk_size: int = 8 << 20
    ) -> Iterator[tuple[int, bytes, bool]]:
        """``(offset, line, terminated)`` for each line in ``[start, end)``, newline removed.

        Only the last line can be unterminated: a torn tail, or a record still in flight
        if ``end`` was not a settled size.
        """
        carry = b""
        carry_offset = start
        position = start
        while position < end:
            chunk = self.read(position, min(chunk_size, end - position))
            if not chunk:
                break
            position += len(chunk)
            buffer = carry + chunk if carry else chunk
            line_start = 0
            while (newline := buffer.find(b"\n", line_start)) != -1:
                yield carry_offset + line_start, buffer[line_start:newline], True
                line_start = newline + 1
            carry_offset += line_start
            carry = buffer[line_start:]
        if carry:
            yield carry_offset, carry, False


def _digest(data: bytes) -> str:
    # Not security: with the size, the inode and the id check on every read, a
    # CRC is plenty to notice a rewritten log, and zlib is already loaded.
    return f"{zlib.crc32(data):08x}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def sync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
