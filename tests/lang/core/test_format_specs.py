"""Format specs in println/format, compared with what Rust's format! prints for
the same spec and value (issue 9 item 4), and their compile-time checks."""

from __future__ import annotations

import pytest

from .conftest import Lang

INF = "(1.0e308 * 10.0)"
NAN = f"({INF} - {INF})"

# (spec, MedLang expression, Rust's output for format!(spec, value))
RUST = [
    ("{:.3}", "3.14159", "3.142"),
    ("{:.0}", "0.5", "0"),
    ("{:.0}", "1.5", "2"),
    ("{:.0}", "2.5", "2"),
    ("{:.1}", "0.25", "0.2"),
    ("{:.1}", "0.35", "0.3"),
    ("{:.2}", "1.005", "1.00"),
    ("{:.1}", "-0.04", "-0.0"),
    ("{:.3}", "2.0", "2.000"),
    ("{:>8}", '"ab"', "      ab"),
    ("{:<8}", '"ab"', "ab      "),
    ("{:^8}", '"ab"', "   ab   "),
    ("{:^7}", '"ab"', "  ab   "),
    ("{:8}", '"ab"', "ab      "),
    ("{:8}", "42", "      42"),
    ("{:<8}", "42", "42      "),
    ("{:>8.3}", "0.6666666666666666", "   0.667"),
    ("{:*^9}", '"mid"', "***mid***"),
    ("{:-<6}", '"x"', "x-----"),
    ("{:.3}", '"abcdef"', "abc"),
    ("{:>6.2}", '"abcdef"', "    ab"),
    ("{:08.2}", "-1.5", "-0001.50"),
    ("{:08.2}", "3.14159", "00003.14"),
    ("{:05}", "-42", "-0042"),
    ("{:<05}", "7", "00007"),
    ("{:+08}", "5", "+0000005"),
    ("{:+}", "5", "+5"),
    ("{:+}", "-5", "-5"),
    ("{:+.2}", "0.0", "+0.00"),
    ("{:+.1}", "-0.0", "-0.0"),
    ("{:e}", "1234.5", "1.2345e3"),
    ("{:e}", "42.0", "4.2e1"),
    ("{:e}", "0.00012", "1.2e-4"),
    ("{:e}", "1.0", "1e0"),
    ("{:e}", "0.0", "0e0"),
    ("{:e}", "-1500.0", "-1.5e3"),
    ("{:e}", "0.1", "1e-1"),
    ("{:e}", "123456789.0", "1.23456789e8"),
    ("{:E}", "1e100", "1E100"),
    ("{:.2e}", "1234.5", "1.23e3"),
    ("{:.2e}", "0.0", "0.00e0"),
    ("{:.3e}", "123456.0", "1.235e5"),
    ("{:.1e}", "0.000123", "1.2e-4"),
    ("{:12.2e}", "-1234.5", "     -1.23e3"),
    ("{:012.2e}", "-1234.5", "-000001.23e3"),
    ("{:e}", INF, "inf"),
    ("{:08.2}", INF, "00000inf"),
    ("{:>6}", f"-{INF}", "  -inf"),
    ("{:+}", NAN, "NaN"),
    ("{:>5.1}", NAN, "  NaN"),
    ("{:>6}", "true", "  true"),
    ("{:<6}", "false", "false "),
]


@pytest.mark.parametrize("spec, expr, rust", RUST)
def test_format_specs_match_rust(lang: Lang, spec: str, expr: str, rust: str) -> None:
    source = (
        f'fn main() {{\n  println("[{spec}]", {expr});\n  print(format("<{spec}>", {expr}));\n}}\n'
    )
    assert lang.check(source) == []
    assert lang.run(source) == f"[{rust}]\n<{rust}>"


def test_braces_and_plain_placeholders_still_work(lang: Lang) -> None:
    source = 'fn main() { println("{{{}}} {:>3}{{", 1, 2); }\n'
    assert lang.run(source) == "{1}   2{\n"


@pytest.mark.parametrize(
    "call, expected",
    [
        (
            'println("{:e}", 4);',
            ("error", 10, "{:e} formats a Float, but the argument is Int", "to_float"),
        ),
        (
            'println("{:+}", "x");',
            ("error", 10, "the '+' in {:+} applies to numbers, but the argument is String", None),
        ),
        (
            'println("{:05}", "x");',
            ("error", 10, "the '0' in {:05} applies to numbers, but the argument is String", None),
        ),
        (
            'println("a {:.2}", Some(1.0));',
            (
                "error",
                12,
                "{:.2}: a precision applies to a Float or a String, not Option<Float>",
                "unwrap_or",
            ),
        ),
        (
            'println("{:.3}", 3);',
            (
                "warning",
                10,
                "the precision in {:.3} has no effect on an Int (as in Rust)",
                "to_float",
            ),
        ),
        (
            'println("{:?}", 3);',
            (
                "error",
                10,
                "unsupported format spec '{:?}': debug formatting is not supported",
                "{:>8.3}",
            ),
        ),
        (
            'println("{0}", 3);',
            ("error", 10, "'{0}': positional and named arguments are not supported", "in order"),
        ),
        (
            'let s = format("x {:.2", 1.0);',
            ("error", 19, "unmatched '{' in format string", "'{{'"),
        ),
        (
            'println("{:.2} {}", 1.0);',
            ("error", 1, "format string has 2 placeholders, but 1 argument was given", None),
        ),
    ],
)
def test_specs_are_checked_at_compile_time(lang: Lang, call: str, expected) -> None:
    severity, col, message, hint = expected
    [diagnostic] = lang.check(f"fn main() {{\n{call}\n}}\n")
    assert (diagnostic.severity, diagnostic.line, diagnostic.col) == (severity, 2, col)
    assert diagnostic.message == message
    if hint is not None:
        assert hint in (diagnostic.hint or "")


def test_a_computed_format_string_is_checked_when_it_runs(lang: Lang) -> None:
    error = lang.runtime_error('fn main() {\n  let f = "{:e}";\n  println(f, 3);\n}\n')
    assert "formats a Float, not an Int" in error.message
    assert error.line == 3
