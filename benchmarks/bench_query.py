"""Query benchmark: the query language, streaming and compare at 100k and 1M runs,
side by side with MLflow 3.x's ``search_runs`` on the same 100k runs.

    python benchmarks/bench_query.py                         # 100k and 1M runs
    python benchmarks/bench_query.py --sizes 100000 --mlflow-python /path/venv/bin/python

Each registry is written in bulk (1/7 of the runs SurrogateEval with rmse and
r_squared, the rest other kinds with other metrics; config, env, one artifact per
run), then indexed once (timed: the full build, with the query tables). "Cold" is a
fresh ``python -m medlang`` process (start-up included, page cache warm, index up to
date); the query and ``CASES`` are also timed in-process, with and without the
index walk (``medlang.query.sql.walk``). With ``--mlflow-python`` (a separate
virtualenv with mlflow 3.x), the same runs are bulk-inserted into an MLflow SQLite
store (runs, tags, params and latest_metrics rows as MLflow writes them) and
``mlflow.search_runs`` with the AND-only equivalent of the query is timed in a warm
MLflow process; the two are measured in interleaved pairs and the ratio of each pair
reported.
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
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from medlang.query import sql  # noqa: E402
from medlang.registry import Registry, RunKind, RunRecord  # noqa: E402
from medlang.registry.timestamps import format_timestamp  # noqa: E402

QUERY = "kind = SurrogateEval and (metrics.rmse < 0.05 or metrics.r_squared > 0.99)"
MLFLOW_QUERY = "tags.kind = 'SurrogateEval' and metrics.rmse < 0.05"  # MLflow has no OR
# More top-100s through the index walk, timed in-process with and without it: (where,
# order), the walk's good cases and its worst (a selective query ordered by a metric)
CASES = [
    ("metrics.rmse > 0.15 and config.seed > 100", "metrics.rmse"),
    ("kind = SurrogateEval", "metrics.rmse desc"),
    ("config.seed = 4321", "metrics.rmse"),
]
KINDS = RunKind.names()
START = datetime(2025, 1, 1, tzinfo=UTC)


def run_record(rng: random.Random, index: int) -> tuple[dict, dict]:
    started = START + timedelta(seconds=index * 7 + rng.randrange(7))
    kind = KINDS[index % len(KINDS)]
    if kind == "SurrogateEval":
        metrics = {"rmse": rng.uniform(0, 0.2), "r_squared": 1 - rng.uniform(0, 0.05)}
    else:
        metrics = {"orr": rng.random(), "per_arm": {"A": rng.random(), "B": rng.random()}}
    artifact = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "kind": "EvidenceResult",
        "path": f"/home/ada/projects/oncology/trial/out/result-{index}.json",
        "created_at": format_timestamp(started + timedelta(seconds=40)),
        "metadata": {},
        "sha256": f"{rng.getrandbits(256):064x}",
        "size_bytes": rng.randrange(1000, 100_000),
    }
    record = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "kind": kind,
        "started_at": format_timestamp(started),
        "finished_at": format_timestamp(started + timedelta(seconds=42)),
        "project_root": "/home/ada/projects/oncology/trial",
        "module_path": "trial",
        "evidence_program": "OncologyTrial",
        "git_commit": "3f2a9c1e" * 5,
        "git_dirty": index % 5 == 0,
        "config": {"seed": index, "n_patients": 400, "hybrid": {"threshold": 0.2}},
        "metrics": metrics,
        "artifacts": [artifact["id"]],
        "env": {"python": "3.11.7", "medlang": "0.1.0", "platform": "Linux"},
    }
    return record, artifact


def build(root: Path, size: int) -> list[dict]:
    """Write ``size`` runs straight into the logs; return them (for MLflow) when small."""
    rng = random.Random(size)
    root.mkdir(mode=0o700, parents=True)
    kept: list[dict] = []
    with open(root / "runs.jsonl", "w") as runs, open(root / "artifacts.jsonl", "w") as arts:
        chunk_r: list[str] = []
        chunk_a: list[str] = []
        for index in range(size):
            record, artifact = run_record(rng, index)
            if size <= 200_000:
                kept.append(record)
            chunk_r.append(json.dumps(record, separators=(",", ":")))
            chunk_a.append(json.dumps(artifact, separators=(",", ":")))
            if len(chunk_r) == 10_000 or index == size - 1:
                runs.write("\n".join(chunk_r) + "\n")
                arts.write("\n".join(chunk_a) + "\n")
                chunk_r.clear()
                chunk_a.clear()
    return kept


def in_process(
    registry: Registry, where: str, order: str, repeat: int = 7
) -> tuple[list[dict], list[float]]:
    """A top 100 through ``iter_runs`` (index up to date): rows, seconds each."""
    times, found = [], []
    for _ in range(repeat + 1):  # the first warms the page cache and is dropped
        began = time.perf_counter()
        found = list(registry.iter_runs(where, order_by=order, limit=100))
        times.append(time.perf_counter() - began)
    return found, times[1:]


def cold(root: Path, *args: str) -> float:
    command = [sys.executable, "-m", "medlang", "--registry", str(root), *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env, cwd=REPO)
    return time.perf_counter() - began


def peak_rss_mb(root: Path, *args: str) -> float:
    """Peak RSS of one ``mlc`` process. It is started by a small intermediate process
    that reads its children's ``ru_maxrss``: a child forked straight from this (large)
    benchmark process would report this process's size."""
    command = [sys.executable, "-m", "medlang", "--registry", str(root), *args]
    code = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code, *command],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return int(done.stdout.strip().splitlines()[-1]) / 1024


