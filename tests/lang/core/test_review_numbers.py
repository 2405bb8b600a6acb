"""Numbers found in review to escape as Python errors: literals too large to read or
outside Float's range, and Ints too large to display."""

from __future__ import annotations

from click.testing import CliRunner

from medlang.cli.main import cli

from .conftest import Lang

# 10 squared 13 times: an Int of 8193 digits, beyond what can be shown as text
HUGE_INT = "var x = 10; var i = 0; while i < 13 { x = x * x; i = i + 1; }"


def test_an_int_literal_with_too_many_digits_is_a_diagnostic_at_the_literal(lang: Lang) -> None:
    [(line, col, message)] = lang.messages(f"fn main() {{\n  let x = {'9' * 5000};\n}}\n")
    assert (line, col) == (2, 11)
    assert message.startswith("integer literal is too large") and "internal" not in message


def test_a_float_literal_out_of_range_is_a_diagnostic(lang: Lang) -> None:
    [(line, col, message)] = lang.messages("fn main() {\n  let x = 1e999;\n}\n")
    assert (line, col) == (2, 11)
    assert message == "float literal is out of range for Float (it would be infinite)"


def test_an_int_pattern_literal_with_too_many_digits_is_a_diagnostic(lang: Lang) -> None:
    source = f"fn main() {{\n  match 1 {{\n    {'9' * 5000} => 1,\n    _ => 2,\n  }};\n}}\n"
    [(line, col, message)] = lang.messages(source)
    assert (line, col) == (3, 5) and message.startswith("integer literal is too large")


def test_printing_an_int_too_large_to_show_is_a_runtime_error(lang: Lang) -> None:
    error = lang.runtime_error(f'fn main() {{ {HUGE_INT} println("{{}}", x); }}')
    assert "too large to display (8193 digits" in str(error)
    assert "sys." not in str(error)


def test_mlc_run_returning_an_int_too_large_to_show_is_one_readable_error(lang: Lang) -> None:
    path = lang.write("main.medlang", f"fn main() -> Int {{ {HUGE_INT} x }}")
    result = CliRunner().invoke(cli, ["run", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "too large to display (8193 digits" in result.stderr
    assert "internal" not in result.stderr and "sys." not in result.stderr


def test_mlc_run_shows_a_deeply_nested_return_value(lang: Lang) -> None:
    n = 1500  # deeper than Python's default recursion limit
    source = f"fn main() -> {'Vector<' * n}Int{'>' * n} {{ {'[' * n}1{']' * n} }}"
    path = lang.write("main.medlang", source)
    result = CliRunner().invoke(cli, ["run", str(path)], catch_exceptions=False)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "[" * n + "1" + "]" * n + "\n"
