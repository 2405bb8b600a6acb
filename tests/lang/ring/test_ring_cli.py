"""``mlc check`` / ``mlc run`` behaviour beyond single programs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .cli_support import REPO_ROOT, mlc

BROKEN_MODULE = """\
module shared;

fn helper() -> Int {
  "not an int"
}
"""


def test_a_shared_module_is_reported_once(tmp_path: Path) -> None:
    (tmp_path / "shared.medlang").write_text(BROKEN_MODULE)
    for name in ("first", "second"):
        (tmp_path / f"{name}.medlang").write_text(
            'import shared::{helper};\n\nfn main() {\n  println("{}", helper());\n}\n'
        )
    result = mlc("check", tmp_path / "first.medlang", tmp_path / "second.medlang")
    assert result.exit_code == 1
    assert result.stderr.count("shared.medlang:4:3: error:") == 1
    assert result.stderr.endswith("1 error in 2 files checked\n")


def test_warnings_alone_do_not_fail_the_check(tmp_path: Path) -> None:
    program = tmp_path / "clean.medlang"
    program.write_text('fn main() {\n  println("hi");\n}\n')
    result = mlc("check", program)
    assert (result.exit_code, result.stdout) == (0, "ok: 1 file checked\n")


def test_program_output_and_runtime_error_go_to_separate_streams(tmp_path: Path) -> None:
    program = tmp_path / "partial.medlang"
    program.write_text('fn main() {\n  println("before");\n  println("{}", [1, 2][5]);\n}\n')
    result = mlc("run", program)
    assert result.exit_code == 1
    assert result.stdout == "before\n"
    assert result.stderr.startswith(f"{program}:3:24: runtime error: index 5 out of range")


def test_command_module_does_not_import_the_language() -> None:
    # `mlc runs ...` must start fast; the lang command module is listed by
    # `mlc --help`, so importing it must not drag in lark or pydantic.
    code = (
        "import sys, medlang.cli.lang; "
        "print(sorted(m for m in ('lark', 'pydantic', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
