"""An output option that names a directory (a trailing separator, or an existing
directory) is one readable error naming the option, never a file called `dir`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli


def _assert_refused(project, result, option: str, out: Path) -> None:
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert f": {option} is a directory" in result.stderr
    assert not out.is_file()  # no file named after the directory
    assert project.runs() == []


@pytest.mark.parametrize("existing", [False, True])
def test_run_evidence_out_naming_a_directory_is_refused(project, existing: bool) -> None:
    out = Path(project.path("results"))
    if existing:
        out.mkdir()
    result = project.produce("run-evidence", "--out", str(out) + os.sep, "--log", expect=1)
    _assert_refused(project, result, "--out", out)


def test_an_existing_directory_without_a_separator_is_one_line_too(project) -> None:
    out = Path(project.path("results"))
    out.mkdir()
    result = project.produce("run-evidence", "--out", str(out), "--log", expect=1)
    _assert_refused(project, result, "--out", out)


def test_train_surrogate_out_model_naming_a_directory_is_refused(project) -> None:
    out = Path(project.path("model"))
    args = ("--train-config", project.path("train.json"), "--out-model", f"{out}/", "--log")
    result = project.produce("train-surrogate", *args, expect=1)
    _assert_refused(project, result, "--out-model", out)


def test_mlc_run_out_naming_a_directory_is_refused(project) -> None:
    out = Path(project.path("results"))
    program = project.path("small_evidence.medlang")
    args = ["--registry", str(project.registry), "run", program, "--out", f"{out}/"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1
    _assert_refused(project, result, "--out", out)
