"""Maths builtins and Float semantics: every result is what Rust's f64/i64 give
(values checked against `rustc` by hand where noted), IEEE results instead of
errors, and the statistics' documented definitions."""

from __future__ import annotations

import pytest

from .conftest import Lang


def shown(lang: Lang, expr: str) -> str:
    return lang.run('fn main() {\n  println("{}", ' + expr + ");\n}").rstrip("\n")


@pytest.mark.parametrize(
    "expr, expected",
    [
        # IEEE results where Python raises
        ("1.0 / 0.0", "inf"),
        ("-1.0 / 0.0", "-inf"),
        ("1.0 / -0.0", "-inf"),
        ("0.0 / 0.0", "NaN"),
        ("sqrt(-1.0)", "NaN"),
        ("(1.0e308 * 10.0) % 2.0", "NaN"),
        ("5.5 % 0.0", "NaN"),
        ("5.5 % INFINITY", "5.5"),
        ("-7.5 % 2.0", "-1.5"),
        ("pow(1e300, 3.0)", "inf"),
        ("pow(-1e300, 3.0)", "-inf"),
        ("pow(-8.0, 0.5)", "NaN"),
        ("pow(0.0, -1.0)", "inf"),
        ("pow(-0.0, -1.0)", "-inf"),
        ("pow(NAN, 0.0)", "1.0"),
        ("exp(1000.0)", "inf"),
        ("exp(-1000.0)", "0.0"),
        ("ln(0.0)", "-inf"),
        ("ln(-1.0)", "NaN"),
        ("log10(1000.0)", "3.0"),
        ("log2(0.0)", "-inf"),
        ("sin(INFINITY)", "NaN"),
        ("INFINITY - INFINITY", "NaN"),
        # f64::round: halves away from zero, exactly
        ("round(0.49999999999999994)", "0.0"),
        ("round(4503599627370497.0)", "4503599627370497.0"),
        ("round(2.5)", "3.0"),
        ("round(-2.5)", "-3.0"),
        ("round(-0.4)", "-0.0"),
        ("trunc(-2.7)", "-2.0"),
        ("floor(-0.5)", "-1.0"),
        ("ceil(-0.5)", "-0.0"),
        # f64::min/max ignore NaN; Int versions
        ("max(NAN, 1.0)", "1.0"),
        ("min(1.0, NAN)", "1.0"),
        ("min(3, -2)", "-2"),
        ("clamp(5.0, 0.0, 1.0)", "1.0"),
        ("clamp(NAN, 0.0, 1.0)", "NaN"),
        ("clamp(-3, 0, 10)", "0"),
        ("signum(-0.0)", "-1.0"),
        ("signum(0.0)", "1.0"),
        ("signum(-7)", "-1"),
        ("abs(-2.5)", "2.5"),
        ("is_nan(NAN)", "true"),
        ("is_finite(INFINITY)", "false"),
        ("cbrt(-8.0)", "-2.0"),
        ("hypot(3.0, 4.0)", "5.0"),
        ("atan2(1.0, 1.0) * 4.0", "3.141592653589793"),
        ("PI", "3.141592653589793"),
        ("E", "2.718281828459045"),
        ("exp(ln(2.0))", "2.0"),
        ("pow(2, 10)", "1024"),
        # display: shortest round trip with Rust's tie-break, no exponent
        ("1125899906842624.25", "1125899906842624.3"),
        ("-1125899906842624.25", "-1125899906842624.3"),
        ("1e21", "1000000000000000000000.0"),
        ("1e-7", "0.0000001"),
    ],
)
def test_float_results_are_rusts(lang: Lang, expr: str, expected: str) -> None:
    assert shown(lang, expr) == expected


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("mean([1.0, 2.0, 4.0])", "2.3333333333333335"),
        ("mean([])", "NaN"),
        ("median([3.0, 1.0, 2.0])", "2.0"),
        ("median([4.0, 1.0, 3.0, 2.0])", "2.5"),
        ("median([1.0, NAN])", "NaN"),
        ("var([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])", "4.571428571428571"),  # n - 1
        ("std([1.0, 3.0])", "1.4142135623730951"),
        ("var([1.0])", "NaN"),
        ("quantile([1.0, 2.0, 3.0, 4.0], 0.25)", "1.75"),  # R type 7
        ("quantile([5.0, 1.0], 1.0)", "5.0"),
        ("quantile([5.0, 1.0], 0.0)", "1.0"),
    ],
)
def test_statistics_follow_their_documented_definitions(
    lang: Lang, expr: str, expected: str
) -> None:
    assert shown(lang, expr) == expected


@pytest.mark.parametrize(
    "expr, message",
    [
        ("clamp(1.0, 2.0, 1.0)", "clamp: bounds out of order or NaN (lo = 2.0, hi = 1.0)"),
        ("clamp(1.0, NAN, 1.0)", "clamp: bounds out of order or NaN"),
        ("quantile([1.0], 1.5)", "quantile: quantile must be between 0.0 and 1.0, got 1.5"),
        ("pow(2, -1)", "pow: pow of an Int to a negative power"),
        ("abs(-9223372036854775807 - 1)", "abs: integer overflow"),
    ],
)
def test_maths_runtime_errors(lang: Lang, expr: str, message: str) -> None:
    error = lang.runtime_error('fn main() {\n  println("{}", ' + expr + ");\n}")
    assert error.message.startswith(message)


def test_a_variable_shadows_a_constant_and_constants_have_types(lang: Lang) -> None:
    assert lang.run('fn main() {\n  let E = 2;\n  println("{}", E + 1);\n}') == "3\n"
    [(_, _, message)] = lang.messages("fn main() {\n  let x: Int = PI;\n}\n")
    assert "Float" in message


def test_maths_typing_rules(lang: Lang) -> None:
    messages = [
        m
        for _, _, m in lang.messages(
            "fn main() {\n  let a = exp(1);\n  let b = clamp(1, 2.0, 3);\n"
            '  let c = mean([1, 2]);\n  let d = quantile([1.0], 1);\n  let e = min("a", "b");\n}'
        )
    ]
    assert messages == [
        "exp expects Float, got Int",
        "clamp expects all Ints or all Floats, got Int and Float",
        "mean expects a Vector<Float>, got Vector<Int>",
        "quantile expects the quantile as a Float, got Int",
        "min expects Int or Float, got String",
    ]


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("sum([INFINITY, -INFINITY])", "NaN"),
        ("sum([1e308, 1e308, -1e308])", "inf"),  # IEEE left to right, as Rust
        ("mean([1e308, 1e308])", "inf"),
        ("var([INFINITY, 1.0])", "NaN"),
        ("sum([0.1, 0.2, 0.3])", "0.6"),  # exactly rounded (Rust: 0.6000000000000001)
    ],
)
def test_float_sums_never_fail(lang: Lang, expr: str, expected: str) -> None:
    assert shown(lang, expr) == expected
