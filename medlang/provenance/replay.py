"""``mlc runs replay``: re-execute a logged run from the registry's own copies of its
inputs and certify that it reproduced the run.

1. Every input the run recorded (``config.inputs``: the evidence program and the
   user modules it imports, config files, surrogate, policy) is re-hashed in the
   object store and copied into a fresh directory: the files on disk, which may
   have changed or gone, are never read.
2. The recorded producer is called with the recorded (resolved) config, its input
   paths pointed at the copies: nothing depends on how the command line was spelled.
3. The judge compares, before the replay is logged, every metric (except the timing
   keys below) and the sha256 of every output with the original run's; the replay
   is logged as a new run with ``replay_of`` and ``replay_verdict``.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from medlang.evidence import PRODUCERS
from medlang.provenance.verify import INTACT, hash_file, stored_state
from medlang.registry.errors import RegistryError
from medlang.registry.storage import JsonObject
from medlang.registry.store import Registry

# Metrics that measure the machine, not the science: never compared.
TIMING_KEYS = frozenset({"execution_time_ms", "training_time_s", "evaluation_time_s"})


class ReplayError(RegistryError):
    """The run cannot be replayed (the message says why); exit 1."""


@dataclass(frozen=True)
class StoredInput:
    role: str
    path: str | None  # where the original run read it
    sha256: str
    state: str  # verify.INTACT / CORRUPT / ABSENT


def stored_inputs(registry: Registry, run: JsonObject) -> list[StoredInput]:
    """Every input the run recorded, with the state of its stored copy."""
    from medlang.registry.inputs import input_files

    return [
        StoredInput(f.role, f.path, f.sha256, stored_state(registry, f.sha256))
        for f in input_files(run.get("config"))
    ]


def replayable(registry: Registry, run: JsonObject) -> list[StoredInput]:
    """The run's stored inputs, all intact; ``ReplayError`` saying why not otherwise."""
    run_id = run["id"]
    config = run.get("config") or {}
    command = config.get("command")
    if run.get("status") == "failed":
        raise ReplayError(f"run {run_id} failed ({run.get('error')}); only finished runs replay")
    if command not in PRODUCERS or not isinstance(config.get("inputs"), dict):
        raise ReplayError(
            f"run {run_id} cannot be replayed: it did not record which command and inputs "
            "made it (written by another toolchain or through the Python API)"
        )
    inputs = stored_inputs(registry, run)
    absent = [i for i in inputs if i.state != INTACT and i.state == "absent"]
    if absent:
        listed = ", ".join(f"{i.role} ({i.path})" for i in absent)
        raise ReplayError(
            f"run {run_id} cannot be replayed: its inputs were recorded by path and sha256 "
            "only, their bytes are not in the registry (logged before the registry stored "
            f"copies of inputs, or with --no-store): {listed}"
        )
    corrupt = [i for i in inputs if i.state != INTACT]
    if corrupt:
        listed = ", ".join(f"{i.role} (object {i.sha256})" for i in corrupt)
        raise ReplayError(
            f"run {run_id} cannot be replayed: the stored copy of {listed} is corrupt "
            "(its bytes no longer hash to its name)"
        )
    return inputs


# --- judging -----------------------------------------------------------------


@dataclass
class Judge:
    """Compares the replay's metrics and outputs with the original run's."""

    replay_of: str
    original_metrics: JsonObject
    original_outputs: list[tuple[str, str | None]]  # (artifact kind, sha256) in order
    original_paths: dict[str, str] = field(default_factory=dict)  # copy -> original
    metric_diffs: list[str] = field(default_factory=list)
    output_diffs: list[str] = field(default_factory=list)
    metrics_compared: int = 0
    outputs_compared: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    timings_skipped: list[str] = field(default_factory=list)

    def judge(self, metrics: JsonObject, outputs: list[tuple[str, Path]]) -> str:
        keys = sorted(set(self.original_metrics) | set(metrics))
        self.timings_skipped = [k for k in keys if k in TIMING_KEYS]
        compared = [k for k in keys if k not in TIMING_KEYS]
        self.metrics_compared = len(compared)
        missing = object()
        for key in compared:
            old, new = self.original_metrics.get(key, missing), metrics.get(key, missing)
            if old != new:
                shown_old = "(absent)" if old is missing else _short(old)
                shown_new = "(absent)" if new is missing else _short(new)
                self.metric_diffs.append(f"metric {key}: {shown_old} -> {shown_new}")
        produced = [(str(kind), hash_file(Path(path))) for kind, path in outputs]
        for index in range(max(len(produced), len(self.original_outputs))):
            old_kind, old_sha = _at(self.original_outputs, index)
            new_kind, new_sha = _at(produced, index)
            kind = old_kind or new_kind or "?"
            self.outputs_compared.append((kind, old_sha, new_sha))
            if (old_kind, old_sha) != (new_kind, new_sha):
                self.output_diffs.append(
                    f"artifact {kind}: sha256 {_sha(old_sha)} -> {_sha(new_sha)}"
                )
        return "identical" if not (self.metric_diffs or self.output_diffs) else "different"


def _at(items: list[tuple[str, str | None]], index: int) -> tuple[str | None, str | None]:
    return items[index] if index < len(items) else (None, None)


def _sha(sha256: str | None) -> str:
    return sha256[:16] if sha256 else "(none)"


def _short(value: object) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


# --- materialising and re-executing -------------------------------------------


@dataclass
class Replayed:
    original: JsonObject
    replay_run_id: str | None
    judge: Judge
    inputs: list[StoredInput]
    directory: Path
    outputs: list[Path]


