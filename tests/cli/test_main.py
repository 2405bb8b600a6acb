"""The root ``mlc`` command."""

from __future__ import annotations

from click.testing import CliRunner

from medlang.cli.main import cli


def test_version_is_reported_from_a_source_checkout_too():
    from medlang import __version__

    result = CliRunner().invoke(cli, ["--version"])

    assert result.exit_code == 0
    assert result.output.strip() == f"mlc, version {__version__}"
