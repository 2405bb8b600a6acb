"""The one rendering of diagnostics and runtime errors, locked by snapshots."""

from __future__ import annotations

import pytest

from medlang.lang import api

from .conftest import Lang

SEVERAL = """
type RunSummary = { id: String; finished_at: String; };
fn report(runs: Vector<RunSummary>) -> Int {
  let count = 0;
  for run in runs {
    println("{} finished at {}", run.id, run.finishd_at);
    count = count + 1;
  }
  match len(runs) { 0 => "none", _ => count }
}
"""


def test_several_errors_render(lang: Lang, snapshot) -> None:
    path = lang.write("report.medlang", SEVERAL)
    with pytest.raises(api.MedLangError) as caught:
        api.load_program(path)
    assert str(caught.value) == snapshot


def test_runtime_error_render(lang: Lang, snapshot) -> None:
    error = lang.runtime_error(
        """
        fn ratio(a: Int, b: Int) -> Int { a / b }
        fn main() {
          let values = [4, 2, 0];
          for v in values { println("{}", ratio(8, v)); }
        }
        """
    )
    assert error.render() == snapshot
