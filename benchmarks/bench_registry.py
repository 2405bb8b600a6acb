"""Registry benchmark: build registries of many runs and time what users wait for.

    python benchmarks/bench_registry.py                  # 10k, 100k and 1M runs
    python benchmarks/bench_registry.py --sizes 1000,10000

Each registry lives in a temporary directory. Its runs.jsonl and artifacts.jsonl
(one result file per run) are written in bulk, as a long-lived registry would
have grown; then the index is built once and timed. Then, per size: durable
``log_run`` (fsync included), ``find_run`` and ``recent_runs(20)`` in-process,
the catch-up after one new line, and cold ``mlc runs show <id>`` / ``mlc runs
list -n 20`` as fresh processes (wall time, Python start-up included). Prints a
Markdown table of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from medlang.registry import Registry, RunKind, RunRecord  # noqa: E402
from medlang.registry.timestamps import format_timestamp  # noqa: E402

KINDS = RunKind.names()
LOGS = ("runs.jsonl", "artifacts.jsonl")
START = datetime(2025, 1, 1, tzinfo=UTC)


def artifact_line(rng: random.Random, index: int, created: datetime) -> tuple[str, str]:
    """(id, line) of the result file a run produced."""
    artifact_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    record = {
        "id": artifact_id,
        "kind": "EvidenceResult",
        "path": f"/home/ada/projects/oncology/trial/out/result-{index}.json",
        "created_at": format_timestamp(created),
        "metadata": {},
        "sha256": f"{rng.getrandbits(256):064x}",
        "size_bytes": rng.randrange(1000, 100_000),
    }
    return artifact_id, json.dumps(record, separators=(",", ":"))


def run_lines(rng: random.Random, index: int) -> tuple[str, str]:
    """A realistic run (config and nested metrics, a few hundred bytes) and its artifact."""
    started = START + timedelta(seconds=index * 7 + rng.randrange(7))
    artifact_id, artifact = artifact_line(rng, index, started + timedelta(seconds=40))
    record = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "kind": KINDS[index % len(KINDS)],
        "started_at": format_timestamp(started),
        "finished_at": format_timestamp(started + timedelta(seconds=42)),
        "project_root": "/home/ada/projects/oncology/trial",
        "module_path": "/home/ada/projects/oncology/trial/src/trial.medlang",
        "evidence_program": "OncologyTrial",
        "git_commit": "3f2a9c1e" * 5,
        "git_dirty": index % 5 == 0,
        "config": {"seed": index, "n_patients": 400, "hybrid": {"threshold": 0.2}},
        "metrics": {"orr": rng.random(), "per_arm": {"A": rng.random(), "B": rng.random()}},
        "artifacts": [artifact_id],
        "env": {"python": "3.11.7", "medlang": "0.1.0", "platform": "Linux", "argv": ["mlc"]},
    }
    return json.dumps(record, separators=(",", ":")), artifact


def build(root: Path, size: int) -> list[str]:
    """Write ``size`` runs (one artifact each) straight into the logs; return some run ids."""
    rng = random.Random(size)
    root.mkdir(mode=0o700, parents=True)
    sample: list[str] = []
    with (
        open(root / "runs.jsonl", "w", encoding="utf-8") as runs,
        open(root / "artifacts.jsonl", "w", encoding="utf-8") as artifacts,
    ):
        run_chunk: list[str] = []
        artifact_chunk: list[str] = []
        for index in range(size):
            run, artifact = run_lines(rng, index)
            run_chunk.append(run)
            artifact_chunk.append(artifact)
            if index % max(1, size // 200) == 0:
                sample.append(json.loads(run)["id"])
            if len(run_chunk) == 10_000 or index == size - 1:
                runs.write("\n".join(run_chunk) + "\n")
                artifacts.write("\n".join(artifact_chunk) + "\n")
                run_chunk.clear()
                artifact_chunk.clear()
    return sample


def timed(action, repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def cli_wall(root: Path, *args: str, repeat: int) -> float:
    command = [sys.executable, "-m", "medlang", "--registry", str(root), *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def once() -> None:
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=REPO)

    once()  # page cache warm, as for a user who just ran something
    return timed(once, repeat)


def new_run(index: int) -> RunRecord:
    now = datetime.now(UTC)
    return RunRecord(
        id=str(uuid.uuid4()),
        kind=RunKind.RLTrain,
        started_at=now,
        finished_at=now,
        project_root="/home/ada/projects/oncology/trial",
        config={"seed": index},
        metrics={"reward": 1.0},
    )


def bench(size: int, workdir: Path) -> dict[str, float]:
    root = workdir / f"reg-{size}"
    began = time.perf_counter()
    sample = build(root, size)
    write_s = time.perf_counter() - began
    registry = Registry(root)
    began = time.perf_counter()
    assert registry.count_runs() == registry.count_artifacts() == size
    index_s = time.perf_counter() - began
    # Flush the gigabyte just written: with ext4's ordered mode, an fsync would
    # otherwise wait for it, which says nothing about logging a run day to day.
    os.sync()

    ids = iter(sample * 50)
    find_s = timed(lambda: registry.find_run(next(ids)), min(2000, len(sample) * 50))
    recent_s = timed(lambda: registry.recent_runs(20), 50)
    counter = iter(range(10**9))
    log_s = timed(lambda: registry.log_run(new_run(next(counter))), 300)

    def catch_up() -> float:
        registry.log_run(new_run(next(counter)))
        began = time.perf_counter()
        registry.count_runs()  # indexes the one new line
        return time.perf_counter() - began

    catch_up_s = statistics.median(catch_up() for _ in range(31))
    show_s = cli_wall(root, "runs", "show", sample[len(sample) // 2], repeat=21)
    prefix_s = cli_wall(root, "runs", "show", sample[1][:8], repeat=21)
    list_s = cli_wall(root, "runs", "list", "-n", "20", repeat=21)
    return {
        "runs": size,
        "logs MB": sum((root / name).stat().st_size for name in LOGS) / 1e6,
        "bulk write s": write_s,
        "index build s": index_s,
        "log_run ms": log_s * 1e3,
        "catch-up 1 line ms": catch_up_s * 1e3,
        "find_run ms": find_s * 1e3,
        "recent_runs(20) ms": recent_s * 1e3,
        "mlc runs show ms": show_s * 1e3,
        "mlc runs show <prefix> ms": prefix_s * 1e3,
        "mlc runs list -n 20 ms": list_s * 1e3,
    }


def python_startup_ms() -> float:
    return 1e3 * timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 21)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="comma-separated registry sizes (default: 10000,100000,1000000)",
    )
    parser.add_argument("--dir", type=Path, default=None, help="work here instead of a temp dir")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(dir=args.dir) as workdir:
        results = []
        for size in sizes:
            results.append(bench(size, Path(workdir)))
            print(f"done: {size} runs", file=sys.stderr, flush=True)
    print(f"Python start-up (python -c pass): {python_startup_ms():.0f} ms")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (2 cores)\n")
    keys = list(results[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---:|" * len(keys))
    for row in results:
        cells = [f"{row[key]:,}" if key == "runs" else _fmt(row[key]) for key in keys]
        print("| " + " | ".join(cells) + " |")


def _fmt(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


if __name__ == "__main__":
    main()
