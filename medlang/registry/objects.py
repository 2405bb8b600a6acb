"""The content-addressed object store: the bytes of every input and output a run read
or wrote, named by their sha256 (git/DVC style).

``ObjectStore`` is the interface every place that keeps objects implements:
``ObjectDir`` here (a directory: ``objects/sha256/ab/cdef…`` beside a registry's
logs, or a shared filesystem path a team configures), ``FsspecObjects`` (any fsspec
URL, such as ``s3://bucket/prefix``) and the PostgreSQL registry's ``objects`` table.
Which one a registry uses is ``object_location``'s business.

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
from abc import ABC, abstractmethod
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


def hash_source(handle: BinaryIO, source: Path | str, max_bytes: int) -> tuple[str, int]:
    """(sha256, size) of a file opened with ``open_source``, refused if over the limit;
    the caller seeks back to copy it."""
    size = os.fstat(handle.fileno()).st_size
    if size > max_bytes:
        raise too_large(source, size, max_bytes)
    return hash_stream(handle)[0], size


def copy_limited(
    handle: BinaryIO, out: BinaryIO, source: Path | str, max_bytes: int
) -> tuple[str, int]:
    """Copy ``handle`` into ``out`` while hashing what is written: (sha256, size) of the
    bytes copied, which name the object even if the file changed since it was hashed."""
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:  # it grew while we copied
            raise too_large(source, size, max_bytes)
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest(), size


@dataclass(frozen=True, slots=True)
class Temporary:
    """A copy interrupted before it was renamed into the store (a crash or SIGKILL)."""

    name: str  # a path or key, as shown to people
    size: int

    def __str__(self) -> str:
        return self.name


class ObjectStore(ABC):
    """Where a registry keeps its objects. Every method takes a sha256 (64 lowercase
    hex digits) and trusts nothing else: names are derived from it, never given."""

    location: str  # where, as shown to people (no secrets)

    @abstractmethod
    def store(self, source: Path | str, max_bytes: int) -> StoredObject:
        """Copy a regular file in, durably and complete or not at all; the same bytes
        twice are stored once. ``RegistryError`` when it is larger than ``max_bytes``,
        not a regular file, or cannot be read or written."""

    @abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """The stored bytes; ``RegistryError`` if absent."""

    @abstractmethod
    def has(self, sha256: str) -> bool: ...

    @abstractmethod
    def ids(self) -> Iterator[str]:
        """Every stored sha256, sorted."""

    @abstractmethod
    def size(self, sha256: str) -> int | None:
        """The stored size in bytes, or None if absent."""

    @abstractmethod
    def remove(self, sha256: str) -> None:
        """Delete an object (``mlc gc`` only); removing an absent one is harmless."""

    @abstractmethod
    def modified(self, sha256: str) -> float | None:
        """When the object was last stored or reused (POSIX seconds), for ``mlc gc``'s
        grace period; None if unknown."""

    def prepare(self) -> None:
        """Create the location, when it is configured (``mlc registry set objects``);
        nothing else ever creates it, so a share that is not mounted is not replaced by
        an empty local directory."""
        return

    def check_writable(self) -> None:
        """``RegistryError`` now if objects could not be stored here (default: a store
        that can only tell by trying says nothing, and its first store reports it)."""
        return

    def stale_temporaries(self, before: float) -> list[Temporary]:
        """Copies interrupted before their rename, last changed before ``before``."""
        return []

    def remove_temporary(self, temporary: Temporary) -> None:
        """Delete one of ``stale_temporaries``."""
        raise RegistryError(f"{self.location} keeps no temporaries: {temporary}")


class ObjectDir(ObjectStore):
    """Objects in a directory: a registry's own ``objects/``, private to its owner,
    or a team's shared filesystem path (``shared``: directories are created with the
    process's umask instead of 0700, so the team's group can read them)."""

    def __init__(self, directory: Path, *, shared: bool = False) -> None:
        self.root = directory / ALGORITHM
        self.shared = shared
        self.location = str(directory)

    @classmethod
    def of_registry(cls, registry_root: Path) -> ObjectDir:
        return cls(registry_root / OBJECTS_DIR)

    def prepare(self) -> None:
        try:
            os.makedirs(self.location, exist_ok=True)
        except OSError as error:
            raise RegistryError(
                f"cannot create the object directory {self.location}: {error.strerror or error}"
            ) from None

    def _require_present(self) -> None:
        """A shared directory must exist: if it is missing, the file system holding it is
        probably not mounted here, and objects written in its place would be stranded."""
        if self.shared and not os.path.isdir(self.location):
            raise RegistryError(
                f"the object directory {self.location} is missing on this machine (is its "
                "shared file system mounted?)"
            )

    def _make_dir(self, path: Path) -> None:
        from medlang.registry.logfile import make_private_dir

        if self.shared:
            self._require_present()
            os.makedirs(path, exist_ok=True)  # the umask and a setgid parent decide
        else:
            make_private_dir(path)

    def path_of(self, sha256: str) -> Path:
        sha256 = require_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:]

    def has(self, sha256: str) -> bool:
        return is_sha256(sha256) and self.path_of(sha256).is_file()

    def store(self, source: Path | str, max_bytes: int) -> StoredObject:
        with open_source(source) as handle:
            sha256, size = hash_source(handle, source, max_bytes)
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
        from medlang.registry.logfile import sync_dir

        staging = self.root.parent / "tmp"
        self._make_dir(staging)
        fd, temporary = tempfile.mkstemp(prefix="incoming-", dir=staging)
        try:
            with os.fdopen(fd, "wb") as out:
                sha256, size = copy_limited(handle, out, source, max_bytes)
                out.flush()
                os.fsync(out.fileno())
            final = self.path_of(sha256)
            if final.exists():
                return StoredObject(sha256, size, added=False)
            os.chmod(temporary, 0o444)
            self._make_dir(final.parent)
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
            self._require_present()
            raise RegistryError(f"object {sha256} is not in the registry's store") from None
        except OSError as error:
            raise RegistryError(f"cannot read object {sha256}: {error.strerror or error}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise RegistryError(f"object {sha256} in the registry's store is not a regular file")
        return os.fdopen(fd, "rb")

    def ids(self) -> Iterator[str]:
        self._require_present()  # an unmounted share is not an empty store
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

    def modified(self, sha256: str) -> float | None:
        try:
            return self.path_of(sha256).stat().st_mtime
        except OSError:
            return None

    def check_writable(self) -> None:
        staging = self.root.parent / "tmp"
        try:
            self._make_dir(staging)
            if not os.access(staging, os.W_OK | os.X_OK):
                raise PermissionError(13, "permission denied", str(staging))
        except OSError as error:
            raise RegistryError(
                f"cannot store objects in {self.location} "
                f"({error.filename or staging}: {error.strerror or error})"
            ) from None

    def stale_temporaries(self, before: float) -> list[Temporary]:
        staging = self.root.parent / "tmp"
        found = []
        for path in sorted(staging.glob("incoming-*")) if staging.is_dir() else []:
            with contextlib.suppress(OSError):
                info = path.stat()
                if info.st_mtime < before:
                    found.append(Temporary(str(path), info.st_size))
        return found

    def remove_temporary(self, temporary: Temporary) -> None:
        Path(temporary.name).unlink(missing_ok=True)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
