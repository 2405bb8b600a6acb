"""Objects at any fsspec URL (``s3://bucket/prefix`` through s3fs, ``gs://``, ``sftp://`` ...).

The layout is a directory store's: ``<url>/sha256/ab/cdef…``, interrupted uploads
under ``<url>/tmp/``. An upload goes to a temporary key first, is read back and
its sha256 checked, and only then moved to its name (on S3 a server-side copy that
appears whole), so a reader never sees a partial or corrupted object.

fsspec and its protocol's package are imported lazily (the ``medlang[s3]`` extra):
only a registry configured with such a URL needs them. Credentials never come from
the URL (``object_location`` refuses them there): they come from the environment
or the protocol's own configuration (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
``~/.aws/credentials``, ``AWS_ENDPOINT_URL`` for an S3-compatible server ...).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from medlang.registry.errors import RegistryError
from medlang.registry.objects import (
    ALGORITHM,
    ObjectStore,
    StoredObject,
    Temporary,
    copy_limited,
    hash_source,
    hash_stream,
    is_sha256,
    open_source,
    require_sha256,
)

T = TypeVar("T")
# under tmp/: uploads not yet moved to their name, and check_writable's probes
_TEMPORARY_PREFIXES = ("incoming-", "probe-")
_PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs"}


class FsspecObjects(ObjectStore):
    def __init__(self, url: str, shown: str) -> None:
        """``url``: checked by ``object_location`` (no credentials in it); ``shown``:
        the same without anything secret, for messages."""
        self.location = shown
        protocol = url.split("://", 1)[0].lower()
        try:
            import fsspec.core
        except ImportError:
            raise RegistryError(_missing(shown, "fsspec")) from None
        try:
            self.fs, root = fsspec.core.url_to_fs(url)
        except ImportError:
            package = _PACKAGES.get(protocol, f"the fsspec package for {protocol}://")
            raise RegistryError(_missing(shown, package)) from None
        except (ValueError, TypeError, OSError) as error:
            raise RegistryError(f"objects at {shown}: {_first_line(error)}") from None
        self.root = str(root).rstrip("/")

    def _key(self, sha256: str) -> str:
        sha256 = require_sha256(sha256)
        return f"{self.root}/{ALGORITHM}/{sha256[:2]}/{sha256[2:]}"

    def _call(self, doing: str, work: Callable[[], T]) -> T:
        """``work()``, with whatever the remote library raises as one ``RegistryError``
        (its first line, which names the failure, never a credential)."""
        try:
            return work()
        except RegistryError:
            raise
        except Exception as error:  # s3fs/botocore/aiohttp raise many kinds; all are one line
            raise RegistryError(
                f"objects at {self.location}: {doing}: {_first_line(error)}"
            ) from None

    def _exists(self, key: str) -> bool:
        self.fs.invalidate_cache(key)  # another client may have stored it since we looked
        return bool(self.fs.exists(key))

    # --- ObjectStore ------------------------------------------------------------

    def check_writable(self) -> None:
        """Write and remove a small probe under ``tmp/``: a missing bucket, wrong
        credentials or a read-only place fail here, before a producer does any work."""
        probe = f"{self.root}/tmp/probe-{uuid.uuid4().hex}"

        def write_and_remove() -> None:
            self.fs.pipe_file(probe, b"")
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(probe)

        self._call("cannot store objects there", write_and_remove)

    def store(self, source: Path | str, max_bytes: int) -> StoredObject:
        with open_source(source) as handle:
            sha256, size = hash_source(handle, source, max_bytes)
            if self._call("cannot look up an object", lambda: self._exists(self._key(sha256))):
                return StoredObject(sha256, size, added=False)
            handle.seek(0)
            temporary = f"{self.root}/tmp/incoming-{uuid.uuid4().hex}"
            try:
                return self._call(
                    f"cannot store {source}",
                    lambda: self._upload(handle, source, temporary, max_bytes),
                )
            finally:
                with contextlib.suppress(Exception):  # already moved, or never written
                    if self.fs.exists(temporary):
                        self.fs.rm_file(temporary)

    def _upload(
        self, handle: BinaryIO, source: Path | str, temporary: str, max_bytes: int
    ) -> StoredObject:
        with self.fs.open(temporary, "wb") as out:
            sha256, size = copy_limited(handle, out, source, max_bytes)
        self.fs.invalidate_cache(temporary)
        with self.fs.open(temporary, "rb") as uploaded:
            received = hash_stream(uploaded)
        if received != (sha256, size):
            raise RegistryError(
                f"objects at {self.location}: the upload of {source} arrived changed "
                f"({received[1]} bytes, sha256 {received[0][:12]}…; sent {size} bytes, "
                f"{sha256[:12]}…); nothing was stored, try again"
            )
        final = self._key(sha256)
        if self._exists(final):  # another writer stored the same bytes meanwhile
            return StoredObject(sha256, size, added=False)
        self.fs.mv(temporary, final)
        return StoredObject(sha256, size, added=True)

    def open(self, sha256: str) -> BinaryIO:
        key = self._key(sha256)
        try:
            self.fs.invalidate_cache(key)
            return self.fs.open(key, "rb")
        except FileNotFoundError:
            raise RegistryError(f"object {sha256} is not in the registry's store") from None
        except Exception as error:
            raise RegistryError(
                f"cannot read object {sha256} at {self.location}: {_first_line(error)}"
            ) from None

    def has(self, sha256: str) -> bool:
        if not is_sha256(sha256):
            return False
        return self._call("cannot look up an object", lambda: self._exists(self._key(sha256)))

    def ids(self) -> Iterator[str]:
        top = f"{self.root}/{ALGORITHM}"

        def listing() -> list[str]:
            self.fs.invalidate_cache(top)
            return self.fs.find(top)

        found = []
        for key in self._call("cannot list objects", listing):
            prefix, _, rest = str(key).rstrip("/").rpartition("/")
            name = prefix[-2:] + rest
            if is_sha256(name) and prefix.endswith(f"/{name[:2]}"):
                found.append(name)
        return iter(sorted(found))

    def size(self, sha256: str) -> int | None:
        info = self._info(self._key(sha256))
        return None if info is None else int(info.get("size") or 0)

    def modified(self, sha256: str) -> float | None:
        key = self._key(sha256)

        def when() -> float | None:
            try:
                return self.fs.modified(key).timestamp()
            except (FileNotFoundError, NotImplementedError):
                return None

        return self._call("cannot read an object's time", when)

    def remove(self, sha256: str) -> None:
        key = self._key(sha256)

        def remove() -> None:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(key)

        self._call("cannot remove an object", remove)

    def stale_temporaries(self, before: float) -> list[Temporary]:
        staging = f"{self.root}/tmp"

        def listing() -> list[Temporary]:
            self.fs.invalidate_cache(staging)
            found = []
            for key, info in sorted(self.fs.find(staging, detail=True).items()):
                if not str(key).rsplit("/", 1)[-1].startswith(_TEMPORARY_PREFIXES):
                    continue
                with contextlib.suppress(FileNotFoundError, NotImplementedError):
                    if self.fs.modified(key).timestamp() < before:
                        found.append(Temporary(str(key), int(info.get("size") or 0)))
            return found

        return self._call("cannot list interrupted uploads", listing)

    def remove_temporary(self, temporary: Temporary) -> None:
        name = temporary.name.removeprefix(f"{self.root}/tmp/")
        if name == temporary.name or "/" in name or not name.startswith(_TEMPORARY_PREFIXES):
            raise RegistryError(f"not an interrupted upload of {self.location}: {temporary}")

        def remove() -> None:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(temporary.name)

        self._call("cannot remove an interrupted upload", remove)

    def _info(self, key: str) -> dict[str, Any] | None:
        def info() -> dict[str, Any] | None:
            self.fs.invalidate_cache(key)
            try:
                return self.fs.info(key)
            except FileNotFoundError:
                return None

        return self._call("cannot read an object's size", info)


def _missing(shown: str, package: str) -> str:
    return f"objects at {shown} need {package}: pip install 'medlang[s3]' (or {package})"


def _first_line(error: BaseException) -> str:
    from medlang.registry.redact import redact_text

    lines = str(error).strip().splitlines()
    return redact_text(lines[0] if lines else type(error).__name__)
