"""Many writers, killed writers and a restarted server, on a real PostgreSQL server:
every acknowledged run is stored exactly once, nothing is half-written."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from medlang.registry import Registry
from medlang.registry.storage import Table
from tests.postgres.writer import FOREVER

# The sizes: 8 writers x 1,000 runs each, and 50 writers killed mid-stream.
WRITERS, PER_WRITER = 8, 1000
KILLS = 50


def _writer(url: str, count: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.postgres.writer", url, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


class Forks:
    """tests/postgres/writer.py --forks: writers forked from one warm process, and
    every id they acknowledged."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.postgres.writer", url, "--forks"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
            start_new_session=True,  # its writers too: one group to stop, whatever happens
        )
        self.acknowledged: list[str] = []

    def stop_all(self) -> None:
        """Kill the server and any writer still running (a test that failed mid-way)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def start(self, writers: int, count: int) -> list[int]:
        """Fork ``writers`` writers of ``count`` runs each (0: until killed): their pids."""
        self.process.stdin.write(f"{writers} {count}\n")
        self.process.stdin.flush()
        pids: list[int] = []
        while len(pids) < writers:
            line = self._line()
            if line.startswith("pid "):
                pids.append(int(line.split()[1]))
        return pids

    def wait_for(self, acknowledgements: int) -> None:
        target = len(self.acknowledged) + acknowledgements
        while len(self.acknowledged) < target:
            self._line()

    def finish(self) -> list[int]:
        """Read to the end of this batch: each writer's exit status."""
        statuses = []
        while (line := self._line()) != "done":
            if line.startswith("exit "):
                statuses.append(int(line.split()[2]))
        return statuses

    def close(self) -> str:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        return self.process.stderr.read()

    def _line(self) -> str:
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"the fork server ended: {self.process.stderr.read()}")
        line = line.strip()
        if len(line) == 36 and line.count("-") == 4:  # an acknowledged run id
            self.acknowledged.append(line)
        return line


def _whole(url: str) -> tuple[int, int, int]:
    """(runs, runs with their query columns, distinct ids): equal if nothing is half-written."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM runs_cols),"
            " (SELECT count(DISTINCT id) FROM runs)"
        ).fetchone()


@pytest.fixture
def forks(pg_registry) -> Iterator[Forks]:
    started = Forks(pg_registry)
    yield started
    started.stop_all()


def test_concurrent_writers_and_readers_store_every_run_exactly_once(pg_registry, forks):
    forks.start(WRITERS, PER_WRITER)
    statuses: list[int] = []
    drain = threading.Thread(target=lambda: statuses.extend(forks.finish()))
    drain.start()
    reader = Registry.open(pg_registry)
    seen = []
    while drain.is_alive():  # readers query while the writers write
        seen.append(reader.count_runs())
        list(reader.iter_runs("config.seed >= 500", order_by="config.seed", limit=10))
    drain.join()
    assert statuses == [0] * WRITERS, forks.close()
    assert forks.close() == ""
    acknowledged = forks.acknowledged
    assert len(acknowledged) == len(set(acknowledged)) == WRITERS * PER_WRITER
    assert len(seen) > 1 and seen == sorted(seen)  # a reader never sees runs vanish
    assert _whole(pg_registry) == (WRITERS * PER_WRITER,) * 3
    stored = {record["id"] for record in reader.store.select(Table.RUNS)}
    assert stored == set(acknowledged)  # every id found, nothing else
    assert reader.count_runs() == WRITERS * PER_WRITER


def test_writers_killed_mid_transaction_lose_no_acknowledged_run(pg_registry, forks):
    """50 times: a writer acknowledges a random number of runs, then SIGKILL at a
    random moment; the transactions it had open are rolled back by the server."""
    rng = random.Random(20261130)
    rolled_back_before = _rollbacks(pg_registry)
    for _ in range(KILLS):
        (pid,) = forks.start(1, FOREVER)
        forks.wait_for(rng.randint(0, 8))
        time.sleep(rng.uniform(0, 0.004))  # mid-way through some later run
        os.kill(pid, signal.SIGKILL)
        assert forks.finish() == [-signal.SIGKILL]
    assert forks.close() == ""
    acknowledged = forks.acknowledged
    runs, with_columns, distinct = _whole(pg_registry)
    assert runs == with_columns == distinct >= len(acknowledged) > KILLS
    registry = Registry.open(pg_registry)
    assert set(registry.store.get_many(Table.RUNS, acknowledged)) == set(acknowledged)
    # some kills did land inside a transaction: the server rolled those back
    assert _rollbacks(pg_registry, more_than=rolled_back_before) > rolled_back_before


def _rollbacks(url: str, more_than: int | None = None) -> int:
    """Transactions the server rolled back in this database (as a killed writer's open
    one is); with ``more_than``, waits a little for the count to pass it (statistics
    arrive shortly after a backend ends)."""
    deadline = time.monotonic() + 5
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            (count,) = conn.execute(
                "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()"
            ).fetchone()
            if more_than is None or count > more_than or time.monotonic() > deadline:
                return count
            time.sleep(0.05)


def test_a_server_restart_mid_stream_loses_nothing_acknowledged(pg_server, pg_registry):
    writer = _writer(pg_registry, 2000)
    first = [writer.stdout.readline().strip() for _ in range(20)]
    pg_server.restart()
    out, err = writer.communicate(timeout=120)
    acknowledged = first + out.split()
    # a bounded retry rides over the restart; if not, the writer says so in one line
    assert writer.returncode == 0 or (err.startswith("error: ") and "Traceback" not in err)
    registry = Registry.open(pg_registry)
    stored = registry.store.get_many(Table.RUNS, acknowledged)
    assert set(stored) == set(acknowledged)
    runs, with_columns, distinct = _whole(pg_registry)
    assert runs == with_columns == distinct
