"""``get_tags`` in MedLang: tags set with ``mlc runs tag`` read by a checked program."""

from __future__ import annotations

from pathlib import Path

import pytest

from medlang.registry import Registry, RunKind
from tests.registry.factories import fixed_id, run

from .cli_support import TextSnapshot, mlc, transcript

PROGRAM = """\
module tags_demo;

import med.registry::{RunKind, list_runs, get_tags};

fn main() {
  for r in list_runs(Some(RunKind::SurrogateEval)) {
    let tags = get_tags(r.id);
    println("{} has {} tag(s)", r.id, len(tags));
    for key in keys(tags) {
      match get(tags, key) {
        Some(value) => println("  {} = {}", key, value),
        None => println("  {} vanished", key),
      }
    }
  }
}
"""

WRONG_TYPE = """\
module tags_wrong;

import med.registry::{get_tags};

fn main() {
  let tags: Map<String, Float> = get_tags("0000");
}
"""


@pytest.fixture
def tagged(tmp_path: Path) -> Registry:
    registry = Registry(tmp_path / "reg")
    registry.log_run(run(1, RunKind.SurrogateEval))
    registry.log_run(run(2, RunKind.SurrogateEval))
    assert mlc("runs", "tag", fixed_id(1), "paper=fig3", "status=final", registry=registry.root)
    mlc("runs", "tag", fixed_id(1), "--remove", "status", "reviewer=ada", registry=registry.root)
    return registry


def test_get_tags_reads_the_folded_tags(tagged: Registry, tmp_path: Path, snapshot) -> None:
    program = tmp_path / "tags_demo.medlang"
    program.write_text(PROGRAM)
    assert mlc("check", program).exit_code == 0
    result = mlc("run", program, registry=tagged.root)
    assert result.exit_code == 0, result.stderr
    text = transcript(result).replace(str(tmp_path), "<tmp>")
    assert text == snapshot.use_extension(TextSnapshot)


def test_get_tags_is_typed_map_of_strings(tmp_path: Path) -> None:
    program = tmp_path / "tags_wrong.medlang"
    program.write_text(WRONG_TYPE)
    result = mlc("check", program)
    assert result.exit_code == 1
    assert "Map<String, Float>" in result.stderr and "Map<String, String>" in result.stderr
