"""Provenance costs: storing a run's files, dedup, ``mlc runs verify`` at 100k runs,
and replay of the 300-patient hybrid example against the original run.

Run from the repository root: ``python benchmarks/bench_provenance.py``.
Medians; storing and not storing are interleaved so machine load hits both alike.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from medlang.registry import Registry, RunLogger  # noqa: E402


def storing_overhead(tmp: Path, repeat: int) -> tuple[float, float, int]:
    """(median ms logging with files stored, without, bytes a repeated run adds)."""
    files = []
    for name, size in (("evidence.medlang", 6_000), ("config.json", 400), ("result.json", 40_000)):
        path = tmp / name
        path.write_bytes(bytes(range(256)) * (size // 256))
        files.append(path)
    config = {
        "inputs": {
            "evidence_program": {"module_path": str(files[0]), "sha256": _sha(files[0])},
            "config_file": {"path": str(files[1]), "sha256": _sha(files[1])},
        }
    }
    samples: dict[bool, list[float]] = {True: [], False: []}
    for n in range(repeat):
        for store in (True, False):
            registry = Registry(tmp / f"reg-{store}-{n}")
            logger = RunLogger.new_for_project(tmp, registry=registry, store_files=store)
            logger.log_run("EvidenceHybrid", {}, {})  # registry, index, env lock: warm
            began = time.perf_counter()
            logger.log_run_with_artifacts(
                "EvidenceHybrid", config, {}, [("EvidenceResult", files[2])]
            )
            samples[store].append((time.perf_counter() - began) * 1e3)
    registry = Registry(tmp / "reg-True-0")
    before = _bytes(tmp / "reg-True-0" / "objects" / "sha256")
    RunLogger.new_for_project(tmp, registry=registry).log_run_with_artifacts(
        "EvidenceHybrid", config, {}, [("EvidenceResult", files[2])]
    )
    added = _bytes(tmp / "reg-True-0" / "objects" / "sha256") - before
    return statistics.median(samples[True]), statistics.median(samples[False]), added


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def verify_at_scale(tmp: Path, size: int, repeat: int) -> str:
    """Median wall time of fresh ``mlc runs verify`` processes (the synthetic runs'
    files do not exist, so each reports them missing and exits 1: the work is the same)."""
    import os

    from bench_lineage import build

    root = tmp / "big"
    hybrids, _ = build(root, size)
    Registry(root).count_runs()  # index built, as after any first command
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    walls = []
    for n in range(repeat + 1):
        command = [sys.executable, "-m", "medlang", "--registry", str(root)]
        began = time.perf_counter()
        subprocess.run(
            [*command, "runs", "verify", hybrids[n % len(hybrids)]],
            capture_output=True,
            env=env,
            cwd=REPO,
            check=False,
        )
        walls.append(time.perf_counter() - began)
    return f"{statistics.median(walls[1:]) * 1e3:.0f} ms"


def replay_ratio(tmp: Path, repeat: int) -> tuple[float, float]:
    """(median s of the original hybrid run, of its replay), fresh processes."""
    import shutil

    from medlang.resources import examples_dir

    project = tmp / "oncology"
    shutil.copytree(examples_dir() / "oncology", project)
    registry = tmp / "reg-example"
    mlc = [sys.executable, "-m", "medlang", "--registry", str(registry)]
    program = ["--evidence-program", "OncologyEvidence", "--project", str(project)]

    def run(*args: str) -> str:
        env = {**__import__("os").environ, "PYTHONPATH": str(REPO)}
        done = subprocess.run([*mlc, *args], capture_output=True, text=True, cwd=project, env=env)
        if done.returncode != 0:
            sys.exit(done.stderr)
        return done.stdout

    run(
        "train-surrogate",
        *program,
        "--train-config",
        "train_surrogate.json",
        "--out-model",
        "surrogate.json",
        "--log",
        "-q",
    )
    originals, replays = [], []
    for n in range(repeat):
        began = time.perf_counter()
        out = run(
            "run-evidence-hybrid",
            *program,
            "--hybrid-config",
            "hybrid_config.json",
            "--out",
            f"out/r{n}.json",
            "--log",
            "-q",
        )
        originals.append(time.perf_counter() - began)
        run_id = out.strip().split()[-1]
        began = time.perf_counter()
        run("runs", "replay", run_id)
        replays.append(time.perf_counter() - began)
    return statistics.median(originals), statistics.median(replays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="medlang-bench-provenance-") as tmp:
        stored, plain, added = storing_overhead(Path(tmp), args.repeat)
        print(
            f"log a run with 3 small files (46 KB): stored {stored:.2f} ms, "
            f"paths only {plain:.2f} ms, overhead {stored - plain:.2f} ms"
        )
        print(f"a second identical run adds {added} bytes to the object store")
        print(
            f"cold `mlc runs verify <hybrid>` at {args.size} runs: "
            f"{verify_at_scale(Path(tmp), args.size, args.repeat)}"
        )
        original, replayed = replay_ratio(Path(tmp), max(3, args.repeat // 3))
        print(
            f"300-patient hybrid example: original {original:.2f} s, replay {replayed:.2f} s, "
            f"ratio {replayed / original:.2f}"
        )


if __name__ == "__main__":
    main()
