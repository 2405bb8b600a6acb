"""Number options given nan, inf or an absurd size are usage errors (exit 2 naming the
option), never an internal error: click's FloatRange lets NaN through."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli


def _invoke(args: list[str], registry: Path):
    return CliRunner().invoke(cli, ["--registry", str(registry), *args])


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "1e300", "-1"])
def test_gc_grace_days_out_of_range_is_a_usage_error(tmp_path: Path, value: str) -> None:
    result = _invoke(["gc", "--dry-run", "--grace-days", value], tmp_path / "reg")
    assert result.exit_code == 2, result.output
    assert "--grace-days" in result.output
    assert "internal error" not in result.output


def test_gc_grace_days_at_its_largest_still_works(tmp_path: Path) -> None:
    result = _invoke(["gc", "--dry-run", "--grace-days", "999999999"], tmp_path / "reg")
    assert result.exit_code == 0, result.output
    assert "Would free 0 bytes" in result.output


@pytest.mark.parametrize("value", ["nan", "-nan"])
def test_run_timeout_nan_is_a_usage_error(tmp_path: Path, value: str) -> None:
    program = tmp_path / "p.medlang"
    program.write_text('fn main() { println("hi"); }\n')
    result = _invoke(["run", str(program), "--timeout", value], tmp_path / "reg")
    assert result.exit_code == 2, result.output
    assert "--timeout" in result.output and "not a number" in result.output
