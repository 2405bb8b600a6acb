"""PostgreSQL registry URLs as shown: no secret, and read back by libpq as given."""

from __future__ import annotations

import pytest

from medlang.registry.pg_url import display, is_postgres_url, password_in


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://team@db.example.org:5432/registry",
        "postgresql://team@db/registry?sslmode=verify-full&sslrootcert=/etc/ssl/team%20ca.pem",
        "postgresql://team@db/registry?options=-c%20statement_timeout%3D5000",
        "postgres://team@[::1]:5433/registry?sslmode=require&application_name=",
    ],
)
def test_a_url_without_secrets_is_shown_exactly_as_given(url):
    """What is shown is also what the registry reopens (replay, the UI's replay command),
    so it must mean the same to libpq: spaces as %20 (libpq reads no '+'), no setting lost."""
    assert display(url) == url


def test_secrets_are_dropped_from_what_is_shown():
    url = "postgresql://team:s3cret@db/registry?sslmode=require&password=s3cret&sslpassword=k"
    assert password_in(url)
    assert display(url) == "postgresql://team@db/registry?sslmode=require"


def test_only_postgresql_urls_are_urls():
    assert is_postgres_url("POSTGRESQL://db/x") and is_postgres_url("postgres://db/x")
    assert not is_postgres_url("postgresql:/db/x")  # a path that lost a slash: a path
    assert not is_postgres_url(None)
