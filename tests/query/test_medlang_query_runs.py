"""MedLang's ``query_runs``: answered by the index at run time, and its literal
queries checked at check time with diagnostics inside the string."""

from __future__ import annotations

from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry
from tests.registry.factories import run

PROGRAM = """import med.registry::{query_runs};

fn main() {
  let best = query_runs("kind = SurrogateEval and metrics.rmse < 0.05", "metrics.rmse", 2);
  for r in best { println("{}", r.id); }
  println("{}", len(query_runs("", "", 0)));
}
"""

BAD = """import med.registry::{query_runs};

fn main() {
  let a = query_runs("kind = SurogateEval", "metrics.rmse", 0);
  let b = query_runs("metrics.rmse <", "nope desc", 0);
  let c = query_runs("metrics.rmse < 0.1 and git_dirty = 'x'", "", 0);
  println("{}", len(a) + len(b) + len(c));
}
"""


def mlc(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_query_runs_reads_the_index(tmp_path):
    registry = Registry(tmp_path / "reg")
    for n, rmse in enumerate([0.04, 0.2, 0.01, 0.03], start=1):
        registry.log_run(run(n, kind="SurrogateEval", metrics={"rmse": rmse}))
    registry.log_run(run(5, kind="RLTrain", metrics={"rmse": 0.0}))
    program = tmp_path / "best.medlang"
    program.write_text(PROGRAM)
    result = mlc("--registry", str(registry.root), "run", str(program))
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [run(3).id, run(4).id, "5"]


def test_a_literal_query_is_checked_where_it_is_written(tmp_path):
    program = tmp_path / "bad.medlang"
    program.write_text(BAD)
    result = mlc("check", str(program))
    assert result.exit_code != 0
    out = result.output
    lines = BAD.splitlines()

    def at(line: int, text: str, after: str = "") -> str:
        col = lines[line - 1].index(text, lines[line - 1].index(after) if after else 0) + 1
        return f"{program}:{line}:{col}: error: in this "

    assert at(4, "SurogateEval") + "query: unknown kind 'SurogateEval'" in out
    assert "hint: did you mean 'SurrogateEval'?" in out
    assert at(6, "'x'") + "query: type mismatch: git_dirty holds true/false" in out
    assert at(5, '", "nope') + "query: unexpected end of query" in out
    assert at(5, "nope") + "order: unknown field 'nope'" in out


def test_a_bad_query_at_run_time_is_a_runtime_error(tmp_path):
    registry = Registry(tmp_path / "reg")
    registry.log_run(run(1, metrics={"rmse": 0.1}))
    program = tmp_path / "dynamic.medlang"
    program.write_text(
        "import med.registry::{query_runs};\n\nfn main() {\n"
        '  let field = "metrics.rsme";\n'
        '  println("{}", len(query_runs(field + " < 1", "", 0)));\n}\n'
    )
    result = mlc("--registry", str(registry.root), "run", str(program))
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "bad query: no run has the field 'metrics.rsme'" in result.output
    assert "did you mean 'metrics.rmse'?" in result.output
