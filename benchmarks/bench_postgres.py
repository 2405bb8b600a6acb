"""PostgreSQL registry: log_run latency and the ``--where`` top-100 query, on localhost.

    python benchmarks/bench_postgres.py --runs 1000000 --dir DIR   # server data in DIR
    python benchmarks/bench_postgres.py --runs 100000 --explain    # and the query plans

Starts a throwaway server (tests/postgres/server.py: fsync off), migrates a fresh
database, logs ``--logged`` runs through ``Registry.log_run`` (one committed
transaction each; their median is the log_run figure), then bulk-loads the rest up
to ``--runs`` with COPY: the rows ``PostgresStore.append`` writes (record, columns
and keyed values computed by ``medlang.registry.facts``) for the runs table and its
query tables. The runs are bench_query.py's (1/7 SurrogateEval with rmse and
r_squared), so the queries are the same. After the load the tables are vacuumed
and analysed, as autovacuum does on a server after a bulk write. Each query, top
100 by ``metrics.rmse``, is timed in-process (``Registry.iter_runs``, connection
warm; also with the index walk switched off, i.e. the plain query) and as a cold
``mlc runs list --where ... -n 100`` process. Prints one JSON object with the
machine, the load average at start and end, and the medians.
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
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_query import CASES, QUERY, run_record  # noqa: E402

from medlang.query import sql  # noqa: E402
from medlang.registry import Registry, RunRecord, facts  # noqa: E402
from medlang.registry.postgres_store import PostgresStore  # noqa: E402
from medlang.registry.storage import Table  # noqa: E402
from tests.postgres import server as pg  # noqa: E402

QUERIES = {
    "issue 8 query": QUERY,
    "metric and config": "metrics.rmse < 0.05 and config.seed > 100",
}
_CHUNK = 20_000  # runs per COPY round


def bulk_load(url: str, first: int, last: int, rng: random.Random) -> None:
    """Runs ``first`` .. ``last - 1`` of bench_query's sequence, written with COPY."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        keys = {
            k: [kid, types]
            for k, kid, types in conn.execute("SELECT key, kid, types FROM runs_keys")
        }
        next_kid = max((kid for kid, _ in keys.values()), default=0) + 1
        seq = conn.execute("SELECT coalesce(max(seq), 0) FROM runs").fetchone()[0]
        for start in range(first, last, _CHUNK):
            runs, cols, values = [], [], []
            for index in range(start, min(start + _CHUNK, last)):
                record, _ = run_record(rng, index)
                seq += 1
                line = json.dumps(record, separators=(",", ":"))
                runs.append(
                    (
                        seq,
                        record["id"],
                        record["kind"],
                        facts.time_of(record["started_at"]),
                        line,
                        line,
                    )
                )
                cols.append((seq, *facts.columns(Table.RUNS, record)))
                for key, num, txt, bit in facts.keyed(Table.RUNS, record):
                    entry = keys.get(key)
                    if entry is None:
                        entry = keys[key] = [next_kid, 0]
                        next_kid += 1
                    entry[1] |= bit
                    values.append((entry[0], seq, None if num is None else float(num), txt))
            with conn.transaction(), conn.cursor() as cursor:
                for sql, rows in (
                    ("COPY runs (seq, id, kind, t, line, doc) FROM STDIN", runs),
                    ("COPY runs_cols FROM STDIN", cols),
                    ("COPY runs_values (kid, seq, num, txt) FROM STDIN", values),
                ):
                    with cursor.copy(sql) as copy:
                        for row in rows:
                            copy.write_row(row)
            print(f"  loaded {min(start + _CHUNK, last):,} runs", file=sys.stderr, flush=True)
        with conn.transaction():
            conn.execute("SELECT setval(pg_get_serial_sequence('runs', 'seq'), %s)", (seq,))
            conn.cursor().executemany(
                "INSERT INTO runs_keys (kid, key, types) VALUES (%s, %s, %s)"
                " ON CONFLICT (kid) DO UPDATE SET types = excluded.types",
                [(kid, key, types) for key, (kid, types) in keys.items()],
            )
            conn.execute(
                "SELECT setval(pg_get_serial_sequence('runs_keys', 'kid'), %s)", (next_kid,)
            )
        for table in ("runs", "runs_cols", "runs_values", "runs_keys"):
            conn.execute(f"VACUUM (ANALYZE) {table}")


