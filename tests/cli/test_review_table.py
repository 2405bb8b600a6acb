"""The runs table with times other toolchains may write."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry
from tests.registry.factories import run


def test_a_start_before_the_year_1000_keeps_four_digit_years(tmp_path):
    started = datetime(1, 1, 1, tzinfo=UTC)
    Registry(tmp_path).log_run(run(1, started_at=started, finished_at=started))
    args = ["--registry", str(tmp_path), "runs", "list"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert "  0001-01-01 00:00:00  " in result.output
