"""PostgreSQL registry: log_run latency and a --where top-100 query, on localhost.

    python benchmarks/bench_postgres.py [--runs N]

Starts a throwaway server (tests/postgres/server.py), migrates a fresh database,
logs N runs through ``Registry.log_run`` (one committed transaction each) and
reports the median log_run time, then the median of 5 ``--where`` top-100 queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from medlang.registry import Registry  # noqa: E402
from medlang.registry.postgres_store import PostgresStore  # noqa: E402
from tests.postgres import server as pg  # noqa: E402
from tests.registry.factories import run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20_000)
    args = parser.parse_args()
    server = pg.start()
    try:
        os.environ["PGPASSWORD"] = server.password
        url = server.create_database(f"bench_{uuid.uuid4().hex[:8]}")
        PostgresStore(url).migrate()
        registry = Registry.open(url)
        times = []
        for n in range(args.runs):
            record = run(
                n,
                id=str(uuid.uuid4()),
                config={"seed": n, "lr": 10 ** -(n % 5), "model": {"width": 32 + n % 7}},
                metrics={"rmse": (n * 7919 % 10_000) / 10_000, "r_squared": 1 - n % 100 / 1000},
            )
            start = time.perf_counter()
            registry.log_run(record)
            times.append(time.perf_counter() - start)
        print(f"log_run: {args.runs} runs, median {statistics.median(times) * 1e3:.2f} ms")
        where = "metrics.rmse < 0.05 and config.seed > 100"
        query_times = []
        for _ in range(5):
            start = time.perf_counter()
            found = list(registry.iter_runs(where, order_by="metrics.rmse", limit=100))
            query_times.append(time.perf_counter() - start)
        print(
            f"--where {where!r} top-100 ({len(found)} rows) over {args.runs} runs: "
            f"median {statistics.median(query_times) * 1e3:.1f} ms"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
