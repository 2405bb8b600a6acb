"""Bounded execution through the real CLI (issue 13 item 7): `mlc run --timeout`
and `--max-steps`, the producers' step budget for evidence programs, and sources
too large to check refused at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from medlang.evidence.common import EVIDENCE_MAX_STEPS, Request
from medlang.lang.modules import MAX_SOURCE_BYTES

from .cli_support import mlc

LOOP = """\
fn main() {
  var i = 0;
  while true {
    i = i + 1;
  }
}
"""

RECURSION = """\
fn fib(n: Int) -> Int { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
fn main() { println("{}", fib(60)); }
"""

LOOPING_EVIDENCE = """\
import med.evidence::*;

fn spin() -> Int {
  var i = 0;
  while true { i = i + 1; }
  i
}

fn Looping() -> EvidenceProgram {
  let n = spin();
  unwrap(None)
}
"""


@pytest.fixture
def program(tmp_path: Path):
    def write(source: str, name: str = "prog.medlang") -> Path:
        path = tmp_path / name
        path.write_text(source)
        return path

    return write


def test_max_steps_stops_a_loop_at_the_current_statement(program, tmp_path: Path) -> None:
    result = mlc("run", program(LOOP), "--max-steps", "1000", registry=tmp_path / "reg")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].endswith(
        "prog.medlang:4:5: runtime error: step limit exceeded: more than 1,000 steps (--max-steps)"
    )
    assert lines[1:3] == ["      i = i + 1;", "      ^~~~~~~~~~"]
    assert "Traceback" not in result.output


def test_max_steps_also_counts_calls(program, tmp_path: Path) -> None:
    result = mlc("run", program(RECURSION), "--max-steps", "5000", registry=tmp_path / "reg")
    assert result.exit_code == 1
    assert "step limit exceeded: more than 5,000 steps" in result.stderr


def test_timeout_stops_a_loop_within_about_the_timeout(program, tmp_path: Path) -> None:
    start = time.monotonic()
    result = mlc("run", program(LOOP), "--timeout", "0.5", registry=tmp_path / "reg")
    elapsed = time.monotonic() - start
    assert result.exit_code == 1
    assert "runtime error: time limit exceeded: running for more than 0.5 s (--timeout)" in (
        result.stderr
    )
    assert ":3:9:" in result.stderr.splitlines()[0]  # the loop's condition
    assert elapsed < 30  # generous: a loaded machine; never "forever"


def test_a_program_within_its_limits_runs_normally(program, tmp_path: Path) -> None:
    source = 'fn main() { var s = 0; for i in range(0, 100) { s = s + i; } println("{}", s); }\n'
    result = mlc(
        "run", program(source), "--max-steps", "500", "--timeout", "60", registry=tmp_path / "r"
    )
    assert (result.exit_code, result.stdout) == (0, "4950\n")


@pytest.mark.parametrize("option, value", [("--max-steps", "-1"), ("--timeout", "0")])
def test_nonsense_limits_are_usage_errors(program, tmp_path: Path, option, value) -> None:
    result = mlc("run", program(LOOP), option, value, registry=tmp_path / "reg")
    assert result.exit_code == 2
    assert option in result.stderr


def test_a_looping_evidence_program_fails_instead_of_hanging_the_producer(
    program, tmp_path: Path
) -> None:
    path = program(LOOPING_EVIDENCE, "looping.medlang")
    out = tmp_path / "out.json"
    start = time.monotonic()
    result = mlc(
        "run-evidence",
        "--file",
        str(path),
        "--evidence-program",
        "Looping",
        "--project",
        str(tmp_path),
        "--max-steps",
        "20000",
        "--out",
        str(out),
        "--log",
        registry=tmp_path / "reg",
    )
    assert result.exit_code == 1
    assert "looping.medlang:5:16: runtime error: step limit exceeded: more than 20,000 steps" in (
        result.stderr
    )
    assert "raise it with --max-steps" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
    assert time.monotonic() - start < 30


def test_mlc_run_log_applies_the_step_budget_too(program, tmp_path: Path) -> None:
    path = program(LOOPING_EVIDENCE.replace("fn Looping()", "fn main()"), "looping.medlang")
    result = mlc("run", str(path), "--log", "--max-steps", "5000", registry=tmp_path / "reg")
    assert result.exit_code == 1
    assert "step limit exceeded: more than 5,000 steps" in result.stderr


def test_producers_evaluate_evidence_programs_under_a_default_budget() -> None:
    request = Request(None, None, Path("."), Path("."))
    assert request.max_steps == EVIDENCE_MAX_STEPS == 10_000_000


def test_a_source_too_large_to_check_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "huge.medlang"
    line = "fn f() { let x = 1; }\n"
    path.write_text(line * (MAX_SOURCE_BYTES // len(line) + 10))
    start = time.monotonic()
    result = mlc("check", str(path))
    assert result.exit_code == 1
    assert "error: source file too large to check (2.0 MiB; the limit is 2 MiB)" in result.stderr
    assert time.monotonic() - start < 10
