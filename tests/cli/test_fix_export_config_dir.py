"""`runs export-config --out dir/` names a directory: refused like an existing
directory, never written as a file called `dir`."""

from __future__ import annotations

import os

from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry
from tests.registry.factories import fixed_id, run


def test_export_config_to_a_path_ending_in_a_separator_is_an_error(tmp_path) -> None:
    registry = Registry(tmp_path / "registry")
    registry.log_run(run(1, config={"seed": 1}))
    out = tmp_path / "configs"
    args = ["--registry", str(registry.root), "runs", "export-config", "--id", fixed_id(1)]
    result = CliRunner().invoke(cli, [*args, "--out", str(out) + os.sep])
    assert result.exit_code == 2
    assert "'--out'" in result.stderr and "is a directory" in result.stderr
    assert not out.exists()
