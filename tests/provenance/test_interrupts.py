"""Ctrl-C and kill at random moments of real producer processes: a run is either fully
committed (outputs in place with the recorded bytes, every stored object there) or
absent; no partial output file, no visible orphan artifact; SIGINT exits 130.

The producers run in forked children of this process (the real CLI code, real
signals from outside), so the 200 moments fit the suite's time budget; a fresh
``python -m medlang`` process covers interpreter start-up too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from medlang.registry import Registry
from tests.science.conftest import Project, make_project

MOMENTS = 200
PARALLEL = 4

# producer -> (arguments, output options); outputs go to a directory per moment
PRODUCERS = {
    "run-evidence": (["run-evidence", "--backend", "mechanistic"], ["--out"]),
    "run-evidence-hybrid": (["run-evidence-hybrid", "--hybrid-config", "hybrid.json"], ["--out"]),
    "train-surrogate": (["train-surrogate", "--train-config", "train.json"], ["--out-model"]),
    "surrogate-eval": (
        ["surrogate-eval", "--surrogate", "model/surrogate.json", "--eval-config", "eval.json"],
        ["--out-report"],
    ),
    "train-policy-rl": (
        ["train-policy-rl", "--env-config", "env.json", "--train-config", "rltrain.json"],
        ["--out-policy", "--out-report"],
    ),
    "eval-policy-rl": (
        ["eval-policy-rl", "--env-config", "env.json", "--policy", "policy.json"],
        ["--out-report"],
    ),
    "run-log": (["run", "small_evidence.medlang", "--backend", "mechanistic"], ["--out"]),
}


@dataclass
class Moment:
    producer: str
    sig: int
    delay: float
    directory: Path
    outputs: list[Path]
    returncode: int | None = None
    stderr: str = ""


def _argv(project: Project, producer: str, outputs: list[Path]) -> list[str]:
    args, options = PRODUCERS[producer]
    argv = ["--registry", str(project.registry)]
    argv += [project.path(a) if a.endswith((".json", ".medlang")) else a for a in args]
    if producer != "run-log":
        argv += ["--evidence-program", "SmallEvidence", "--project", str(project.root)]
    for option, path in zip(options, outputs, strict=True):
        argv += [option, str(path)]
    return [*argv, "--log", "--quiet"]


NOT_STARTED = 97  # a child interrupted before it entered mlc's main


def _fork(argv: list[str], directory: Path) -> int:
    """Start the real CLI in a forked child; returns once the child is about to call
    ``main``, so a moment's delay counts from the command's start, not from the fork
    (a signal during this harness's own set-up says nothing about mlc)."""
    ready, announce = os.pipe()
    pid = os.fork()
    if pid:
        os.close(announce)
        os.read(ready, 1)
        os.close(ready)
        return pid
    code = 99
    try:  # the child: the real CLI, its output in files
        os.close(ready)
        for fd, name in ((1, "stdout"), (2, "stderr")):
            os.dup2(os.open(directory / name, os.O_WRONLY | os.O_CREAT, 0o600), fd)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - pytest replaced them
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from medlang.cli.main import main

        os.write(announce, b".")
        os.close(announce)
        main(argv)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except KeyboardInterrupt as error:
        # raised in this frame itself: the signal beat the call into main (the harness
        # was interrupted, not mlc); from inside main it escaped mlc: a failure
        code = NOT_STARTED if error.__traceback__.tb_next is None else 98
        if code == 98:
            traceback.print_exc()  # into the moment's stderr: the failure shows where
    except BaseException:
        traceback.print_exc()
        code = 98
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _wait(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    base = tmp_path_factory.mktemp("interrupts")
    project = make_project(base / "project", base / "registry")
    project.produce(
        "train-surrogate",
        "--train-config",
        project.path("train.json"),
        "--out-model",
        project.path("model/surrogate.json"),
        "--quiet",
    )
    project.produce(
        "train-policy-rl",
        "--env-config",
        project.path("env.json"),
        "--train-config",
        project.path("rltrain.json"),
        "--out-policy",
        project.path("policy.json"),
        "--quiet",
    )
    return project


def _durations(project: Project, base: Path) -> dict[str, float]:
    """How long each producer takes uninterrupted here (in a forked child)."""
    durations = {}
    for producer, (_, options) in PRODUCERS.items():
        directory = base / f"timing-{producer}"
        directory.mkdir(parents=True)
        outputs = [directory / f"{o[2:]}.json" for o in options]
        started = time.perf_counter()
        code = _wait(_fork(_argv(project, producer, outputs), directory))
        assert code == 0, (directory / "stderr").read_text()
        durations[producer] = time.perf_counter() - started
    return durations


def test_interrupted_and_killed_runs_are_committed_whole_or_not_at_all(project, tmp_path):
    rng = random.Random(20261130)
    durations = _durations(project, tmp_path)
    producers = list(PRODUCERS)
    moments = []
    for n in range(MOMENTS):
        producer = producers[n % len(producers)]
        directory = tmp_path / f"moment-{n:03d}"
        directory.mkdir()
        outputs = [directory / f"{o[2:]}.json" for o in PRODUCERS[producer][1]]
        sig = signal.SIGINT if n % 2 == 0 else signal.SIGKILL
        delay = rng.uniform(0.0, 1.1 * durations[producer])
        moments.append(Moment(producer, sig, delay, directory, outputs))

    running: list[tuple[Moment, int, float]] = []
    pending = list(moments)
    while pending or running:
        while pending and len(running) < PARALLEL:
            moment = pending.pop()
            pid = _fork(_argv(project, moment.producer, moment.outputs), moment.directory)
            running.append((moment, pid, time.perf_counter() + moment.delay))
        running.sort(key=lambda item: item[2])
        moment, pid, when = running.pop(0)
        time.sleep(max(0.0, when - time.perf_counter()))
        with contextlib.suppress(ProcessLookupError):  # it finished first
            os.kill(pid, moment.sig)
        moment.returncode = _wait(pid)
        moment.stderr = (moment.directory / "stderr").read_text()

    _check(project, moments)


def _check(project: Project, moments: list[Moment]) -> None:
    from medlang.registry.inputs import input_files

    registry = Registry(project.registry)
    runs = registry.load_runs()
    assert [r.id for r in runs if r.status == "failed"] == []  # Ctrl-C is not a failure
    committed_paths: dict[str, str] = {}
    for run in runs:
        for artifact_id in run.artifacts:
            artifact = registry.find_artifact(artifact_id)
            assert artifact is not None, f"run {run.id} names an invisible artifact"
            assert registry.has_object(artifact.sha256)
            committed_paths[artifact.path] = artifact.sha256
        for recorded in input_files(run.config):
            assert registry.has_object(recorded.sha256), f"run {run.id}: input not stored"
    visible = registry.artifacts_json()
    assert len(visible) == sum(len(r.artifacts) for r in runs)  # no visible orphan
    interrupted = killed = 0
    for moment in moments:
        leftovers = [p.name for p in moment.directory.iterdir() if p.name.endswith(".tmp")]
        assert leftovers == [], (moment, leftovers)
        logged = [str(p) in committed_paths for p in moment.outputs]
        if moment.returncode == NOT_STARTED:  # mlc never ran: nothing may exist
            assert not any(logged) and not any(p.exists() for p in moment.outputs), moment
            continue
        if moment.sig == signal.SIGINT:
            assert moment.returncode in (0, 130), moment
            if moment.returncode == 130:
                interrupted += 1
                assert moment.stderr.strip().endswith("Error: interrupted"), moment.stderr
                assert "Traceback" not in moment.stderr, moment.stderr
        else:
            assert moment.returncode in (0, -signal.SIGKILL), moment
            killed += moment.returncode != 0
        if moment.returncode == 0:
            assert all(logged), moment
        assert all(logged) or not any(logged), moment  # a run is whole or absent
        for path, is_logged in zip(moment.outputs, logged, strict=True):
            if is_logged:  # committed: the output is in place with the recorded bytes
                assert hashlib.sha256(path.read_bytes()).hexdigest() == committed_paths[str(path)]
            elif moment.sig == signal.SIGINT:
                assert not path.exists(), moment  # interrupted before its commit: nothing
            elif path.exists():  # killed mid-commit: a complete file at most, never a part
                json.loads(path.read_text())
    assert interrupted >= 20 and killed >= 20, (interrupted, killed)  # the moments did hit


def test_a_fresh_interpreter_interrupted_exits_130_and_logs_nothing(project, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    slow = tmp_path / "slow.json"  # long enough to be interrupted in the middle
    slow.write_text(json.dumps({"seed": 11, "n_patients": 1000, "epochs": 30000}))
    sha = hashlib.sha256(slow.read_bytes()).hexdigest()
    stored = project.registry / "objects" / "sha256" / sha[:2] / sha[2:]
    out = tmp_path / "model.json"
    argv = _argv(project, "train-surrogate", [out])
    argv[argv.index(project.path("train.json"))] = str(slow)
    before = len(Registry(project.registry).load_runs())
    process = subprocess.Popen(
        [sys.executable, "-m", "medlang", *argv],
        env={**env, "PYTHONFAULTHANDLER": "1"},  # SIGABRT prints every thread's stack
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_terminal,
    )
    deadline = time.monotonic() + 60
    while not stored.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # its inputs are stored: it is at work, past start-up
    waited = deadline - time.monotonic()
    # the training must still be running, or this test would not interrupt anything
    assert process.poll() is None, ("finished before it could be interrupted", process.returncode)
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # say where it is stuck, then fail
        signals = _signal_state(process.pid)
        process.send_signal(signal.SIGABRT)
        _, stderr = process.communicate(timeout=30)
        pytest.fail(f"still running 60 s after SIGINT ({signals}); its stacks:\n{stderr}")
    assert process.returncode == 130, (stderr, stored.exists(), 60 - waited)
    assert stderr.strip().splitlines()[-1] == "Error: interrupted" and "Traceback" not in stderr
    assert not out.exists()
    assert len(Registry(project.registry).load_runs()) == before


def _as_from_a_terminal() -> None:
    """In the child, before exec: SIGINT delivered as from a terminal. A test runner
    started in the background ignores SIGINT (and a process that inherits "ignored"
    rightly keeps ignoring it); a blocked SIGINT would also survive the exec."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _signal_state(pid: int) -> str:
    """The kernel's view of a process's signals (which are blocked, ignored, caught)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError as error:
        return f"no /proc status: {error}"
    keep = ("State", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
    return ", ".join(line.replace("\t", " ") for line in lines if line.startswith(keep))
