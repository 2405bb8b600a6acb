"""A real PostgreSQL server for the tests in this directory (see server.py).

Where none can be started the tests skip with the reason, except in CI, where a
skipped server is a failure: CI must test the database backend for real.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.postgres import server as pg


@pytest.fixture(scope="session")
def pg_server():
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
    monkeypatch.setenv("PGPASSWORD", pg_server.password)
    return pg_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