MLFLOW_SERVER = r"""
import sys, time, mlflow
mlflow.set_tracking_uri(sys.argv[1])
experiment = sys.argv[2]
query = sys.argv[3]
for line in sys.stdin:
    began = time.perf_counter()
    found = mlflow.search_runs(
        experiment_ids=[experiment], filter_string=query, order_by=["metrics.rmse ASC"],
        max_results=100, output_format="list",
    )
    print(time.perf_counter() - began, len(found), flush=True)
"""


def mlflow_store(python: str, path: Path, records: list[dict]) -> str:
    """An MLflow SQLite store holding ``records``: its schema made by MLflow itself,
    the rows inserted in bulk the way MLflow's SqlAlchemyStore writes them."""
    import sqlite3

    uri = f"sqlite:///{path}"
    init = (
        "import sys, mlflow; mlflow.set_tracking_uri(sys.argv[1]);"
        "print(mlflow.MlflowClient().create_experiment('bench'))"
    )
    experiment = subprocess.run(
        [python, "-c", init, uri], check=True, capture_output=True, text=True
    ).stdout.split()[-1]
    conn = sqlite3.connect(path)
    runs, tags, params, metrics = [], [], [], []
    for record in records:
        run_id = record["id"].replace("-", "")
        start = int(datetime.fromisoformat(record["started_at"][:-1]).timestamp() * 1000)
        runs.append(
            (
                run_id,
                run_id[:8],
                "LOCAL",
                "",
                "",
                "ada",
                "FINISHED",
                start,
                start + 42_000,
                "",
                "active",
                f"/tmp/{run_id}",
                int(experiment),
            )
        )
        tags.append(("kind", record["kind"], run_id))
        for key, value in (("seed", record["config"]["seed"]), ("n_patients", 400)):
            params.append((key, str(value), run_id))
        for key, value in record["metrics"].items():
            if isinstance(value, float):
                metrics.append((key, value, start, 0, 0, run_id))
    conn.executemany(
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id,"
        " status, start_time, end_time, source_version, lifecycle_stage, artifact_uri,"
        " experiment_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        runs,
    )
    conn.executemany("INSERT INTO tags VALUES (?,?,?)", tags)
    conn.executemany("INSERT INTO params VALUES (?,?,?)", params)
    conn.executemany("INSERT INTO latest_metrics VALUES (?,?,?,?,?,?)", metrics)
    conn.executemany(
        "INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?,?,?,?,?,?)",
        metrics,
    )
    conn.commit()
    conn.close()
    return experiment


