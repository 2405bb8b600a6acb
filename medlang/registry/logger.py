"""``RunLogger``: records runs of one project with their code version and environment.

A logger captures, once, what every run of a project shares: the project root,
the module and evidence program, the git commit and dirty flag. Each run then
adds its kind, config (secrets redacted), metrics, artifacts and times::

    logger = RunLogger.new_for_project(".", module_path="med.oncology.trial")
    with logger.timed_run() as run:          # started_at = now
        metrics = simulate(config)
        run.finish(RunKind.EvidenceHybrid, config, metrics,
                   artifacts=[(ArtifactKind.EvidenceResult, "out/result.json")])
    run.run_id                               # the logged run's id

Logging a run commits it in this order: the bytes of its inputs (the files named in
``config["inputs"]``) and outputs go into the registry's object store, then the
artifact records (each naming its run), then the run record. The run record is the
commit point: artifacts of a run that was never written stay invisible, and objects
nothing references are removed by ``mlc gc``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from medlang.registry.codec import encode
from medlang.registry.errors import RegistryError
from medlang.registry.model import (
    ArtifactKind,
    ArtifactRecord,
    JsonObject,
    RunKind,
    RunRecord,
    new_id,
    utc_now,
)
from medlang.registry.redact import redact_argv
from medlang.registry.store import Registry

# An artifact to log with a run: a ready record, or (kind, path[, metadata]).
ArtifactSpec = (
    ArtifactRecord
    | tuple[ArtifactKind | str, str | os.PathLike[str]]
    | tuple[ArtifactKind | str, str | os.PathLike[str], JsonObject]
)


@dataclass(frozen=True)
class RunLogger:
    registry: Registry
    project_root: str
    module_path: str | None = None
    evidence_program: str | None = None
    git_commit: str | None = None
    git_dirty: bool = False
    # False: record paths and sha256 only, copy no file into the object store
    # (the run then cannot be replayed); ``--no-store`` on the producers.
    store_files: bool = True

    @classmethod
    def new_for_project(
        cls,
        project_root: str | os.PathLike[str],
        module_path: str | os.PathLike[str] | None = None,
        evidence_program: str | None = None,
        registry: Registry | None = None,
        store_files: bool = True,
    ) -> RunLogger:
        """A logger for runs of the project at ``project_root`` (git state captured now).

        ``module_path`` is the MedLang module's dotted name (``med.oncology.evidence``)
        and is recorded exactly as given; a module's file belongs in ``config["inputs"]``.
        """
        root = Path(project_root).expanduser().resolve()
        commit, dirty = git_state(root)
        return cls(
            registry=registry if registry is not None else Registry.default(),
            project_root=str(root),
            module_path=os.fspath(module_path) if module_path else None,
            evidence_program=evidence_program,
            git_commit=commit,
            git_dirty=dirty,
            store_files=store_files,
        )

    def check_writable(self) -> None:
        """Fail now, before any work, if this run could not be logged."""
        self.registry.check_writable()

    def store_inputs(self, config: JsonObject) -> None:
        """Copy the files ``config["inputs"]`` names into the object store (no-op with
        ``store_files=False``); a file whose bytes are no longer the recorded sha256 is
        a ``RegistryError``: the run read other bytes than it would record."""
        if not self.store_files:
            return
        from medlang.registry.inputs import input_files

        for recorded in input_files(config):
            if recorded.path is None:
                continue
            stored = self.registry.store_file(recorded.path)
            if stored != recorded.sha256:
                raise RegistryError(
                    f"{recorded.path}: input {recorded.role} changed while the run was running"
                    f" (read {recorded.sha256[:12]}, now {stored[:12]}); the run was not logged"
                )

    def log_run(
        self,
        kind: RunKind | str,
        config: JsonObject,
        metrics: JsonObject,
        *,
        started_at: datetime | None = None,
        finished_at: datetime | None = None,
    ) -> str:
        """Log a run without artifacts; returns its id."""
        return self.log_run_with_artifacts(
            kind, config, metrics, [], started_at=started_at, finished_at=finished_at
        )

    def log_run_with_artifacts(
        self,
        kind: RunKind | str,
        config: JsonObject,
        metrics: JsonObject,
        artifacts: Sequence[ArtifactSpec],
        *,
        started_at: datetime | None = None,
        finished_at: datetime | None = None,
        status: str = "finished",
        error: str | None = None,
        replay_of: str | None = None,
        replay_verdict: str | None = None,
    ) -> str:
        """Store the files, log the artifacts, then the run that references them (the
        commit point); returns the run id."""
        run_id = new_id()
        self.store_inputs(config)
        records = [
            artifact_record(spec, self.registry if self.store_files else None)
            for spec in artifacts  # the registry redacts every record it is given
        ]
        records = [
            record if record.run_id else record.model_copy(update={"run_id": run_id})
            for record in records
        ]
        finished = finished_at or utc_now()
        run = RunRecord(
            id=run_id,
            kind=RunKind.parse(kind),
            started_at=started_at or finished,
            finished_at=finished,
            project_root=self.project_root,
            module_path=self.module_path,
            evidence_program=self.evidence_program,
            git_commit=self.git_commit,
            git_dirty=self.git_dirty,
            config=_json_object(config, "config"),
            metrics=_json_object(metrics, "metrics"),
            artifacts=[record.id for record in records],
            env=environment(self.registry),
            status=status,
            error=error,
            replay_of=replay_of,
            replay_verdict=replay_verdict,
        )
        encode(run)  # not JSON? fail now, before any artifact is written
        for record in records:
            self.registry.log_artifact(record)
        return self.registry.log_run(run)

    def log_failed_run(
        self,
        kind: RunKind | str,
        config: JsonObject,
        metrics: JsonObject,
        error: str,
        *,
        started_at: datetime | None = None,
    ) -> str:
        """Log a run that failed after its inputs were accepted: status ``failed``, the
        error message, whatever metrics exist and no artifacts. Returns its id."""
        return self.log_run_with_artifacts(
            kind, config, metrics, [], started_at=started_at, status="failed", error=error
        )

    @contextmanager
    def timed_run(self) -> Iterator[TimedRun]:
        """A run whose ``started_at`` is when the block began.

        Call ``finish(kind, config, metrics, artifacts=...)`` inside the block; that
        logs the run with ``finished_at`` = now. If the block raises, or never calls
        ``finish``, nothing is logged.
        """
        yield TimedRun(self, utc_now())


@dataclass
class TimedRun:
    logger: RunLogger
    started_at: datetime
    run_id: str | None = field(default=None)

    def finish(
        self,
        kind: RunKind | str,
        config: JsonObject,
        metrics: JsonObject,
        artifacts: Sequence[ArtifactSpec] = (),
    ) -> str:
        if self.run_id is not None:
            raise RegistryError(f"run {self.run_id} was already logged")
        self.run_id = self.logger.log_run_with_artifacts(
            kind, config, metrics, artifacts, started_at=self.started_at
        )
        return self.run_id


def artifact_record(spec: ArtifactSpec, registry: Registry | None = None) -> ArtifactRecord:
    """An ``ArtifactRecord`` for a spec; the file's sha256 and size if it exists now.

    With a ``registry``, the file's bytes are stored in its object store too (a
    ready ``ArtifactRecord``'s file is stored if it still has the recorded bytes).
    """
    if isinstance(spec, ArtifactRecord):
        if registry is not None and spec.path and spec.sha256:
            sha256, _ = file_digest(Path(spec.path))
            if sha256 == spec.sha256:
                registry.store_file(spec.path)
        return spec
    if not isinstance(spec, tuple) or len(spec) not in (2, 3):
        raise TypeError(
            f"an artifact is an ArtifactRecord or a tuple (kind, path[, metadata]), got {spec!r}"
        )
    kind, path = spec[0], spec[1]
    metadata = _json_object(spec[2], "artifact metadata") if len(spec) == 3 else {}
    absolute = Path(os.path.abspath(Path(path).expanduser()))
    if registry is not None and absolute.is_file():
        stored = registry.store_file_counted(absolute)  # hashes while it copies
        sha256, size = stored.sha256, stored.size
    else:
        sha256, size = file_digest(absolute)
    return ArtifactRecord(
        id=new_id(),
        kind=ArtifactKind.parse(kind),
        path=str(absolute),
        created_at=utc_now(),
        metadata=metadata,
        sha256=sha256,
        size_bytes=size,
    )


def file_digest(path: Path) -> tuple[str | None, int | None]:
    """(sha256 hex, size in bytes) of a regular file, or (None, None) if there is none."""
    try:
        with open(path, "rb") as handle:
            if not os.path.isfile(path):
                return None, None
            digest = hashlib.file_digest(handle, "sha256")
            return digest.hexdigest(), os.fstat(handle.fileno()).st_size
    except OSError:
        return None, None


def git_state(project_root: Path) -> tuple[str | None, bool]:
    """(full commit sha, dirty?) of the repository holding ``project_root``; (None, False)
    outside a repository or without git: never an error.

    Dirty means tracked files differ from the commit (as ``git describe --dirty``):
    runs write results, models and often the registry itself into the project as
    untracked files, which would otherwise mark every run after the first dirty.
    """
    commit = _git(project_root, "rev-parse", "--verify", "HEAD")
    if commit is None:
        return None, False
    status = _git(project_root, "status", "--porcelain", "--untracked-files=no")
    return commit, bool(status)


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.cache
def _static_environment() -> tuple[str, str, str]:
    from medlang import __version__

    return platform.python_version(), __version__, platform.platform()


def environment(registry: Registry | None = None) -> JsonObject:
    """Where a run was made: Python and MedLang versions, platform, command line,
    numpy's version when it is loaded (the simulators' results depend on it) and,
    with a registry, ``packages``: the sha256 of the environment lock (every installed
    distribution as ``name==version``, one per line), stored once per distinct
    environment in the object store."""
    python, medlang, system = _static_environment()
    env: JsonObject = {"python": python, "medlang": medlang, "platform": system}
    numpy = sys.modules.get("numpy")  # never imported here: `mlc` must start fast
    if numpy is not None:
        env["numpy"] = getattr(numpy, "__version__", None)
    env["argv"] = redact_argv(sys.argv)
    if registry is not None:
        from medlang.registry.envlock import store_environment_lock

        env["packages"] = store_environment_lock(registry)
    return env


def _json_object(value: Any, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict (a JSON object), got {type(value).__name__}")
    return value
