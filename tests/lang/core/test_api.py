"""The Python front door: check_file, load_program, list_functions, run_file,
Program.call, error objects, and "never a traceback"."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

import medlang
from medlang.lang import api
from medlang.lang.api import FunctionInfo, MedLangError, MedLangRuntimeError

from .conftest import Lang


def test_package_exports_are_lazy_and_import_medlang_stays_cheap() -> None:
    code = (
        "import sys, medlang; assert 'lark' not in sys.modules; print(medlang.run_file.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "medlang.lang.api"
    assert medlang.check_file is api.check_file


def test_list_functions_parses_only(lang: Lang) -> None:
    path = lang.write(
        "prog.medlang",
        """
        import does.not.exist::*;
        type EvidenceProgram = { name: String; };
        fn main() { undefined_call(); }
        fn build(n: Int, tags: Vector<String>) -> EvidenceProgram { { name = "x" } }
        extern fn native(x: Int) -> Int;
        """,
    )
    assert api.list_functions(path) == [
        FunctionInfo("main", [], "Unit", 3),
        FunctionInfo("build", [("n", "Int"), ("tags", "Vector<String>")], "EvidenceProgram", 4),
    ]


def test_list_functions_raises_on_syntax_error(lang: Lang) -> None:
    path = lang.write("bad.medlang", "fn main( {")
    with pytest.raises(MedLangError) as caught:
        api.list_functions(path)
    assert caught.value.diagnostics[0].message.startswith("syntax error")


def test_check_file_returns_all_diagnostics_and_never_raises(lang: Lang) -> None:
    diagnostics = lang.check('fn main() { let x: Int = "a"; nope(); }')
    assert [d.severity for d in diagnostics] == ["error", "error"]
    assert diagnostics[0].path == "main.medlang"
    assert (diagnostics[0].line, diagnostics[0].col, diagnostics[0].end_col) == (1, 26, 29)


def test_missing_file_is_a_diagnostic(tmp_path: Path) -> None:
    (diag,) = api.check_file(tmp_path / "absent.medlang")
    assert diag.message.startswith("cannot read file")


def test_deeply_nested_source_checks_and_runs_on_the_big_stack(lang: Lang) -> None:
    depth = 20_000
    parens = "(" * depth + "1" + ")" * depth
    negations = "-" * depth + "1"  # an even number of minus signs
    out = lang.run(f'fn main() {{ println("{{}} {{}}", {parens}, {negations}); }}')
    assert out == "1 1\n"


def test_load_program_raises_with_every_error_and_a_summary(lang: Lang) -> None:
    path = lang.write("main.medlang", "fn main() {\n  let a = 1 + 2.0;\n  break;\n}")
    with pytest.raises(MedLangError) as caught:
        api.load_program(path)
    text = str(caught.value)
    assert len(caught.value.diagnostics) == 2
    assert text.endswith("\n\n2 errors")
    assert text.split("\n\n")[0].splitlines() == [
        "main.medlang:2:11: error: cannot add Int and Float",
        "    let a = 1 + 2.0;",
        "            ^~~~~~~",
        "  hint: Int and Float do not mix; convert with to_float(...) or to_int(...)",
    ]


def test_program_call_with_arguments_and_functions(lang: Lang) -> None:
    path = lang.write(
        "m.medlang", "module demo.m;\nfn scale(x: Float, k: Int) -> Float { x * to_float(k) }"
    )
    program = api.load_program(path)
    assert program.module_name == "demo.m"
    assert [f.name for f in program.functions()] == ["scale"]
    assert program.call("scale", [1.5, 4]) == 6.0


def test_run_file_without_main_lists_zero_argument_functions(lang: Lang) -> None:
    path = lang.write("m.medlang", "fn report() {}\nfn summary() {}\nfn per(k: Int) {}")
    with pytest.raises(MedLangError) as caught:
        api.run_file(path)
    (diag,) = caught.value.diagnostics
    assert diag.message == "no function 'main' in m.medlang"
    assert diag.hint == "functions that can be run without arguments: report, summary"


def test_run_file_named_function_with_parameters_is_refused(lang: Lang) -> None:
    path = lang.write("m.medlang", "fn main() {}\nfn per(k: Int) {}")
    with pytest.raises(MedLangError) as caught:
        api.run_file(path, "per")
    (diag,) = caught.value.diagnostics
    assert (diag.line, diag.col) == (2, 4)
    assert diag.message == "function 'per' takes 1 argument(s) (k: Int), but 0 were given"


def test_run_file_prints_to_the_given_stream(lang: Lang) -> None:
    out = io.StringIO()
    path = lang.write("m.medlang", 'fn main() { println("hi {}", 1); }')
    assert api.run_file(path, stdout=out) is None
    assert out.getvalue() == "hi 1\n"


def test_run_file_defaults_to_sys_stdout(lang: Lang, capsys: pytest.CaptureFixture) -> None:
    api.run_file(lang.write("m.medlang", 'fn main() { print("x"); }'))
    assert capsys.readouterr().out == "x"


def test_runtime_error_object(lang: Lang) -> None:
    path = lang.write("m.medlang", "fn main() {\n  let v = [1];\n  let x = v[1];\n}")
    with pytest.raises(MedLangRuntimeError) as caught:
        api.run_file(path)
    error = caught.value
    assert (error.message, error.path, error.line, error.col) == (
        "index 1 out of range for a vector of length 1",
        "m.medlang",
        3,
        13,
    )
    assert error.trace == [("main", "m.medlang", 3, 13)]
    assert str(error) == error.render()


def test_recursion_limit_is_restored_after_a_call(lang: Lang) -> None:
    before = sys.getrecursionlimit()
    lang.run("fn f(n: Int) -> Int { if n == 0 { 0 } else { f(n - 1) } }\nfn main() { f(900); }")
    assert sys.getrecursionlimit() == before


def test_byte_order_mark_and_crlf_line_endings_are_accepted(lang: Lang) -> None:
    path = lang.root / "win.medlang"
    path.write_bytes(b'\xef\xbb\xbffn main() {\r\n  println("ok");\r\n}\r\n')
    assert api.check_file(path) == []
    out = io.StringIO()
    api.run_file(path, stdout=out)
    assert out.getvalue() == "ok\n"


def test_undecodable_file_is_a_diagnostic(lang: Lang) -> None:
    path = lang.root / "bin.medlang"
    path.write_bytes(b"fn main() { \xff\xfe }")
    (diag,) = api.check_file(path)
    assert diag.message.startswith("cannot read file")
