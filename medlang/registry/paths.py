"""Where the registry lives (kept free of pydantic: ``mlc`` imports this at startup)."""

from __future__ import annotations

import os
from pathlib import Path

RUNS_FILE = "runs.jsonl"
ARTIFACTS_FILE = "artifacts.jsonl"
INDEX_FILE = "index.sqlite"


def default_registry_root() -> Path:
    """``$MEDLANG_REGISTRY`` if set, else ``~/.medlang/registry``."""
    env = os.environ.get("MEDLANG_REGISTRY")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".medlang" / "registry"
