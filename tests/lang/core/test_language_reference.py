"""docs/language.md cannot rot: every builtin in the table is documented with a
signature and an example, every builtin example prints what its row says, and
every `medlang` program in it checks and prints the `text` block that follows."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from medlang.lang import api
from medlang.lang.builtins import BUILTINS

REFERENCE = Path(__file__).resolve().parents[3] / "docs" / "language.md"
TEXT = REFERENCE.read_text(encoding="utf-8")

# `| `name` | `signature` | `example` | `prints` |`, with `\|` for a literal bar
ROW = re.compile(r"^\| `(\w+)` \| `(.+?)` \| `(.+?)` \| `(.*?)` \|$", re.M)
PROGRAM = re.compile(r"```medlang\n(.*?)```\n+```text\n(.*?)```", re.S)

ROWS = [tuple(cell.replace("\\|", "|") for cell in m.groups()) for m in ROW.finditer(TEXT)]
PROGRAMS = [m.groups() for m in PROGRAM.finditer(TEXT)]


def run(tmp_path: Path, source: str) -> str:
    path = tmp_path / "example.medlang"
    path.write_text(source, encoding="utf-8")
    out = io.StringIO()
    api.run_file(path, "main", registry_root=tmp_path / "registry", stdout=out)
    return out.getvalue()


def test_every_builtin_is_documented_once_with_its_signature() -> None:
    documented = [name for name, *_ in ROWS]
    # `contains` has two rows: vectors and strings
    assert sorted(set(documented)) == sorted(BUILTINS)
    for name, signature, _, _ in ROWS:
        assert signature.startswith(f"{name}("), name


def test_every_program_block_has_its_output() -> None:
    assert TEXT.count("```medlang") == len(PROGRAMS) >= 10


@pytest.mark.parametrize("name, signature, example, prints", ROWS, ids=[r[0] for r in ROWS])
def test_builtin_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name, signature, example, prints
) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write here
    body = example if example.endswith(";") else f'println("{{}}", {example});'
    assert name in example
    assert run(tmp_path, "fn main() {\n  " + body + "\n}\n").rstrip("\n") == prints


@pytest.mark.parametrize(
    "source, output", PROGRAMS, ids=[f"program{i}" for i in range(len(PROGRAMS))]
)
def test_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, output: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert api.check_file(_write(tmp_path, source)) == []
    assert run(tmp_path, source) == output


def _write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "checked.medlang"
    path.write_text(source, encoding="utf-8")
    return path
