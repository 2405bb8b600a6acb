"""Language benchmarks (issue 3): how fast MedLang checks and runs.

1. Parse + check of a generated 2,000-line program, grammar tables cached:
   in-process median of ``check_file`` (target <= 300 ms), parse alone, and the
   wall time of a fresh ``mlc check`` process for reference.
2. ``mlc run examples/best_surrogate.medlang`` over a 100k-run registry:
   wall time of the whole command in a subprocess, median of a few (target <= 2 s).
   The registry is built fast: JSONL lines written in bulk, then the index is
   built once (timed separately; every later run finds it up to date).

Usage: python benchmarks/bench_lang.py [--runs 100000] [--lines 2000] [--repeat 5]
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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
KINDS = (
    "EvidenceMechanistic",
    "EvidenceSurrogate",
    "EvidenceHybrid",
    "SurrogateTrain",
    "SurrogateEval",
    "RLTrain",
    "RLEval",
)

FUNCTION_TEMPLATE = """\
/// Generated function {i}: mean of the first `limit` values, doubled.
fn stat_{i}(values: Vector<Float>, limit: Int) -> Float {{
  var total = 0.0;
  var count = 0;
  for value in values {{
    if count >= limit {{
      break;
    }}
    total = total + value * 2.0;
    count = count + 1;
  }}
  let point = {{ x = total; y = to_float(count) }};
  let label = match count {{
    0 => "none",
    1 => "one",
    _ => "many",
  }};
  println("stat_{i}: {{}} {{}}", label, point.x);
  if count == 0 {{ 0.0 }} else {{ total / to_float(count) }}
}}

"""


def generated_program(lines: int) -> str:
    """A valid program of about ``lines`` lines: many small typical functions."""
    parts = [
        "module bench.generated;\n\n",
        "import med.registry::{RunKind, list_runs};\n\n",
        "type Point = { x: Float; y: Float; };\n\n",
    ]
    per_function = FUNCTION_TEMPLATE.count("\n")
    count = max(1, (lines - 12) // per_function)
    parts += [FUNCTION_TEMPLATE.format(i=i) for i in range(count)]
    calls = "".join(f'  println("{{}}", stat_{i}(values, 3));\n' for i in range(0, count, 10))
    parts.append(
        "fn main() {\n  let values = [1.0, 2.5, 4.0];\n"
        '  println("{}", len(list_runs(Some(RunKind::SurrogateEval))));\n' + calls + "}\n"
    )
    return "".join(parts)


def median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_check(workdir: Path, lines: int, repeat: int) -> None:
    from medlang.lang.api import check_file
    from medlang.lang.parse import parse_module

    source = generated_program(lines)
    path = workdir / "generated.medlang"
    path.write_text(source)
    n_lines = source.count("\n")
    diagnostics = check_file(path)  # also builds (or loads) the cached parser tables
    if diagnostics:
        sys.exit("generated program does not check:\n" + diagnostics[0].render())
    parse = median_ms(lambda: parse_module(source, str(path)), repeat)
    check = median_ms(lambda: check_file(path), repeat)
    process = median_ms(lambda: _mlc("check", str(path)), repeat)
    print(f"program: {n_lines} lines")
    print(f"  parse only (in-process, median of {repeat}):    {parse:8.1f} ms")
    print(f"  parse + check (in-process, median of {repeat}): {check:8.1f} ms   target <= 300 ms")
    print(f"  `mlc check` whole process (median of {repeat}): {process:8.1f} ms")


def write_registry(root: Path, runs: int, seed: int = 1) -> str:
    """Write ``runs`` stored run lines in bulk; return the id of the lowest-rmse eval."""
    from medlang.registry.paths import RUNS_FILE

    rng = random.Random(seed)
    root.mkdir(parents=True, mode=0o700)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    best_id, best_rmse = "", float("inf")
    lines = []
    for i in range(runs):
        kind = KINDS[i % len(KINDS)]
        run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        metrics: dict[str, object] = {"execution_time_ms": rng.randint(50, 5000)}
        if kind == "SurrogateEval":
            rmse = round(rng.uniform(0.02, 0.2), 6)
            metrics |= {"rmse": rmse, "mae": rmse * 0.7, "qualification_passed": rmse < 0.05}
            if rmse < best_rmse:
                best_id, best_rmse = run_id, rmse
        started = start + timedelta(seconds=37 * i)
        lines.append(
            json.dumps(
                {
                    "id": run_id,
                    "kind": kind,
                    "started_at": _time(started),
                    "finished_at": _time(started + timedelta(seconds=30)),
                    "project_root": "/srv/trials/bench",
                    "module_path": None,
                    "evidence_program": "OncologyEvidence",
                    "git_commit": f"{rng.getrandbits(160):040x}",
                    "git_dirty": False,
                    "config": {"seed": i},
                    "metrics": metrics,
                    "artifacts": [],
                    "env": None,
                },
                separators=(",", ":"),
            )
        )
    fd = os.open(root / RUNS_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as log:
        log.write("\n".join(lines) + "\n")
    return best_id


def bench_best_surrogate(workdir: Path, runs: int, repeat: int) -> None:
    from medlang.registry.store import Registry

    root = workdir / "registry"
    start = time.perf_counter()
    best_id = write_registry(root, runs)
    written = time.perf_counter() - start
    start = time.perf_counter()
    counted = Registry(root).count_runs()  # builds the index once
    indexed = time.perf_counter() - start
    assert counted == runs, counted
    example = str(REPO_ROOT / "examples" / "best_surrogate.medlang")
    output = _mlc("--registry", str(root), "run", example)
    if best_id not in output:
        sys.exit(f"best_surrogate did not find {best_id}:\n{output}")
    wall = median_ms(lambda: _mlc("--registry", str(root), "run", example), repeat)
    every_run = median_ms(lambda: _list_all_runs(root), repeat)
    print(f"registry: {runs} runs ({runs // len(KINDS)} SurrogateEval)")
    print(f"  bulk JSONL write: {written:6.2f} s; index build once: {indexed:6.2f} s")
    print(
        f"  `mlc run examples/best_surrogate.medlang` (median of {repeat}): "
        f"{wall / 1000:6.2f} s   target <= 2 s"
    )
    print(f"  list_runs(None) extern over all {runs} runs (in-process): {every_run / 1000:6.2f} s")


def _list_all_runs(root: Path) -> int:
    from medlang.lang.bridge.registry import list_runs
    from medlang.lang.externs import ExternContext
    from medlang.lang.values import NONE

    return len(list_runs(ExternContext(root), NONE))  # fresh context: no cache


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _mlc(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "medlang", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    if result.returncode != 0:
        sys.exit(f"mlc {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000, help="registry size")
    parser.add_argument("--lines", type=int, default=2000, help="generated program size")
    parser.add_argument("--repeat", type=int, default=5, help="timings per median")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO_ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-lang-") as tmp:
        bench_check(Path(tmp), args.lines, args.repeat)
        bench_best_surrogate(Path(tmp), args.runs, args.repeat)


if __name__ == "__main__":
    main()
