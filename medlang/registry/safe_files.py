"""Registry files are what they claim to be, in a directory only their owner can change.

- Registry files (``runs.jsonl``, ``artifacts.jsonl``, ``index.sqlite``) are opened
  with ``O_NOFOLLOW``: a symbolic link in their place is refused, not followed (a
  ``runs.jsonl`` link would send appends into whatever file it names).
- They are opened ``O_NONBLOCK`` and must be regular files: a FIFO, a device or a
  directory is refused at once instead of hanging a reader.
- The registry directory must belong to the user and be writable by nobody else:
  otherwise anyone could plant such links. An unsafe directory is warned about on
  reads, and written to only when the user says so (``mlc --registry-insecure-ok``,
  ``MEDLANG_REGISTRY_INSECURE_OK=1`` or ``Registry(..., insecure_ok=True)``).
  A group-writable directory whose group is the user's private group (same name,
  no other members: the usual Linux scheme with umask 002) counts as safe.
- The registry directory itself may be a symbolic link (``~/.medlang/registry ->
  /data/registry``): one deliberate link chosen by the user is followed, and the
  checks apply to the directory it leads to.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from medlang.registry.errors import RegistryError, warn

INSECURE_OK_ENV = "MEDLANG_REGISTRY_INSECURE_OK"
_insecure_ok_override: bool | None = None  # set by `mlc --registry-insecure-ok`
_warned: set[str] = set()


def insecure_ok_default() -> bool:
    """Whether writing into an unsafe registry directory was allowed for this process."""
    if _insecure_ok_override is not None:
        return _insecure_ok_override
    return os.environ.get(INSECURE_OK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def set_insecure_ok(value: bool | None) -> bool | None:
    """Override ``insecure_ok_default`` (None: back to the environment); returns the old one."""
    global _insecure_ok_override
    previous, _insecure_ok_override = _insecure_ok_override, value
    return previous


def open_registry_file(path: Path, flags: int, mode: int = 0o600) -> int:
    """``os.open`` for a registry file: no symlinks followed, never blocking, regular only.

    Raises ``RegistryError`` (one line naming the file) for a link or a special file,
    and ``OSError`` for anything else (``FileNotFoundError`` ...).
    """
    verb = "read" if flags & (os.O_WRONLY | os.O_RDWR) == 0 else "write"
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except OSError as error:
        if error.errno == errno.ELOOP and os.path.islink(path):
            raise RegistryError(
                f"cannot {verb} {path}: it is a symbolic link, and the registry does not "
                "follow links for its own files (replace it with the file itself)"
            ) from None
        if error.errno in (errno.EISDIR, errno.ENXIO, errno.ENODEV):
            kind = "a directory" if error.errno == errno.EISDIR else "not a regular file"
            raise RegistryError(f"cannot {verb} {path}: it is {kind}") from None
        raise
    try:
        kind = os.fstat(fd).st_mode
        if not stat.S_ISREG(kind):
            raise RegistryError(f"cannot {verb} {path}: it is {file_type(kind)}, not a file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"


def unsafe_directory(root: Path) -> str | None:
    """Why ``root`` is not safe to keep a registry in, or None (also when it is missing)."""
    try:
        info = os.stat(root)  # follows one deliberate link to the registry directory
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None  # reported by the caller as "not a directory"
    if info.st_uid != os.geteuid():
        return f"is owned by another user (uid {info.st_uid})"
    if info.st_mode & stat.S_IWOTH:
        return "is writable by other users"
    if info.st_mode & stat.S_IWGRP and not _private_group(info.st_gid):
        return "is writable by its group"
    return None


def _private_group(gid: int) -> bool:
    import grp
    import pwd

    try:
        group = grp.getgrgid(gid)
        user = pwd.getpwuid(os.geteuid())
    except KeyError:
        return False
    return group.gr_name == user.pw_name and not set(group.gr_mem) - {user.pw_name}


def check_directory(root: Path, *, writing: bool, insecure_ok: bool) -> bool:
    """Refuse a registry path that is not a directory; for an unsafe directory, refuse a
    write (unless ``insecure_ok``) or warn once. Returns whether the directory is safe."""
    try:
        info = os.stat(root)
    except OSError:  # missing: created private on the first write; else the file
        return True  # operation that follows reports it, naming its file
    if not stat.S_ISDIR(info.st_mode):
        raise RegistryError(f"the registry {root} is {file_type(info.st_mode)}, not a directory")
    problem = unsafe_directory(root)
    if problem is None:
        return True
    if writing and not insecure_ok:
        raise RegistryError(
            f"the registry directory {root} {problem}: refusing to write there (anyone who "
            "can change it can redirect the run log); fix its permissions "
            "(chmod go-w) or pass --registry-insecure-ok"
        )
    if str(root) not in _warned:
        _warned.add(str(root))
        warn(f"the registry directory {root} {problem}; its records may have been tampered with")
    return False
