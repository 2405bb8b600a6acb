"""Shared fixtures: every test gets its own registry directory, never the user's."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_registry(tmp_path, monkeypatch):
    root = tmp_path / "registry"
    monkeypatch.setenv("MEDLANG_REGISTRY", str(root))
    monkeypatch.delenv("MEDLANG_PATH", raising=False)
    return root


# --- a real PostgreSQL server (tests/postgres/server.py), started once per session ---
# Where none can be started the tests skip with the reason, except in CI, where a
# skipped server is a failure: CI must test the database backend for real.


@pytest.fixture(scope="session")
def pg_server():
    import os

    from tests.postgres import server as pg

    try:
        running = pg.start()
    except pg.NoServer as reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(f"no PostgreSQL server: {reason}")
    yield running
    running.stop()


@pytest.fixture
def pg_database(pg_server, monkeypatch):
    """A fresh database on the session's server; its DSN has no password (PGPASSWORD has it)."""
    import uuid

    monkeypatch.setenv("PGPASSWORD", pg_server.password)
    return pg_server.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def pg_registry(pg_database):
    """A migrated PostgreSQL registry in a fresh database: its URL."""
    from medlang.registry.postgres_store import PostgresStore

    store = PostgresStore(pg_database)
    store.migrate()
    store.close()
    return pg_database


# --- a real S3-compatible server (moto, in this process), started once per session ---


@pytest.fixture(scope="session")
def s3_server():
    """The endpoint of an S3 server; clients find it through ``AWS_ENDPOINT_URL``."""
    import os

    try:
        import s3fs  # noqa: F401 - the client the registry uses
        from moto.server import ThreadedMotoServer
    except ImportError as missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the S3 object-store tests: {missing}")
        pytest.skip(f"no S3 test server: {missing} (pip install 'medlang[test]')")
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_server, monkeypatch) -> dict[str, str]:
    """Credentials and endpoint in the environment (never in a URL), as a team sets them."""
    env = {
        "AWS_ACCESS_KEY_ID": "medlang-test-key",
        "AWS_SECRET_ACCESS_KEY": "medlang-test-secret-Zq81",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_server,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def s3_bucket(s3_env) -> str:
    """A fresh bucket on the test server: an ``s3://`` URL of a prefix in it."""
    import uuid

    import fsspec

    bucket = f"medlang-{uuid.uuid4().hex[:12]}"
    fsspec.filesystem("s3", skip_instance_cache=True).mkdir(bucket)
    return f"s3://{bucket}/objects"
