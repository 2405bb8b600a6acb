"""Lineage benchmark: ``mlc runs lineage`` on a registry of many linked runs.

    python benchmarks/bench_lineage.py                 # 100k runs
    python benchmarks/bench_lineage.py --size 10000

The registry is written in bulk as producers write it: groups of ten runs, a
SurrogateTrain that wrote a surrogate, a SurrogateEval and eight EvidenceHybrid
runs that read it (each with its own config and result file). Every run reads
the same evidence program, so one sha256 is an input of all of them: the worst
case for a lookup by hash. The index (lineage tables included) is built once
and timed; then, as fresh processes (Python start-up included, index up to
date): ``mlc runs lineage`` of a hybrid run (its ancestry: the training run and
the evaluation), ``--descendants`` of a training run, and ``--json``. For
reference, cold ``mlc runs show`` of the same runs is measured alongside: on a
loaded machine the ratio says more than the absolute numbers. Prints a Markdown
table of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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

from medlang.provenance import lineage  # noqa: E402
from medlang.registry import Registry  # noqa: E402
from medlang.registry.timestamps import format_timestamp  # noqa: E402

START = datetime(2025, 1, 1, tzinfo=UTC)
GROUP = 10  # train, eval, 8 hybrid runs
PROGRAM = {"name": "OncologyEvidence", "module_path": "/p/evidence.medlang", "sha256": "e" * 64}


class Writer:
    def __init__(self, root: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        self.runs: list[str] = []
        self.artifacts: list[str] = []
        self.root = root
        self.clock = START

    def sha(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def run(self, kind: str, command: str, inputs: dict, outputs: list[tuple[str, str]]) -> str:
        self.clock += timedelta(seconds=7)
        ids = []
        for artifact_kind, sha in outputs:
            artifact_id = self.uid()
            ids.append(artifact_id)
            self.artifacts.append(
                json.dumps(
                    {
                        "id": artifact_id,
                        "kind": artifact_kind,
                        "path": f"/p/out/{artifact_id[:8]}.json",
                        "created_at": format_timestamp(self.clock + timedelta(seconds=5)),
                        "metadata": {},
                        "sha256": sha,
                        "size_bytes": 5000,
                    },
                    separators=(",", ":"),
                )
            )
        run_id = self.uid()
        self.runs.append(
            json.dumps(
                {
                    "id": run_id,
                    "kind": kind,
                    "started_at": format_timestamp(self.clock),
                    "finished_at": format_timestamp(self.clock + timedelta(seconds=6)),
                    "project_root": "/p",
                    "module_path": "med.oncology.evidence",
                    "evidence_program": "OncologyEvidence",
                    "config": {"command": command, "seed": len(self.runs), "inputs": inputs},
                    "metrics": {"rmse": self.rng.random(), "qualification_passed": True},
                    "artifacts": ids,
                    "env": {"python": "3.11.7", "medlang": "0.1.0", "platform": "Linux"},
                },
                separators=(",", ":"),
            )
        )
        return run_id

    def flush(self) -> None:
        with open(self.root / "runs.jsonl", "a", encoding="utf-8") as handle:
            handle.write("\n".join(self.runs) + "\n")
        with open(self.root / "artifacts.jsonl", "a", encoding="utf-8") as handle:
            handle.write("\n".join(self.artifacts) + "\n")
        self.runs.clear()
        self.artifacts.clear()


def build(root: Path, size: int) -> tuple[list[str], list[str]]:
    """Write ``size`` runs in groups; return sample (hybrid, train) run ids."""
    root.mkdir(mode=0o700, parents=True)
    writer = Writer(root, size)
    hybrids, trains = [], []
    for group in range(size // GROUP):
        surrogate = writer.sha()
        file = {"path": "/p/surrogate.json", "sha256": surrogate}
        train = writer.run(
            "SurrogateTrain",
            "train-surrogate",
            {"evidence_program": PROGRAM, "config_file": {"path": "/p/t.json", "sha256": "a" * 64}},
            [("SurrogateModel", surrogate)],
        )
        writer.run(
            "SurrogateEval",
            "surrogate-eval",
            {"evidence_program": PROGRAM, "surrogate": file},
            [("SurrogateEvalReport", writer.sha())],
        )
        for _ in range(GROUP - 2):
            hybrid = writer.run(
                "EvidenceHybrid",
                "run-evidence-hybrid",
                {
                    "evidence_program": PROGRAM,
                    "surrogate": file,
                    "config_file": {"path": "/p/h.json", "sha256": writer.sha()},
                },
                [("EvidenceResult", writer.sha())],
            )
        if group % max(1, size // GROUP // 50) == 0:
            hybrids.append(hybrid)
            trains.append(train)
        if len(writer.runs) >= 10_000:
            writer.flush()
    writer.flush()
    return hybrids, trains


def timed(action, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def cli_wall(root: Path, ids: list[str], *args: str, repeat: int, command: str = "lineage") -> str:
    """Median wall time and median CPU time (user + sys) of fresh processes.

    CPU time is what a process costs whatever else the machine runs; wall time is
    what a user waits for on an idle machine only."""
    # as installed: byte-compiled modules (a development shell may disable .pyc files)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    chosen = iter(ids * (repeat + 1))

    def once() -> None:
        command_line = [sys.executable, "-m", "medlang", "--registry", str(root)]
        command_line += ["runs", command, next(chosen), *args]
        subprocess.run(command_line, check=True, capture_output=True, env=env, cwd=REPO)

    once()  # page cache warm, as for a user who just ran something
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        once()
        walls.append(time.perf_counter() - began)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    wall, cpu = statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3
    return f"{wall:.0f} ms (CPU {cpu:.0f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="medlang-bench-lineage-") as tmp:
        root = Path(tmp) / "reg"
        began = time.perf_counter()
        hybrids, trains = build(root, args.size)
        write_s = time.perf_counter() - began
        registry = Registry(root)
        began = time.perf_counter()
        assert registry.count_runs() == args.size // GROUP * GROUP
        registry.count_artifacts()
        index_s = time.perf_counter() - began
        os.sync()
        graph = lineage.ancestors(registry, hybrids[0])
        assert {node.kind for node in graph.runs.values()} == {
            "EvidenceHybrid",
            "SurrogateTrain",
            "SurrogateEval",
        }
        samples = iter(hybrids * args.repeat)
        in_process = timed(lambda: lineage.ancestors(registry, next(samples)), args.repeat)
        rows = [
            (
                "(reference) cold `mlc runs show <hybrid>`",
                cli_wall(root, hybrids, repeat=args.repeat, command="show"),
                "",
            ),
            ("(setup) bulk JSONL write", f"{write_s:.2f} s", ""),
            ("index build from scratch, lineage tables included", f"{index_s:.2f} s", ""),
            ("`lineage.ancestors` of a hybrid run (in-process)", f"{in_process * 1e3:.2f} ms", ""),
            (
                "cold `mlc runs lineage <hybrid>`",
                cli_wall(root, hybrids, repeat=args.repeat),
                "<= 150 ms",
            ),
            (
                "cold `mlc runs lineage <hybrid> --json`",
                cli_wall(root, hybrids, "--json", repeat=args.repeat),
                "<= 150 ms",
            ),
            (
                "cold `mlc runs lineage <train> --descendants` (9 runs)",
                cli_wall(root, trains, "--descendants", repeat=args.repeat),
                "<= 150 ms",
            ),
        ]
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        python_ms = (time.perf_counter() - started) * 1e3
    print(f"{args.size} runs, median of {args.repeat}; `python -c pass`: {python_ms:.0f} ms")
    print("| Measurement | Median | Target |\n|---|---:|---|")
    for name, value, target in rows:
        print(f"| {name} | {value} | {target} |")


if __name__ == "__main__":
    main()