def replay(registry: Registry, run: JsonObject, out_dir: Path | None = None) -> Replayed:
    """Re-execute ``run`` from its stored inputs in ``out_dir`` (default: a temporary
    directory, removed afterwards) and judge the result."""
    inputs = replayable(registry, run)
    with _work_directory(out_dir) as directory:
        copies = _materialise(registry, run, directory)
        artifacts = [registry.artifact_json(a) or {} for a in run.get("artifacts") or []]
        outputs = _output_paths(artifacts, directory / "outputs")
        judge = Judge(
            replay_of=run["id"],
            original_metrics=run.get("metrics") or {},
            original_outputs=[(a.get("kind", "?"), a.get("sha256")) for a in artifacts],
            original_paths={str(copy): original for original, copy in copies.items()},
        )
        produced = _execute(registry, run, copies, directory, outputs, judge)
        return Replayed(run, produced.run_id, judge, inputs, directory, produced.outputs)


@contextmanager
def _work_directory(out_dir: Path | None) -> Iterator[Path]:
    if out_dir is not None:
        out_dir = out_dir.expanduser().absolute()
        if out_dir.exists() and any(out_dir.iterdir()):
            raise ReplayError(f"{out_dir}: --out-dir must be a new or empty directory")
        out_dir.mkdir(parents=True, exist_ok=True)
        yield out_dir
        return
    directory = Path(tempfile.mkdtemp(prefix="medlang-replay-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _materialise(registry: Registry, run: JsonObject, directory: Path) -> dict[str, Path]:
    """Copy every stored input into ``directory``; returns original path -> copy.

    The program goes to ``program/`` with each imported user module where its import
    name resolves from there (``import a.b`` -> ``program/a/b.medlang``); other inputs
    go to ``inputs/<role>/<file name>``.
    """
    config = run["config"]
    program = config["inputs"].get("evidence_program") or {}
    copies: dict[str, Path] = {}
    entry = directory / "program" / Path(str(program.get("module_path", "program.medlang"))).name
    places: dict[str, Path] = {"evidence_program": entry}
    for index, module in enumerate(program.get("imports") or []):
        name = str(module.get("module", f"module{index}"))
        places[f"evidence_program.imports[{index}]"] = (
            directory / "program" / Path(*name.split("."))
        ).with_suffix(".medlang")
    from medlang.registry.inputs import input_files

    for recorded in input_files(config):
        target = places.get(recorded.role)
        if target is None:
            name = Path(recorded.path).name if recorded.path else recorded.sha256
            target = directory / "inputs" / recorded.role.replace("/", "_") / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with registry.open_object(recorded.sha256) as source, open(target, "wb") as copied:
            shutil.copyfileobj(source, copied)
        if hash_file(target) != recorded.sha256:  # read while being corrupted
            raise ReplayError(f"stored copy of input {recorded.role} changed while replaying")
        if recorded.path:
            copies[recorded.path] = target
    return copies


def _output_paths(artifacts: list[JsonObject], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for index, artifact in enumerate(artifacts):
        name = Path(str(artifact.get("path") or f"output-{index}.json")).name
        path = directory / name
        if path in paths:
            path = directory / f"{index}-{name}"
        paths.append(path)
    return paths


def replay_config(run: JsonObject, copies: dict[str, Path]) -> JsonObject:
    """The recorded config with every recorded input path pointed at its copy."""
    config = copy.deepcopy(run["config"])

    def repoint(value: object) -> None:
        if isinstance(value, dict):
            for key in ("path", "module_path"):
                if isinstance(value.get(key), str) and value[key] in copies:
                    value[key] = str(copies[value[key]])
            for item in value.values():
                repoint(item)
        elif isinstance(value, list):
            for item in value:
                repoint(item)

    repoint(config["inputs"])
    surrogate = config.get("surrogate")
    if isinstance(surrogate, str) and surrogate in copies:
        config["surrogate"] = str(copies[surrogate])
    return config


def _execute(registry, run, copies, directory, outputs, judge):
    from medlang.evidence.common import Request

    config = replay_config(run, copies)
    config_file = directory / "replay_config.json"
    config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    program = config["inputs"]["evidence_program"]
    entry = Path(program["module_path"])
    request = Request(
        evidence_program=program.get("name"),
        file=entry,
        project=entry.parent,
        registry_root=registry.address,
        log=True,
        quiet=True,
        store=True,
        replay=judge,
    )
    original = run["config"]
    command = original["command"]
    by_role = {role: config["inputs"].get(role) or {} for role in ("surrogate", "policy")}
    try:
        return _call(command, request, config, config_file, outputs, by_role)
    except Exception as error:
        from medlang.evidence.errors import EvidenceError

        if not isinstance(error, EvidenceError):
            raise
        raise ReplayError(f"replay of run {run['id']} failed: {error}") from None


def _call(command, request, config, config_file, outputs, by_role):
    if command in ("run-evidence", "run-evidence-hybrid"):
        from medlang.evidence.trials import run_evidence

        return run_evidence(request, config.get("backend"), config_file, outputs[0], command)
    if command == "train-surrogate":
        from medlang.evidence.surrogates import train_surrogate

        return train_surrogate(request, config_file, outputs[0])
    if command == "surrogate-eval":
        from medlang.evidence.surrogates import surrogate_eval

        surrogate = Path(by_role["surrogate"]["path"])
        return surrogate_eval(request, surrogate, config_file, outputs[0])
    if command == "train-policy-rl":
        from medlang.evidence.policies import train_policy_rl

        report = outputs[1] if len(outputs) > 1 else None
        return train_policy_rl(request, config_file, config_file, outputs[0], report)
    if command == "eval-policy-rl":
        from medlang.evidence.policies import eval_policy_rl

        policy = Path(by_role["policy"]["path"])
        return eval_policy_rl(request, config_file, policy, None, None, outputs[0])
    raise ReplayError(f"unknown producer {command!r}")
