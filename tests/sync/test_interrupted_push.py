"""Acceptance: a push interrupted at random points, then re-run, leaves the server
exactly as a push that was never interrupted (issue: PostgreSQL team registry).

The real ``mlc registry push`` process is killed with SIGKILL at random points of
its progress, once interrupted with SIGINT (Ctrl-C), and run again to the end. After every stop
the server must keep the commit rule (no run without its artifacts and objects,
no annotation without its run); at the end every table, the query tables too,
must equal those of a second database that one uninterrupted push filled.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time

import psycopg

from medlang.registry import facts
from medlang.registry.storage import Table
from tests.sync.fill import fill

_RUNS = 3000
_KILLS = 4
# What the comparison covers: every table of the schema. A new table must be added
# here (the test fails until it is), so the comparison can never silently skip one.
_STATE = {
    "medlang_schema": "SELECT version FROM medlang_schema",
    "medlang_settings": "SELECT name, value FROM medlang_settings ORDER BY 1",
    "runs": "SELECT id, kind, t, line, doc FROM runs ORDER BY seq",
    "artifacts": "SELECT id, kind, t, sha256, line, doc FROM artifacts ORDER BY seq",
    "annotations": "SELECT id, run_id, line, doc FROM annotations ORDER BY seq",
    # seq and kid are the server's own numbers (a sequence is not rolled back with
    # the transaction that drew from it): compared through the ids and keys they stand for
    **{
        f"{table}_cols": f"SELECT r.id, {', '.join(f'c.{name}' for name in facts.COLUMNS[table])}"
        f" FROM {table}_cols c JOIN {table} r USING (seq) ORDER BY r.seq"
        for table in Table
    },
    "runs_keys": "SELECT key, types FROM runs_keys ORDER BY key",
    "artifacts_keys": "SELECT key, types FROM artifacts_keys ORDER BY key",
    "runs_values": (
        "SELECT r.id, k.key, v.num, v.txt FROM runs_values v JOIN runs r USING (seq)"
        " JOIN runs_keys k USING (kid) ORDER BY r.seq, k.key"
    ),
    "artifacts_values": (
        "SELECT a.id, k.key, v.num, v.txt FROM artifacts_values v JOIN artifacts a USING (seq)"
        " JOIN artifacts_keys k USING (kid) ORDER BY a.seq, k.key"
    ),
    "run_artifacts": "SELECT * FROM run_artifacts ORDER BY 1, 2",
    "run_inputs": "SELECT * FROM run_inputs ORDER BY 1, 2, 3",
    "run_tags": "SELECT * FROM run_tags ORDER BY 1, 2",
    "run_hidden": "SELECT * FROM run_hidden ORDER BY 1",
    # (stored_at: when, which two pushes cannot share)
    "objects": "SELECT sha256, size, data FROM objects ORDER BY 1",
}


def _connect(url: str, password: str) -> psycopg.Connection:
    return psycopg.connect(url, password=password, autocommit=True)


def _state(url: str, password: str) -> dict[str, list[tuple]]:
    with _connect(url, password) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
        assert tables == set(_STATE), "a table the comparison does not know"
        return {name: conn.execute(sql).fetchall() for name, sql in _STATE.items()}


def _commit_rule_holds(url: str, password: str) -> tuple[int, int]:
    """No run without its artifact records and their objects, no annotation without
    its run; returns (artifacts, runs) stored."""
    with _connect(url, password) as conn:
        orphans = conn.execute(
            "SELECT count(*) FROM run_artifacts l LEFT JOIN artifacts a ON a.id = l.artifact_id"
            " WHERE a.id IS NULL"
        ).fetchone()[0]
        bytes_missing = conn.execute(
            "SELECT count(*) FROM artifacts a JOIN run_artifacts l ON l.artifact_id = a.id"
            " LEFT JOIN objects o ON o.sha256 = a.sha256 WHERE o.sha256 IS NULL"
        ).fetchone()[0]
        annotations = conn.execute(
            "SELECT count(*) FROM annotations n LEFT JOIN runs r ON r.id = n.run_id"
            " WHERE r.id IS NULL"
        ).fetchone()[0]
        assert (orphans, bytes_missing, annotations) == (0, 0, 0)
        return (
            conn.execute("SELECT count(*) FROM artifacts").fetchone()[0],
            conn.execute("SELECT count(*) FROM runs").fetchone()[0],
        )


def _stored(conn: psycopg.Connection) -> int:
    """How far a push has got: the artifact records and runs the server holds."""
    return conn.execute(
        "SELECT (SELECT count(*) FROM artifacts) + (SELECT count(*) FROM runs)"
    ).fetchone()[0]


def _push(source, url: str, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "medlang", "--registry", str(source), "registry", "push"]
        + ["--to", url, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def _migrated(pg_server, name: str) -> str:
    from medlang.registry.postgres_store import PostgresStore

    url = pg_server.create_database(name)
    store = PostgresStore(url)
    store.migrate()
    store.close()
    return url


def test_a_push_killed_at_random_points_then_rerun_equals_an_uninterrupted_one(
    pg_server, pg_database, tmp_path
):
    source = fill(tmp_path / "source", _RUNS, objects=5).root
    password = pg_server.password
    reference = _migrated(pg_server, f"{pg_database.rsplit('/', 1)[1]}_ref")
    target = _migrated(pg_server, f"{pg_database.rsplit('/', 1)[1]}_int")

    # a dry run first builds the source's index, which every later push then reuses
    dry = _push(source, reference, "--dry-run")
    assert dry.communicate(timeout=300)[0].count(f"would push {_RUNS:,} runs") == 1
    whole = _push(source, reference)
    out, err = whole.communicate(timeout=300)
    assert whole.returncode == 0, err
    assert f"pushed {_RUNS:,} runs, {_RUNS:,} artifacts" in out

    # Stops at random points of the push, found by its progress on the server rather
    # than by time (a loaded machine made timed stops land after the end): each stop
    # waits until the server holds a random number of records, then lets the push go
    # on for a random few milliseconds (into its next transaction) before the signal.
    rng = random.Random(seed := random.randrange(1 << 30))
    total = 2 * _RUNS  # artifact records and runs
    goals = sorted(rng.sample(range(1, total - 1000), _KILLS + 1))
    signals = [signal.SIGKILL] * _KILLS + [signal.SIGINT]
    rng.shuffle(signals)
    print(f"seed {seed}; stops after {goals} records, by {[s.name for s in signals]}")
    seen = []
    with _connect(target, password) as progress:
        for goal, sig in zip(goals, signals, strict=True):
            # past start-up first: at least one more batch than the last stop left
            goal = max(goal, _stored(progress) + 1)
            push = _push(source, target)
            while push.poll() is None and _stored(progress) < goal:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.03))
            with contextlib.suppress(ProcessLookupError):  # (it may have finished first)
                push.send_signal(sig)
            _, err = push.communicate(timeout=120)
            seen.append(_commit_rule_holds(target, password))
            if sig == signal.SIGINT and push.returncode != 0:
                assert push.returncode == 130, err
                assert "Traceback" not in err
                assert err.rstrip().endswith("Error: interrupted"), err
                if seen[-1] != (_RUNS, _RUNS):  # (else Ctrl-C came as it finished)
                    assert "stopped after pushing" in err and "run the same command again" in err
    print(f"(artifacts, runs) on the server after each stop: {seen}")
    # the stops found the server part way through at least once (else nothing was tested)
    assert any(0 < sum(counts) < total for counts in seen), seen
    for before, after in zip(seen, seen[1:], strict=False):  # nothing committed is ever lost
        assert before[0] <= after[0] and before[1] <= after[1], seen

    rerun = _push(source, target)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert _state(target, password) == _state(reference, password)


def test_a_pull_killed_midway_then_rerun_equals_an_uninterrupted_one(
    pg_server, pg_registry, tmp_path
):
    from medlang.registry.jsonl_store import JsonlStore
    from medlang.registry.storage import ANNOTATIONS

    source = fill(tmp_path / "source", 1500, objects=3).root
    assert _push(source, pg_registry).wait(timeout=300) == 0

    def pull(into, *options: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "medlang", "--registry", str(into), "registry", "pull"]
            + ["--from", pg_registry, *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=os.environ.copy(),
        )

    started = time.monotonic()
    assert pull(tmp_path / "whole").wait(timeout=300) == 0
    duration = time.monotonic() - started
    stopped = []
    # once as soon as the first batch is written, once at a random moment
    for percent in (None, random.randrange(30, 90)):
        killed = pull(tmp_path / "laptop")
        if percent is None:
            written = tmp_path / "laptop" / "artifacts.jsonl"
            while killed.poll() is None and not written.exists():
                time.sleep(0.002)
        else:
            time.sleep(duration * percent / 100)
        killed.kill()
        killed.wait(timeout=60)
        laptop = JsonlStore(tmp_path / "laptop")
        stopped.append((laptop.count(Table.ARTIFACTS), laptop.count(Table.RUNS)))
    assert stopped[0] < (1500, 1500), stopped  # the first kill found it midway
    print(f"pull took {duration:.2f} s; (artifacts, runs) after each kill: {stopped}")
    assert pull(tmp_path / "laptop").wait(timeout=300) == 0

    whole, laptop = JsonlStore(tmp_path / "whole"), JsonlStore(tmp_path / "laptop")
    for table in (Table.ARTIFACTS, Table.RUNS, ANNOTATIONS):
        assert list(laptop.lines(table)) == list(whole.lines(table)), table
    assert laptop.object_ids() == whole.object_ids()
