"""What the app refuses: paths outside its own files, requests without the token, writes."""

from __future__ import annotations

import hashlib
import http.cookiejar
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from starlette.testclient import TestClient

from medlang.web.app import create_app
from tests.web.conftest import REPO, start_ui

TRAVERSALS = [
    "/static/../../registry/runs.jsonl",
    "/static/%2e%2e/%2e%2e/registry/runs.jsonl",
    "/static/..%2f..%2fregistry%2fruns.jsonl",
    "/static/%252e%252e/%252e%252e/etc/passwd",
    "/static/vendor/../../app.py",
    "/static//etc/passwd",
    "/objects/../runs.jsonl",
    "/objects/..%2fruns.jsonl",
    "/objects/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/objects/" + "0" * 64,
    "/objects/" + "A" * 64,
    "/runs/..%2f..%2fetc%2fpasswd",
    "/runs/%2e%2e",
]


@pytest.fixture(scope="module")
def client(demo_registry):
    with TestClient(create_app(demo_registry)) as client:
        yield client


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_attempts_are_not_found(client, path):
    response = client.get(path)
    assert response.status_code == 404, (path, response.text[:200])
    assert "root:" not in response.text and '"kind"' not in response.text


def test_only_reads_are_allowed(client):
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/runs").status_code == 405


def test_bad_parameters_are_one_readable_error(client):
    response = client.get("/runs?kind=hybrid&format=json")
    assert response.status_code == 400
    message = response.json()["error"]
    assert "'hybrid'" in message and "EvidenceHybrid" in message
    assert "EvidenceHybrid" in client.get("/runs?kind=hybrid").text  # the HTML page too
    assert client.get("/runs?page=-1&format=json").json() == {
        "error": "page must be a positive whole number"
    }


def test_the_app_never_writes_the_registry_logs(demo_registry, tmp_path):
    """Reading may refresh the derived index (like any `mlc runs` read), never the logs."""
    registry = tmp_path / "registry"
    shutil.copytree(demo_registry, registry)  # nothing else touches this one
    client = TestClient(create_app(registry))
    logs = sorted(p for p in registry.iterdir() if p.suffix == ".jsonl")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in logs}
    run_id = next(iter(client.get("/runs?format=json").json()["runs"]))["id"]
    for path in ("/", "/runs", "/runs?page=3", f"/runs/{run_id}", "/plots?metric=rmse"):
        assert client.get(path).status_code == 200
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in logs}
    assert after == before


def test_a_public_host_needs_a_token():
    done = subprocess.run(
        [sys.executable, "-m", "medlang", "ui", "--host", "0.0.0.0", "--port", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "--host 0.0.0.0 is reachable from other machines: give --token" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_token_is_enforced_on_every_request(demo_registry):
    server, base = start_ui(demo_registry, "--token", "s3cret-for-test")
    try:
        for path in ("/runs", "/static/app.css", "/runs?format=json", "/objects/" + "a" * 64):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=5)
            assert refused.value.code == 401
        wrong = urllib.request.Request(
            base + "/runs", headers={"Authorization": "Bearer not-the-token"}
        )
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(wrong, timeout=5)
        right = urllib.request.Request(
            base + "/runs?format=json", headers={"Authorization": "Bearer s3cret-for-test"}
        )
        with urllib.request.urlopen(right, timeout=5) as response:
            assert response.status == 200
        browser_like = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with browser_like.open(base + "/runs?token=s3cret-for-test", timeout=5) as response:
            # the token in the URL is traded for a cookie and a redirect to the clean URL
            assert response.url == base + "/runs"
            assert response.status == 200
        with browser_like.open(base + "/plots", timeout=5) as response:
            assert response.status == 200  # the cookie carries the token from then on
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_an_object_planted_as_a_symlink_is_not_served(tmp_path):
    """The store names objects by hash; a symlink put in an object's place is refused."""
    from medlang.registry import Registry

    source = tmp_path / "result.json"
    source.write_text('{"ok": true}')
    registry = Registry(tmp_path / "registry")
    digest = registry.store_file(source)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    with TestClient(create_app(registry.root)) as client:
        assert client.get(f"/objects/{digest}").content == b'{"ok": true}'
        stored = next((registry.root / "objects").rglob(digest[2:]))
        stored.chmod(0o600)
        stored.unlink()
        stored.symlink_to(secret)
        response = client.get(f"/objects/{digest}")
    assert response.status_code == 404
    assert "root:" not in response.text


def test_an_archive_file_is_browsed_read_only(demo_registry, tmp_path):
    from click.testing import CliRunner

    from medlang.cli.main import cli

    registry = tmp_path / "registry"
    shutil.copytree(demo_registry, registry)  # the session's registry stays as it is
    archive = tmp_path / "evals.jsonl"
    done = CliRunner().invoke(
        cli,
        [
            "--registry",
            str(registry),
            "runs",
            "archive",
            "--where",
            "kind = RLTrain",
            "--to",
            str(archive),
        ],
    )
    assert done.exit_code == 0, done.output
    with TestClient(create_app(archive)) as client:
        runs = client.get("/runs?format=json").json()["runs"]
        assert runs and {run["kind"] for run in runs} == {"RLTrain"}
        assert client.get(f"/runs/{runs[0]['id']}").status_code == 200
