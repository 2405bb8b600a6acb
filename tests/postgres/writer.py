"""A writer process for the concurrency tests: logs ``count`` runs to a registry and
prints each id once ``log_run`` has acknowledged it (so a killed writer's output is
exactly what must be stored). A ``RegistryError`` ends it with one line, status 1."""

from __future__ import annotations

import sys
import uuid

from medlang.registry import Registry, RegistryError
from tests.registry.factories import run


def main(url: str, count: int) -> None:
    registry = Registry.open(url)
    for n in range(count):
        record = run(n, id=str(uuid.uuid4()), config={"seed": n, "writer": str(uuid.uuid4())})
        try:
            registry.log_run(record)
        except RegistryError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            sys.exit(1)
        print(record.id, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
