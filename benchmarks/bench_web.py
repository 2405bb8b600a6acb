"""Web benchmark: what a user of `mlc ui` and `mlc report` waits for, at many runs.

    python benchmarks/bench_web.py                      # 1M runs
    python benchmarks/bench_web.py --sizes 10000,100000

Per size, a registry is written in bulk (as benchmarks/bench_registry.py does) and
indexed once; then, in-process through the ASGI app (server time, no network): the
runs page (first 50 rows, newest first), a filtered and ordered page, a run page;
as fresh processes: `mlc ui` from launch to its first answered request, and `mlc
report` for one run (wall time, and the size of its HTML). Prints medians.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_registry import build, timed  # noqa: E402

from medlang.registry import Registry  # noqa: E402

FILTER = "kind = SurrogateEval and metrics.orr < 0.05"


def app_times(root: Path, run_id: str, repeat: int) -> dict[str, float]:
    from starlette.testclient import TestClient

    from medlang.web.app import create_app

    client = TestClient(create_app(root))

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])

    pages = {
        "runs page (first 50)": "/runs",
        "filtered page": f"/runs?where={urllib.request.quote(FILTER)}&order_by=metrics.orr"
        "&columns=metrics.orr",
        "run page": f"/runs/{run_id}",
    }
    results = {}
    for name, path in pages.items():
        get(path)  # warm: the index is current, pages are compiled
        results[name] = timed(lambda path=path: get(path), repeat)
    return results


def ui_start(root: Path, repeat: int) -> float:
    def once() -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        command = [sys.executable, "-m", "medlang", "--registry", str(root), "ui", "--port"]
        server = subprocess.Popen([*command, str(port)], cwd=REPO, stdout=subprocess.DEVNULL)
        try:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/runs", timeout=5).close()
                    return
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.01)
        finally:
            server.terminate()
            server.wait()

    return timed(once, repeat)


def report_time(root: Path, run_id: str, workdir: Path, repeat: int) -> tuple[float, int]:
    out = workdir / "report.html"
    command = [sys.executable, "-m", "medlang", "--registry", str(root), "report", run_id]
    command += ["--out", str(out)]
    seconds = timed(
        lambda: subprocess.run(command, check=True, capture_output=True, cwd=REPO), repeat
    )
    return seconds, out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.pop("MEDLANG_REGISTRY", None)
    print(
        "| runs | runs page | filtered page | run page | `mlc ui` first answer | "
        "`mlc report` | report size |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-web-") as scratch:
        for size in (int(s) for s in args.sizes.split(",")):
            root = Path(scratch) / f"reg-{size}"
            sample = build(root, size)
            Registry(root).count_runs()  # index once, as the first command would
            run_id = sample[len(sample) // 2]
            pages = app_times(root, run_id, args.repeat)
            start = ui_start(root, max(3, args.repeat // 2))
            report_s, report_bytes = report_time(root, run_id, Path(scratch), args.repeat)
            ms = {name: f"{1000 * s:.0f} ms" for name, s in pages.items()}
            print(
                f"| {size:,} | {ms['runs page (first 50)']} | {ms['filtered page']} | "
                f"{ms['run page']} | {start:.2f} s | {report_s:.2f} s | "
                f"{report_bytes / 1e6:.2f} MB |",
                flush=True,
            )


if __name__ == "__main__":
    main()