def top_100(
    registry: Registry, where: str, repeat: int, order: str = "metrics.rmse"
) -> list[float]:
    """Seconds per ``iter_runs`` of the top 100 (in-process, connection warm)."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        found = list(registry.iter_runs(where, order_by=order, limit=100))
        samples.append(time.perf_counter() - start)
        assert found
    return samples


def cold(url: str, *args: str) -> float:
    """Seconds for one fresh ``mlc`` process. Bytecode is cached as an installed
    package's is (PYTHONDONTWRITEBYTECODE dropped), so the first run compiles and
    the ones measured do not."""
    command = [sys.executable, "-m", "medlang", "--registry", url, *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env, cwd=REPO)
    return time.perf_counter() - began


def explain(registry: Registry, where: str) -> str:
    """EXPLAIN ANALYZE of each SQL query ``iter_runs(where, order_by=metrics.rmse,
    limit=100)`` runs: the index walk's windows, until one settles, else the plain query."""
    from medlang.query.engine import build
    from medlang.query.sql import POSTGRESQL, translate, walked

    store = registry.store
    request = build(store, Table.RUNS, where=where, order_by="metrics.rmse", limit=100)
    key_ids = dict(store._rows("SELECT key, kid FROM runs_keys"))
    plans: list[str] = []

    def fetch(sql: str, params: list[object]) -> list[tuple]:
        rows = store._rows(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plans.append("\n".join(row[0] for row in rows))
        return store._rows(sql, params)

    if walked(request, key_ids, POSTGRESQL, "r.line", fetch) is None:
        select = translate(
            Table.RUNS, request.where, request.order, key_ids=key_ids, limit=100, dialect=POSTGRESQL
        )
        fetch(*select.sql("r.line", POSTGRESQL))
    return "\n".join(plans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000, help="runs in the registry")
    parser.add_argument("--logged", type=int, default=20_000, help="of which via log_run")
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--dir", type=Path, help="server data here instead of the temp dir")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE")
    args = parser.parse_args()
    if args.dir:
        tempfile.tempdir = str(args.dir)
    server = pg.start()
    try:
        os.environ["PGPASSWORD"] = server.password
        url = server.create_database("bench")
        PostgresStore(url).migrate()
        registry = Registry.open(url)
        rng = random.Random(args.runs)
        logged = min(args.logged, args.runs)
        times = []
        for index in range(logged):
            record = RunRecord.model_validate(run_record(rng, index)[0])
            start = time.perf_counter()
            registry.log_run(record)
            times.append(time.perf_counter() - start)
        out: dict = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "python": sys.version.split()[0],
            "postgresql": registry.store._rows("SHOW server_version")[0][0],
            "cores": os.cpu_count(),
            "load average at start": os.getloadavg(),
            "runs": args.runs,
            "log_run runs": logged,
        }
        out["log_run median ms"] = 1e3 * statistics.median(times) if times else None
        began = time.perf_counter()
        bulk_load(url, logged, args.runs, rng)
        out["bulk load + VACUUM ANALYZE s"] = time.perf_counter() - began
        assert registry.count_runs() == args.runs
        for name, where in QUERIES.items():
            out[f"{name}"] = f"--where {where!r} --order-by metrics.rmse -n 100"
            top_100(registry, where, 1)  # warms the cache
            out[f"{name}: in-process ms"] = 1e3 * statistics.median(
                top_100(registry, where, args.repeat)
            )
            with mock.patch.object(sql, "WALK_WINDOWS", ()):  # the plain query only
                out[f"{name}: in-process, plain query (no index walk) ms"] = (
                    1e3 * statistics.median(top_100(registry, where, 3))
                )
            query_args = ("runs", "list", "--where", where, "--order-by", "metrics.rmse")
            cold(url, *query_args, "-n", "100")  # bytecode, page cache
            samples = [cold(url, *query_args, "-n", "100") for _ in range(args.repeat)]
            out[f"{name}: cold mlc runs list --where ... -n 100 ms"] = 1e3 * statistics.median(
                samples
            )
            if args.explain:
                print(f"--- {name}: {where}\n{explain(registry, where)}", file=sys.stderr)
        for where, order in CASES:
            for label, windows in (("index walk", sql.WALK_WINDOWS), ("plain query", ())):
                with mock.patch.object(sql, "WALK_WINDOWS", windows):
                    times = top_100(registry, where, 4, order)[1:]
                out[f"--where {where!r} --order-by {order}: {label} ms"] = 1e3 * statistics.median(
                    times
                )
        plain = [cold(url, "runs", "list", "-n", "20") for _ in range(args.repeat)]
        out["cold mlc runs list -n 20 ms (for scale)"] = 1e3 * statistics.median(plain)
        out["load average at end"] = os.getloadavg()
        print(json.dumps(out, indent=1), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
