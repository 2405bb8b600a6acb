"""A registry URL that cannot be parsed is a usage error naming where it came from,
without echoing it (it may hold a password that could not be stripped)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli

UNREADABLE = ["postgresql://[::1/db", "postgresql://ada:s3cret@[::1/db"]


@pytest.mark.parametrize("url", UNREADABLE)
def test_an_unreadable_registry_option_url_is_a_usage_error(url: str) -> None:
    result = CliRunner().invoke(cli, ["--registry", url, "runs", "list"])
    assert result.exit_code == 2, result.output
    assert "--registry is not a readable PostgreSQL URL" in result.output
    assert "s3cret" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize("url", UNREADABLE)
def test_an_unreadable_registry_variable_url_is_a_usage_error(monkeypatch, url: str) -> None:
    monkeypatch.setenv("MEDLANG_REGISTRY", url)
    result = CliRunner().invoke(cli, ["registry", "info"])
    assert result.exit_code == 2, result.output
    assert "$MEDLANG_REGISTRY is not a readable PostgreSQL URL" in result.output
    assert "s3cret" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://", "postgresql://"),  # libpq's defaults: the local socket
        ("postgresql:///trials", "postgresql:///trials"),
        ("postgres://ada@db.lab:5433/trials?sslmode=require", None),
    ],
)
def test_a_url_without_a_host_is_shown_as_given(url: str, shown: str | None) -> None:
    """The error names the registry as the user wrote it (it printed 'postgresql::')."""
    from medlang.registry.pg_url import display

    assert display(url) == (shown or url)
