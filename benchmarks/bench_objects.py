"""A PostgreSQL registry's object store at each location: the cost of storing a file.

    python benchmarks/bench_objects.py [--files N]

Starts a throwaway server (tests/postgres/server.py) and an S3 server in this
process (moto), then stores N files of 4 KiB and of 1 MiB through
``Registry.store_file`` with the objects in the database's table, on a directory
(standing in for a shared file system) and on S3, interleaved, and reports the
median time per new file and per file already stored (dedup). moto is a local S3
stand-in: real S3 adds the network's round trips (about six per new object: look
up, upload, read back, look up, copy, delete).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from medlang.registry import Registry  # noqa: E402
from medlang.registry.postgres_store import PostgresStore  # noqa: E402
from medlang.registry.relocate_objects import relocate  # noqa: E402
from tests.postgres import server as pg  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50)
    args = parser.parse_args()
    import fsspec
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3.start()
    host, port = s3.get_host_and_port()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=f"http://{host}:{port}",
    )
    fsspec.filesystem("s3").mkdir("bench")
    server = pg.start()
    try:
        os.environ["PGPASSWORD"] = server.password
        with tempfile.TemporaryDirectory() as scratch:
            registries = {}
            for name, location in (
                ("database", "database"),
                ("directory", f"{scratch}/shared"),
                ("s3 (moto)", "s3://bench/objects"),
            ):
                url = server.create_database(f"bench_{uuid.uuid4().hex[:8]}")
                PostgresStore(url).migrate()
                registries[name] = Registry.open(url)
                relocate(registries[name].store, location, copy=False)
            for size in (4 << 10, 1 << 20):
                new: dict[str, list[float]] = {name: [] for name in registries}
                again: dict[str, list[float]] = {name: [] for name in registries}
                for n in range(args.files):
                    path = Path(scratch) / f"file-{size}-{n}"
                    path.write_bytes(os.urandom(size))
                    for name, registry in registries.items():  # interleaved
                        for times in (new[name], again[name]):
                            start = time.perf_counter()
                            registry.store_file(path)
                            times.append(time.perf_counter() - start)
                for name in registries:
                    print(
                        f"{size // 1024:>5} KiB  {name:<10} new: median "
                        f"{statistics.median(new[name]) * 1e3:6.2f} ms   already stored: "
                        f"{statistics.median(again[name]) * 1e3:6.2f} ms"
                    )
    finally:
        server.stop()
        s3.stop()


if __name__ == "__main__":
    main()
