"""A real registry, a real `mlc ui` server and a real headless Chromium for the web tests.

The registry holds the demo's runs (made by the real producers) plus a few hundred
generated runs. The server is the real command in a subprocess. The browser is the
operating system's Chromium driven by Playwright; where none can be found the
browser tests skip with one line, except in CI, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry, RunKind
from tests.registry.factories import run as make_run

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for name in ("MEDLANG_CHROMIUM", None):
        if name and os.environ.get(name):
            return os.environ[name]
    for candidate in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def demo_registry(tmp_path_factory) -> Path:
    """The demo's real runs plus 300 generated evaluations and trials."""
    where = tmp_path_factory.mktemp("ui-demo")
    result = CliRunner().invoke(cli, ["demo", "--dir", str(where)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    root = where / "registry"
    project = where / "oncology"
    for command in (  # a short RL training and its evaluation, for their pictures
        [
            "train-policy-rl",
            "--env-config",
            "rl_env.json",
            "--train-config",
            "rl_train.json",
            "--set",
            "train.episodes=300",
            "--set",
            "train.convergence_window=50",
            "--out",
            "out/policy.json",
            "--out-report",
            "out/rl_train.json",
        ],
        [
            "eval-policy-rl",
            "--env-config",
            "rl_env.json",
            "--policy",
            "out/policy.json",
            "--n-episodes",
            "40",
            "--out",
            "out/rl_eval.json",
        ],
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "medlang",
                "--registry",
                str(root),
                *command,
                "--evidence-program",
                "OncologyEvidence",
                "--project",
                str(project),
                "--log",
                "-q",
            ],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert done.returncode == 0, done.stderr
    registry = Registry(root)
    for n in range(1, 301):
        kind = RunKind.SurrogateEval if n % 2 else RunKind.EvidenceHybrid
        registry.log_run(
            make_run(
                n,
                kind,
                minute=-n,  # older than the demo's runs, so the demo's come first
                metrics={"rmse": 0.02 + (n % 17) / 500, "r_squared": 0.95 + (n % 5) / 100},
                config={"seed": n, "dose_mg": 50 + n % 200},
            )
        )
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_ui(registry: Path, *extra: str, host: str = "127.0.0.1") -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "medlang", "--registry", str(registry), "ui"]
    command += ["--host", host, "--port", str(port), *extra]
    server = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"mlc ui exited: {server.stderr.read().decode()}")
        try:
            urllib.request.urlopen(f"{base}/static/app.css", timeout=1).close()
            return server, base
        except urllib.error.HTTPError:  # answering (a token-gated app says 401): serving
            return server, base
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise AssertionError("mlc ui did not start serving within 15 s")


@pytest.fixture(scope="session")
def ui_server(demo_registry) -> Iterator[str]:
    server, base = start_ui(demo_registry)
    yield base
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium found in CI: .ci/run must install it")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class PageWatch:
    """A page plus everything that went wrong on it: console errors, failed or foreign requests."""

    def __init__(self, page, allowed_origin: str) -> None:
        self.page = page
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("requestfailed", self._request_failed)
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))

        def check_origin(request) -> None:
            if not (request.url.startswith(allowed_origin) or request.url.startswith("data:")):
                self.foreign.append(request.url)

        page.on("request", check_origin)

    def _request_failed(self, request) -> None:
        # A request cut short because the page navigated away (a click on a link while
        # the favicon loads) is the browser's doing, not a failure of the app.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.failure} {request.url}")

    def assert_clean(self) -> None:
        assert self.console_errors == []
        assert self.failed == []
        assert self.foreign == []


@pytest.fixture
def watched_page(browser, ui_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield PageWatch(page, ui_server)
    context.close()


def rendered_marks(page, figure_name: str) -> int:
    """How many drawn marks (paths, rects, symbols) the named chart's SVG holds, sized > 0."""
    page.wait_for_selector(f"figure[data-chart='{figure_name}'][data-rendered]", timeout=10_000)
    assert page.get_attribute(f"figure[data-chart='{figure_name}']", "data-rendered") == "yes"
    box = page.locator(f"figure[data-chart='{figure_name}'] svg").bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    return page.locator(
        f"figure[data-chart='{figure_name}'] svg .mark-rect path, "
        f"figure[data-chart='{figure_name}'] svg .mark-symbol path, "
        f"figure[data-chart='{figure_name}'] svg .mark-line path, "
        f"figure[data-chart='{figure_name}'] svg .mark-rule line, "
        f"figure[data-chart='{figure_name}'] svg .mark-tick path"
    ).count()
