"""The throwaway server itself: it answers, and it wants the password."""

from __future__ import annotations

import psycopg
import pytest


def test_the_server_answers_with_the_password(pg_database):
    with psycopg.connect(pg_database) as conn:  # password from PGPASSWORD
        assert conn.execute("select 1 + 1").fetchone() == (2,)


def test_the_server_refuses_a_wrong_password(pg_server, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "wrong")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(pg_server.dsn(), connect_timeout=5)
