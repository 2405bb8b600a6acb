"""Writer processes for the concurrency and fault tests.

``python -m tests.postgres.writer URL COUNT`` logs ``COUNT`` runs to a registry and
prints each id once ``log_run`` has acknowledged it (so a killed writer's output is
exactly what must be stored). A ``RegistryError`` ends it with one line, status 1.

``python -m tests.postgres.writer URL --forks`` imports all that once, then forks
writers on demand, so that thousands of runs or fifty killed-and-restarted writers
cost milliseconds each rather than an interpreter start each. Each line read on
stdin, ``WRITERS COUNT``, forks ``WRITERS`` children logging ``COUNT`` runs each
(``0``: until killed); it prints ``pid PID`` for each child, ``exit PID STATUS``
as each ends (a negative status: killed by that signal), then ``done``. The
children's acknowledged ids go to the same stdout, each line in one write.
"""

from __future__ import annotations

import os
import sys
import uuid

from medlang.registry import Registry, RegistryError
from tests.registry.factories import run

FOREVER = 0


def main(url: str, count: int) -> None:
    registry = Registry.open(url)
    n = 0
    while count == FOREVER or n < count:
        record = run(n, id=str(uuid.uuid4()), config={"seed": n, "writer": str(uuid.uuid4())})
        try:
            registry.log_run(record)
        except RegistryError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            sys.exit(1)
        acknowledge(record.id)
        n += 1


def acknowledge(run_id: str) -> None:
    """One ``write`` of the whole line: writers sharing the pipe never mix their lines
    (``print`` may write the id and the newline separately)."""
    os.write(sys.stdout.fileno(), f"{run_id}\n".encode())


def serve_forks(url: str) -> None:
    _warm_up()
    for line in sys.stdin:
        writers, count = (int(word) for word in line.split())
        children = [_fork(url, count) for _ in range(writers)]
        for pid in children:
            print(f"pid {pid}", flush=True)
        for pid in children:
            _, status = os.waitpid(pid, 0)
            print(f"exit {pid} {os.waitstatus_to_exitcode(status)}", flush=True)
        print("done", flush=True)


def _warm_up() -> None:
    """Import and build once, before any fork, what every writer needs: the driver,
    the PostgreSQL store, and a run's way through validation, redaction and encoding."""
    import psycopg  # noqa: F401

    import medlang.registry.postgres_store  # noqa: F401
    from medlang.registry import MemoryStore

    Registry("unused", store=MemoryStore()).log_run(run(0))


def _fork(url: str, count: int) -> int:
    sys.stdout.flush()
    pid = os.fork()
    if pid:
        return pid
    status = 0
    try:
        main(url, count)
    except SystemExit as end:
        status = end.code if isinstance(end.code, int) else 1
    except BaseException as error:  # the test reads it; a child never returns
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        status = 1
    os._exit(status)


if __name__ == "__main__":
    if sys.argv[2] == "--forks":
        serve_forks(sys.argv[1])
    else:
        main(sys.argv[1], int(sys.argv[2]))
