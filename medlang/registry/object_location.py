"""Where a registry keeps its objects: one setting, checked before it is kept and shown
without secrets.

A location is one of:

- ``database``: a PostgreSQL registry's own ``objects`` table (the default: a team
  registry needs nothing else);
- an absolute path (or ``file:///path``): a directory every client sees at that
  path, such as an NFS or cluster file system (``ObjectDir``, shared);
- any other fsspec URL, such as ``s3://bucket/prefix`` (``FsspecObjects``).

Credentials never go into a location: a URL with a password, or with a query
string (where some protocols take keys and tokens), is refused, because the
location is stored in the registry and shown by ``mlc registry info``. They come
from the environment or the protocol's configuration, as ``PGPASSWORD`` does for
the database.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from medlang.registry.errors import RegistryError
from medlang.registry.objects import ObjectDir, ObjectStore

DATABASE = "database"
_PROCESS_LOCAL = {"memory", "cached", "simplecache", "filecache", "blockcache"}
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def normalize(text: str) -> str:
    """The location as it is stored: ``database``, an absolute normalized path, or a URL
    without a trailing slash. ``RegistryError`` (never echoing a secret) if unusable."""
    text = text.strip()
    if not text:
        raise RegistryError("an object location cannot be empty")
    if text.lower() == DATABASE:
        return DATABASE
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise RegistryError(f"{display(text)!r}: an object location cannot hold control characters")
    if not _SCHEME.match(text):
        return _absolute(text, text)
    parts = _split(text)
    if parts.scheme.lower() == "file":
        if parts.netloc not in ("", "localhost"):
            raise RegistryError(f"{display(text)}: a file:// URL names a local path (file:///…)")
        return _absolute(unquote(parts.path), display(text))
    if parts.scheme.lower() in _PROCESS_LOCAL:
        raise RegistryError(
            f"{display(text)}: {parts.scheme}:// lives only as long as one process; objects "
            "must outlive the run that stored them"
        )
    if parts.password is not None:
        raise RegistryError(
            f"{display(text)}: credentials in the object location are refused (it is stored in "
            "the registry and shown to everyone); give them through the environment or the "
            "protocol's configuration (for S3: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "~/.aws/credentials)"
        )
    if parts.query or parts.fragment:
        raise RegistryError(
            f"{display(text)}: an object location takes no query string or fragment (options "
            "and credentials come from the environment or the protocol's configuration)"
        )
    if not parts.netloc and not parts.path.strip("/"):
        raise RegistryError(f"{display(text)}: names no bucket or path")
    return text.rstrip("/")


def display(location: str) -> str:
    """The location safe to print: any password, query string and fragment removed."""
    from medlang.registry.redact import redact_text

    if not _SCHEME.match(location):
        return location
    try:
        parts = urlsplit(location)
        netloc = parts.netloc
    except ValueError:
        return "(an unreadable URL)"
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}"
    return redact_text(f"{parts.scheme}://{netloc}{parts.path}")


def open_objects(location: str) -> ObjectStore:
    """The store for a normalized location other than ``DATABASE`` (the database's own
    table belongs to the PostgreSQL store)."""
    if location == DATABASE:
        raise RegistryError("the database's object table is opened by its registry")
    if not _SCHEME.match(location):
        return ObjectDir(Path(location), shared=True)
    from medlang.registry.fsspec_objects import FsspecObjects

    return FsspecObjects(location, display(location))


def _absolute(path: str, shown: str) -> str:
    if not os.path.isabs(path):
        raise RegistryError(
            f"{shown}: an object directory must be an absolute path (every client of the "
            "registry must find the same place)"
        )
    return os.path.normpath(path)


def _split(text: str):  # -> SplitResult
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises for a malformed port
    except ValueError:
        raise RegistryError(f"{display(text)}: not a URL that can be read") from None
    return parts