def bench_size(size: int, workdir: Path, args: argparse.Namespace) -> dict:
    root = workdir / f"reg-{size}"
    began = time.perf_counter()
    records = build(root, size)
    out: dict = {"runs": size, "bulk write s": time.perf_counter() - began}
    os.sync()
    registry = Registry(root)
    began = time.perf_counter()
    assert registry.count_runs() == registry.count_artifacts() == size
    out["index build s (with query tables)"] = time.perf_counter() - began
    if args.baseline:  # the same build with the index code of another checkout
        code = (
            "import sys, time; sys.path.insert(0, sys.argv[1]);"
            "from medlang.registry import Registry; r = Registry(sys.argv[2]);"
            "t = time.perf_counter(); r.count_runs(); r.count_artifacts();"
            "print(time.perf_counter() - t)"
        )
        copy = workdir / f"baseline-{size}"
        copy.mkdir()
        for name in ("runs.jsonl", "artifacts.jsonl"):
            os.link(root / name, copy / name)
        done = subprocess.run(
            [sys.executable, "-c", code, args.baseline, str(copy)],
            check=True,
            capture_output=True,
            text=True,
        )
        out["index build s (baseline checkout)"] = float(done.stdout.split()[-1])
    wal = root / "index.sqlite-wal"
    out["WAL after build MB"] = wal.stat().st_size / 1e6 if wal.exists() else 0.0
    out["index MB"] = (root / "index.sqlite").stat().st_size / 1e6

    query_args = ("runs", "list", "--where", QUERY, "--order-by", "metrics.rmse", "-n", "100")
    cold(root, *query_args)  # warm the page cache
    samples = [cold(root, *query_args) for _ in range(args.repeat)]
    out["cold mlc runs list --where ... -n 100 ms"] = 1e3 * statistics.median(samples)
    for label, windows in (("index walk", sql.WALK_WINDOWS), ("plain query, no walk", ())):
        with mock.patch.object(sql, "WALK_WINDOWS", windows):
            found, times = in_process(registry, QUERY, "metrics.rmse")
            out[f"the same query in-process ({label}) ms"] = 1e3 * statistics.median(times)
            assert len(found) == 100
            for where, order in CASES:
                found, times = in_process(registry, where, order, repeat=3)
                key = f"--where {where!r} --order-by {order} in-process ({label}) ms"
                out[key] = 1e3 * statistics.median(times)
    plain = [cold(root, "runs", "list", "-n", "20") for _ in range(args.repeat)]
    out["cold mlc runs list -n 20 ms"] = 1e3 * statistics.median(plain)

    ids = [r["id"] for r in registry.iter_runs(limit=10, order_by="config.seed")]
    compare = [cold(root, "runs", "compare", *ids) for _ in range(args.repeat)]
    out["cold mlc runs compare (10 runs) ms"] = 1e3 * statistics.median(compare)

    began = time.perf_counter()
    count = sum(1 for _ in registry.iter_runs())
    out["iter_runs all (in-process) s"] = time.perf_counter() - began
    assert count == size
    out["peak RSS, mlc runs list --format jsonl -n 0 MB"] = peak_rss_mb(
        root, "runs", "list", "--format", "jsonl", "-n", "0"
    )

    counter = iter(range(10**9))

    def catch_up() -> float:
        now = datetime.now(UTC)
        registry.log_run(
            RunRecord(
                id=str(uuid.uuid4()),
                kind=RunKind.SurrogateEval,
                started_at=now,
                finished_at=now,
                project_root="/p",
                config={"seed": next(counter)},
                metrics={"rmse": 0.1, "r_squared": 0.9},
            )
        )
        began = time.perf_counter()
        registry.count_runs()  # indexes the one new line, query tables included
        return time.perf_counter() - began

    out["index catch-up, one run ms"] = 1e3 * statistics.median(catch_up() for _ in range(31))

    if args.mlflow_python and records:
        store = workdir / f"mlflow-{size}.db"
        experiment = mlflow_store(args.mlflow_python, store, records)
        server = subprocess.Popen(
            [
                args.mlflow_python,
                "-c",
                MLFLOW_SERVER,
                f"sqlite:///{store}",
                experiment,
                MLFLOW_QUERY,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

        def mlflow_once() -> tuple[float, int]:
            server.stdin.write("go\n")
            server.stdin.flush()
            seconds, found = server.stdout.readline().split()
            return float(seconds), int(found)

        mlflow_once()  # imports, connection, page cache
        pairs = []
        for _ in range(args.repeat):
            ours = cold(root, *query_args)
            theirs, found = mlflow_once()
            pairs.append((ours, theirs))
        server.stdin.close()
        server.wait()
        out["MLflow search_runs (warm process, AND only) ms"] = 1e3 * statistics.median(
            t for _, t in pairs
        )
        out["MLflow rows returned"] = found
        out["ratio MLflow / ours (median of pairs)"] = statistics.median(t / o for o, t in pairs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--mlflow-python", help="python of a virtualenv with mlflow 3.x")
    parser.add_argument("--baseline", help="a checkout whose index build to time as 'today's'")
    parser.add_argument("--dir", type=Path, default=None, help="work here instead of /tmp")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as workdir:
        for size in (int(s) for s in args.sizes.split(",")):
            result = bench_size(size, Path(workdir), args)
            print(json.dumps(result, indent=1), flush=True)
    print(f"load average: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
