"""A reader that stops early (`mlc run prog | head -1`) ends the writer quietly, as
`mlc runs list` already does: no internal error, no traceback, exit 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

LOUD = 'fn main() { var i = 0; while i < 200000 { println("line {}", i); i = i + 1; } }\n'


def _piped_into_head(args: list[str]) -> tuple[bytes, int, bytes]:
    reader = subprocess.Popen(["head", "-c", "6"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    writer = subprocess.run(
        [sys.executable, "-m", "medlang", *args],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        cwd=REPO,
        timeout=120,
    )
    reader.stdin.close()
    head = reader.stdout.read()
    reader.wait()
    return head, writer.returncode, writer.stderr


def test_mlc_run_into_a_closed_pipe_ends_quietly(tmp_path):
    program = tmp_path / "loud.medlang"
    program.write_text(LOUD)
    head, code, stderr = _piped_into_head(["run", str(program)])
    assert head == b"line 0"
    assert (code, stderr) == (0, b"")


def test_runs_list_with_a_huge_n_lists_everything(tmp_path):
    from click.testing import CliRunner

    from medlang.cli.main import cli
    from medlang.registry import Registry
    from tests.registry.factories import run

    Registry(tmp_path).log_run(run(1))
    args = ["--registry", str(tmp_path), "runs", "list", "-n", str(10**30)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0 and "Showing 1 of 1 runs" in result.output


def test_mlc_run_with_stdout_closed_discards_the_output(tmp_path):
    program = tmp_path / "loud.medlang"
    program.write_text(LOUD.replace("200000", "3"))
    done = subprocess.run(
        [sys.executable, "-m", "medlang", "run", str(program)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
        timeout=120,
        # close fd 1 in the child, as `mlc run prog >&-` does
        preexec_fn=lambda: __import__("os").close(1),
    )
    assert (done.returncode, done.stderr) == (0, b"")
