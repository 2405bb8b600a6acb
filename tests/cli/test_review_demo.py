"""`mlc demo --dir` somewhere a directory cannot be made: one readable error."""

from __future__ import annotations

from click.testing import CliRunner

from medlang.cli.main import cli


def test_demo_dir_under_a_file_is_a_readable_error(tmp_path):
    (tmp_path / "file").write_text("")
    target = tmp_path / "file" / "demo"

    result = CliRunner().invoke(cli, ["demo", "--dir", str(target)], catch_exceptions=False)

    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot prepare --dir {target}: Not a directory\n"
