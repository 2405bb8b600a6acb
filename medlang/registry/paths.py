"""Where the registry lives (kept free of pydantic: ``mlc`` imports this at startup)."""

from __future__ import annotations

import os
from pathlib import Path

RUNS_FILE = "runs.jsonl"
ARTIFACTS_FILE = "artifacts.jsonl"
ANNOTATIONS_FILE = "annotations.jsonl"
INDEX_FILE = "index.sqlite"


ENV_VARIABLE = "MEDLANG_REGISTRY"
# The first bytes of an archive written by ``mlc runs archive`` (its header line).
ARCHIVE_MAGIC = b'{"medlang_archive":'


def default_registry_root() -> Path:
    """``$MEDLANG_REGISTRY`` if set, else ``~/.medlang/registry``."""
    env = os.environ.get(ENV_VARIABLE)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".medlang" / "registry"


def is_archive_file(path: Path) -> bool:
    """A regular file that starts like an archive of runs (``mlc runs archive --to``)."""
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        return handle.read(len(ARCHIVE_MAGIC)) == ARCHIVE_MAGIC
