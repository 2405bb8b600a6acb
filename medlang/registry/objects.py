"""The content-addressed object store: the bytes of every input and output a run read
or wrote, under ``objects/sha256/ab/cdef…`` beside the logs (git/DVC style).

An object is written once and never changed: copied (never hard-linked: an edit of
the original in place must not reach the stored bytes) into a temporary file in the
store, fsync'd, made read-only and renamed to the name of its sha256. A second copy
of the same bytes adds nothing. Readers therefore see a complete object or none.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from medlang.registry.errors import RegistryError

OBJECTS_DIR = "objects"
ALGORITHM = "sha256"
# Generous: a registry holds configs, programs, models and reports, not raw data sets.
DEFAULT_MAX_OBJECT_BYTES = 2 << 30
MAX_OBJECT_BYTES_ENV = "MEDLANG_MAX_OBJECT_BYTES"
_CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What storing one file did: its sha256, its size and whether it was new."""

    sha256: str
    size: int
    added: bool  # False: the store held these bytes already (dedup)


def is_sha256(text: object) -> bool:
    return isinstance(text, str) and _SHA256.fullmatch(text) is not None


def require_sha256(text: object) -> str:
    if not is_sha256(text):
        raise RegistryError(f"not a sha256 (64 lowercase hex digits): {text!r}")
    return str(text)


def max_object_bytes() -> int:
    """The per-file limit: ``$MEDLANG_MAX_OBJECT_BYTES`` if set, else 2 GiB."""
    text = os.environ.get(MAX_OBJECT_BYTES_ENV)
    if not text:
        return DEFAULT_MAX_OBJECT_BYTES
    try:
        value = int(text)
    except ValueError:
        raise RegistryError(f"{MAX_OBJECT_BYTES_ENV}={text!r} is not a number of bytes") from None
    if value < 0:
        raise RegistryError(f"{MAX_OBJECT_BYTES_ENV}={text!r} must be >= 0")
    return value


def too_large(path: Path | str, size: int, limit: int) -> RegistryError:
    return RegistryError(
        f"{path}: {_human(size)} is more than the registry stores per file ({_human(limit)}); "
        f"raise the limit with {MAX_OBJECT_BYTES_ENV}=BYTES, or log the run with --no-store "
        "(it then cannot be replayed)"
    )


def open_source(path: Path | str) -> BinaryIO:
    """Open a file to store: a regular file only (a FIFO or device has no fixed bytes)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - returned to the caller
    except OSError as error:
        raise RegistryError(f"{path}: cannot store: {error.strerror or error}") from None
    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        handle.close()
        raise RegistryError(f"{path}: cannot store: not a regular file")
    return handle


def hash_stream(handle: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class ObjectDir:
    """The object store of a registry on the file system."""

    def __init__(self, registry_root: Path) -> None:
        self.root = registry_root / OBJECTS_DIR / ALGORITHM

    def path_of(self, sha256: str) -> Path:
        sha256 = require_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:]

    def has(self, sha256: str) -> bool:
        return is_sha256(sha256) and self.path_of(sha256).is_file()

    def store(self, source: Path | str, max_bytes: int) -> StoredObject:
        with open_source(source) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise too_large(source, size, max_bytes)
            sha256, _ = hash_stream(handle)
            if self.has(sha256):
                # used again now: `mlc gc` must not take it while this run commits
                with contextlib.suppress(OSError):
                    os.utime(self.path_of(sha256))
                return StoredObject(sha256, size, added=False)
            handle.seek(0)
            try:
                return self._copy_in(handle, source, max_bytes)
            except OSError as error:
                raise RegistryError(
                    f"cannot store {source} in {self.root}: {error.strerror or error}"
                ) from None

    def _copy_in(self, handle: BinaryIO, source: Path | str, max_bytes: int) -> StoredObject:
        from medlang.registry.logfile import make_private_dir, sync_dir

        staging = self.root.parent / "tmp"
        make_private_dir(staging)
        fd, temporary = tempfile.mkstemp(prefix="incoming-", dir=staging)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                while chunk := handle.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:  # it grew while we copied
                        raise too_large(source, size, max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            final = self.path_of(sha256)
            if final.exists():
                return StoredObject(sha256, size, added=False)
            os.chmod(temporary, 0o444)
            make_private_dir(final.parent)
            os.replace(temporary, final)  # same bytes if another writer won the race
            sync_dir(final.parent)
            return StoredObject(sha256, size, added=True)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def open(self, sha256: str) -> BinaryIO:
        """The object's bytes. Only a regular file is an object: a symlink or a pipe
        planted in the store is refused, never followed (readers trust a hash, not a
        path, and the web app serves these bytes)."""
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self.path_of(sha256), flags)
        except FileNotFoundError:
            raise RegistryError(f"object {sha256} is not in the registry's store") from None
        except OSError as error:
            raise RegistryError(f"cannot read object {sha256}: {error.strerror or error}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise RegistryError(f"object {sha256} in the registry's store is not a regular file")
        return os.fdopen(fd, "rb")

    def ids(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for prefix in sorted(os.listdir(self.root)):
            folder = self.root / prefix
            if len(prefix) != 2 or not folder.is_dir():
                continue
            for rest in sorted(os.listdir(folder)):
                if is_sha256(prefix + rest):
                    yield prefix + rest

    def size(self, sha256: str) -> int | None:
        try:
            return self.path_of(sha256).stat().st_size
        except OSError:
            return None

    def remove(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_of(sha256).unlink()

    def stale_temporaries(self) -> list[Path]:
        """Copies interrupted before their rename (a crash or SIGKILL mid-store)."""
        staging = self.root.parent / "tmp"
        return sorted(staging.glob("incoming-*")) if staging.is_dir() else []


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
