"""Numbers found in review to escape as Python errors: literals too large to read or
outside Float's range, and Ints that grew too large (now Int overflow, as Int is i64)."""

from __future__ import annotations

from click.testing import CliRunner

from medlang.cli.main import cli

from .conftest import Lang

# 10 squared 13 times would be an Int of 8193 digits; Int is i64, so it overflows
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


def test_squaring_an_int_past_i64_is_a_runtime_error_at_the_product(lang: Lang) -> None:
    error = lang.runtime_error(f'fn main() {{ {HUGE_INT} println("{{}}", x); }}')
    assert error.message == "integer overflow" and (error.line, error.col) == (1, 55)
    assert "sys." not in str(error)


def test_mlc_run_of_an_int_overflow_is_a_located_runtime_error(lang: Lang) -> None:
    path = lang.write("main.medlang", f"fn main() -> Int {{ {HUGE_INT} x }}")
    result = CliRunner().invoke(cli, ["run", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("main.medlang:1:62: runtime error: integer overflow\n")
    assert "Traceback" not in result.stderr and "sys." not in result.stderr


def test_mlc_run_shows_a_deeply_nested_return_value(lang: Lang) -> None:
    n = 1500  # deeper than Python's default recursion limit
    source = f"fn main() -> {'Vector<' * n}Int{'>' * n} {{ {'[' * n}1{']' * n} }}"
    path = lang.write("main.medlang", source)
    result = CliRunner().invoke(cli, ["run", str(path)], catch_exceptions=False)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "[" * n + "1" + "]" * n + "\n"


def test_parse_int_and_parse_float_read_plain_ascii_numbers_only(lang: Lang) -> None:
    out = lang.run(
        """
        fn main() {
          println("{} {} {}", parse_int("1_000"), parse_int("١٢٣"), parse_float("1_0.5"));
          println("{} {} {}", parse_int(" -12 "), parse_float("2.5e3"), parse_int("+7"));
        }
        """
    )
    assert out == "None None None\nSome(-12) Some(2500.0) Some(7)\n"


def test_padding_to_an_absurd_width_is_a_runtime_error(lang: Lang) -> None:
    error = lang.runtime_error('fn main() { println("{}", pad_left("7", 100000000000)); }')
    assert "pad_left: width 100000000000 is too large" in str(error)


def test_running_out_of_memory_is_a_runtime_error_where_it_happened(lang: Lang) -> None:
    import os
    import resource
    import subprocess
    import sys
    from pathlib import Path

    def limit_memory() -> None:  # 2 GiB: fails fast instead of waking the OOM killer
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, resource.RLIM_INFINITY))

    path = lang.write(
        "main.medlang",
        'fn main() { var s = "ab"; var i = 0; while i < 40 { s = s + s; i = i + 1; } }\n',
    )
    done = subprocess.run(
        [sys.executable, "-m", "medlang", "run", str(path)],
        capture_output=True,
        text=True,
        preexec_fn=limit_memory,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    assert done.returncode == 1
    assert done.stderr.startswith("main.medlang:1:57: runtime error: out of memory\n")
