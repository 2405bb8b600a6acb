"""Which files a run read, by content: the ``config.inputs`` its producer recorded.

Producers record every file they read under ``config.inputs`` as
``{role: {"path": ..., "sha256": ...}}`` (``evidence_program``, ``config_file``,
``surrogate``, ``policy`` ...). Lineage links runs through these hashes: a run
that read bytes another run wrote descends from it. The walk is deliberately
generic (any object with a ``sha256`` under ``inputs``, nested objects and lists
included) so inputs added later, such as the modules a program imports, link
without a change here. Pydantic-free: the index and the fast CLI path use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file a run read: its role (the key under ``config.inputs``), hash and path."""

    role: str
    sha256: str
    path: str | None


def normal_sha256(value: object) -> str | None:
    """A sha256 as 64 lowercase hex digits (any case accepted), else None."""
    if not isinstance(value, str) or len(value) != 64:
        return None
    lowered = value.lower()
    return lowered if _HEX.issuperset(lowered) else None


def input_files(config: object) -> list[InputFile]:
    """The files recorded under ``config["inputs"]``, in recorded order, one per role."""
    inputs = config.get("inputs") if isinstance(config, dict) else None
    found: list[InputFile] = []
    _walk(inputs, "", found)
    return found


def _walk(value: Any, role: str, found: list[InputFile]) -> None:
    if isinstance(value, dict):
        sha = normal_sha256(value.get("sha256"))
        if role and sha is not None:
            # "module_path" is where the evidence program's record keeps its file
            path = value.get("path", value.get("module_path"))
            found.append(InputFile(role, sha, path if isinstance(path, str) else None))
        for key, item in value.items():
            if isinstance(item, dict | list):
                _walk(item, f"{role}.{key}" if role else str(key), found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, f"{role}[{i}]", found)
