"""Language benchmarks (issue 3): how fast MedLang checks and runs.

1. Parse + check of a generated 2,000-line program, grammar tables cached:
   in-process median of ``check_file`` (target <= 300 ms), parse alone, and the
   wall time of a fresh ``mlc check`` process for reference.
2. ``mlc run examples/best_surrogate.medlang`` over a 100k-run registry:
   wall time of the whole command in a subprocess, median of a few (target <= 2 s).
   The registry is built fast: JSONL lines written in bulk, then the index is
   built once (timed separately; every later run finds it up to date).

3. A filter + sort_by + sort_by_desc pipeline over 100k records (closures called
   per record), in-process (target <= 1 s).
4. A 10^6-iteration arithmetic `while` loop against CPython running the same
   algorithm, interleaved (aim <= 20x), with and without a step limit, and a
   profile of where the time goes.
5. Check time against program size (2k, 20k, 60k lines: linear), and how fast a
   13 MB source is refused; how long a looping evidence program takes to stop
   under the producers' default step budget.

Usage: python benchmarks/bench_lang.py [--runs 100000] [--lines 2000] [--repeat 5]
       [--records 100000] [--only check,registry,pipeline,loop,scaling]
"""

from __future__ import annotations

import argparse
import contextlib
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
    print(f"  parse + check (in-process, median of {repeat}): {check:8.1f} ms   target <= 150 ms")
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


PIPELINE = """\
type Run = { id: String; kind: String; rmse: Float; ms: Int };

fn pipeline(runs: Vector<Run>) -> Int {
  let good = runs.filter(|r| r.kind == "SurrogateEval" && r.rmse < 0.1);
  let ranked = sort_by(good, |r| r.rmse);
  let slowest = sort_by_desc(runs, |r| r.ms);
  len(ranked) + len(slice(slowest, 0, 10))
}
"""

LOOP = """\
fn main() -> Int {
  var i = 0;
  var acc = 0;
  while i < 1000000 {
    acc = (acc + i * 7) % 1000003;
    i = i + 1;
  }
  acc
}
"""


def loop_in_python() -> int:
    """The same algorithm as LOOP, in CPython."""
    i = 0
    acc = 0
    while i < 1000000:
        acc = (acc + i * 7) % 1000003
        i = i + 1
    return acc


def bench_pipeline(workdir: Path, records: int, repeat: int) -> None:
    from medlang.lang.api import load_program
    from medlang.lang.values import Record

    rng = random.Random(3)
    path = workdir / "pipeline.medlang"
    path.write_text(PIPELINE)
    program = load_program(path)
    runs = tuple(
        Record(
            "Run",
            {
                "id": f"run-{i}",
                "kind": KINDS[i % len(KINDS)],
                "rmse": rng.uniform(0.0, 0.3),
                "ms": rng.randint(50, 5000),
            },
        )
        for i in range(records)
    )
    pipeline = median_ms(lambda: program.call("pipeline", [runs]), repeat)
    print(f"pipeline over {records:,} records (filter + sort_by + sort_by_desc + slice):")
    print(f"  in-process, median of {repeat}: {pipeline / 1000:6.2f} s   target <= 1 s")


def bench_loop(workdir: Path, repeat: int) -> None:
    import cProfile
    import io
    import pstats

    from medlang.lang.api import load_program
    from medlang.lang.interpret import Limits

    path = workdir / "loop.medlang"
    path.write_text(LOOP)
    program = load_program(path)
    assert program.call("main") == loop_in_python()
    medlang, cpython, bounded = [], [], []
    limits = Limits(max_steps=10**9)
    for _ in range(repeat):  # interleaved, so load from other processes hits both alike
        medlang.append(median_ms(lambda: program.call("main"), 1))
        cpython.append(median_ms(loop_in_python, 1))
        bounded.append(median_ms(lambda: program.call("main", limits=limits), 1))
    m, c, b = statistics.median(medlang), statistics.median(cpython), statistics.median(bounded)
    print("10^6-iteration arithmetic while loop, in-process (interleaved medians):")
    print(f"  MedLang {m / 1000:6.2f} s, CPython {c / 1000:6.3f} s: {m / c:5.1f}x   aim <= 20x")
    print(f"  with a step limit (--max-steps): {b / 1000:6.2f} s ({(b / m - 1) * 100:+.0f}%)")
    from medlang.lang import api

    profile = cProfile.Profile()
    api._local.inside = True  # run on this thread, where the profiler looks
    try:
        profile.runcall(lambda: program.call("main"))
    finally:
        api._local.inside = False
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(10)
    print("  where the time goes (cProfile, own time):")
    for line in out.getvalue().splitlines():
        if "fast_eval" in line or "interpret" in line:
            print("   ", line.strip())


def bench_scaling(workdir: Path) -> None:
    from medlang.lang.api import check_file

    print("check time against program size (in-process, one run each):")
    for lines in (2_000, 20_000, 60_000):
        path = workdir / f"scale{lines}.medlang"
        path.write_text(generated_program(lines))
        seconds = median_ms(lambda: check_file(path), 1) / 1000  # noqa: B023
        print(f"  {lines:6,} lines, {path.stat().st_size / 1e6:5.2f} MB: {seconds:6.2f} s")
    huge = workdir / "huge.medlang"
    text = generated_program(2_000)
    with huge.open("w") as handle:
        while handle.tell() < 13_000_000:
            handle.write(text.replace("module bench.generated;", ""))
    refused = median_ms(lambda: _mlc_status("check", str(huge)), 1)
    print(f"  13 MB file: `mlc check` refuses it in {refused / 1000:.2f} s (whole process)")


def bench_step_budget(workdir: Path) -> None:
    from medlang.evidence.common import EVIDENCE_MAX_STEPS
    from medlang.lang.api import MedLangRuntimeError, load_program
    from medlang.lang.interpret import Limits

    path = workdir / "spin.medlang"
    path.write_text("fn main() { var i = 0; while true { i = i + 1; } }\n")
    program = load_program(path)
    start = time.perf_counter()
    with contextlib.suppress(MedLangRuntimeError):
        program.call("main", limits=Limits(max_steps=EVIDENCE_MAX_STEPS))
    elapsed = time.perf_counter() - start
    print(f"a looping evidence program stops after the default {EVIDENCE_MAX_STEPS:,} steps:")
    print(f"  in {elapsed:.2f} s (in-process)")


def _mlc_status(*args: str) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "medlang", *args],
        capture_output=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    return done.returncode


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
    parser.add_argument("--records", type=int, default=100_000, help="pipeline records")
    parser.add_argument(
        "--only", default="check,registry,pipeline,loop,scaling", help="sections to run"
    )
    args = parser.parse_args()
    sections = set(args.only.split(","))
    sys.path.insert(0, str(REPO_ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-lang-") as tmp:
        if "check" in sections:
            bench_check(Path(tmp), args.lines, args.repeat)
        if "registry" in sections:
            bench_best_surrogate(Path(tmp), args.runs, args.repeat)
        if "pipeline" in sections:
            bench_pipeline(Path(tmp), args.records, args.repeat)
        if "loop" in sections:
            bench_loop(Path(tmp), args.repeat)
        if "scaling" in sections:
            bench_scaling(Path(tmp))
            bench_step_budget(Path(tmp))


if __name__ == "__main__":
    main()
