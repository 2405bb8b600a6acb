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
