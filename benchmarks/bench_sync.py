"""Offline-first sync: ``mlc registry push`` of a local registry to PostgreSQL, and
``mlc registry pull`` back into a new directory, on localhost.

    python benchmarks/bench_sync.py [--runs N] [--repeat R]

Builds a directory registry of N runs (one artifact each, the objects those name,
tags on every 10th run, notes on every 20th, two hidden runs; tests/sync/fill.py),
starts a throwaway server (tests/postgres/server.py), then R times: migrates a fresh
database and times the real ``mlc registry push --to`` (a new process, start-up
included) into it, then a second push that finds everything there, then
``mlc registry pull --from`` into a new directory. Reports the medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from medlang.registry.postgres_store import PostgresStore  # noqa: E402
from medlang.registry.storage import Table  # noqa: E402
from tests.postgres import server as pg  # noqa: E402
from tests.sync.fill import fill  # noqa: E402


def mlc(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "medlang", *args], capture_output=True, text=True, cwd=ROOT
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"mlc {' '.join(args)} failed: {done.stderr.strip()}")
    return elapsed, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    server = pg.start()
    try:
        os.environ["PGPASSWORD"] = server.password
        source = work / "laptop"
        start = time.perf_counter()
        registry = fill(source, args.runs, objects=20)
        registry.store.count(Table.RUNS)  # the local index, as a registry in use has it
        registry.store.count(Table.ARTIFACTS)
        print(f"local registry of {args.runs:,} runs built in {time.perf_counter() - start:.1f} s")
        pushes, again, pulls = [], [], []
        for attempt in range(args.repeat):
            url = server.create_database(f"bench_{uuid.uuid4().hex[:8]}")
            store = PostgresStore(url)
            store.migrate()
            store.close()
            elapsed, said = mlc("--registry", str(source), "registry", "push", "--to", url)
            pushes.append(elapsed)
            print(f"push {attempt + 1}: {elapsed:.1f} s: {said.split(': ', 1)[1]}")
            elapsed, said = mlc("--registry", str(source), "registry", "push", "--to", url)
            again.append(elapsed)
            print(f"  push again: {elapsed:.1f} s: {said.split(': ', 1)[1]}")
            back = work / f"back-{attempt}"
            elapsed, said = mlc("--registry", str(back), "registry", "pull", "--from", url)
            pulls.append(elapsed)
            print(f"  pull: {elapsed:.1f} s: {said.split(': ', 1)[1]}")
            shutil.rmtree(back)
        print(
            f"median of {args.repeat}: push {statistics.median(pushes):.1f} s, "
            f"push with nothing to send {statistics.median(again):.1f} s, "
            f"pull {statistics.median(pulls):.1f} s ({args.runs:,} runs)"
        )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
