"""Is what the registry recorded still there? For each artifact: the file at its path
(ok / modified / missing) and its stored copy (intact / corrupt / absent, re-hashed);
for a run, also the stored copies of its inputs.

Works on stored JSON (no pydantic), so ``mlc runs verify ID`` stays fast.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from medlang.registry.errors import RegistryError
from medlang.registry.storage import JsonObject
from medlang.registry.store import Registry

# states of the file at the recorded path, and of the stored copy
OK, MODIFIED, MISSING = "ok", "modified", "missing"
INTACT, CORRUPT, ABSENT = "intact", "corrupt", "absent"


@dataclass(frozen=True)
class Check:
    """One recorded file: what it is, its recorded sha256, and what was found."""

    what: str  # "artifact <id> (<kind>)" or "input <role>"
    path: str | None
    sha256: str | None
    on_disk: str | None  # OK / MODIFIED / MISSING; None: not checked (inputs)
    stored: str  # INTACT / CORRUPT / ABSENT

    @property
    def ok(self) -> bool:
        return self.on_disk in (None, OK) and self.stored == INTACT


def hash_file(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            if not path.is_file():
                return None
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def stored_state(registry: Registry, sha256: str | None) -> str:
    """Re-hash the stored copy: INTACT, CORRUPT (bytes changed on disk) or ABSENT."""
    if not sha256 or not registry.has_object(sha256):
        return ABSENT
    try:
        with registry.open_object(sha256) as handle:
            actual = hashlib.file_digest(handle, "sha256").hexdigest()
    except RegistryError:
        return ABSENT
    return INTACT if actual == sha256 else CORRUPT


def check_artifact(registry: Registry, artifact_id: str, artifact: JsonObject) -> Check:
    path, sha256 = artifact.get("path"), artifact.get("sha256")
    on_disk = MISSING
    if path:
        actual = hash_file(Path(path))
        if actual is not None:
            on_disk = OK if actual == sha256 else MODIFIED
    what = f"artifact {artifact_id} ({artifact.get('kind', '?')})"
    return Check(what, path, sha256, on_disk, stored_state(registry, sha256))


def check_artifacts(registry: Registry, artifact_ids: list[str]) -> list[Check]:
    checks = []
    for artifact_id in artifact_ids:
        artifact = registry.artifact_json(artifact_id)
        if artifact is None:
            checks.append(Check(f"artifact {artifact_id}", None, None, MISSING, ABSENT))
        else:
            checks.append(check_artifact(registry, artifact_id, artifact))
    return checks


def check_run(registry: Registry, run: JsonObject) -> list[Check]:
    """The run's artifacts, then the stored copies of its inputs and environment lock."""
    from medlang.registry.inputs import input_files

    checks = check_artifacts(registry, list(run.get("artifacts") or []))
    for recorded in input_files(run.get("config")):
        state = stored_state(registry, recorded.sha256)
        checks.append(Check(f"input {recorded.role}", recorded.path, recorded.sha256, None, state))
    lock = (run.get("env") or {}).get("packages")
    if isinstance(lock, str):
        state = stored_state(registry, lock)
        checks.append(Check("environment lock", None, lock, None, state))
    return checks
