"""Int is a 64-bit signed integer, as in Rust: literals outside i64 are diagnostics at
the literal, and arithmetic that overflows is a runtime error where it happened
(Rust's debug-build panic), never an ever-growing Python int."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Lang

MAX = 9223372036854775807
MIN = -9223372036854775808


def test_the_extreme_literals_are_accepted(lang: Lang) -> None:
    out = lang.run(f'fn main() {{ println("{{}} {{}}", {MAX}, -{-MIN}); }}')
    assert out == f"{MAX} {MIN}\n"


@pytest.mark.parametrize("literal", [str(MAX + 1), str(10**30)])
def test_an_int_literal_beyond_i64_is_a_diagnostic_at_the_literal(lang: Lang, literal) -> None:
    [(line, col, message)] = lang.messages(f"fn main() {{\n  let x = 1 + {literal};\n}}\n")
    assert (line, col) == (2, 15)
    assert message.startswith("integer literal is too large for Int")


def test_a_literal_one_below_i64_min_is_a_diagnostic(lang: Lang) -> None:
    [(line, col, message)] = lang.messages(f"fn main() {{\n  let x = -{-MIN + 1};\n}}\n")
    assert (line, col) == (2, 12) and message.startswith("integer literal is too large")


def test_an_int_pattern_literal_beyond_i64_is_a_diagnostic(lang: Lang) -> None:
    arms = f"    -{-MIN} => 1,\n    {MAX + 1} => 2,\n    _ => 3,\n"
    source = f"fn main() {{\n  match 1 {{\n{arms}  }};\n}}\n"
    [(line, col, message)] = lang.messages(source)
    assert (line, col) == (4, 5) and message.startswith("integer literal is too large")


@pytest.mark.parametrize(
    ("expr", "col"),
    [
        ("m + 1", 11),
        ("-m - 2", 11),
        ("m * 2", 11),
        ("-m - 1 - 1", 11),
        ("(-m - 1) / -1", 11),
        ("(-m - 1) % -1", 11),
        ("-(-m - 1)", 11),
        ("abs(-m - 1)", 11),
        ("pow(10, 1000000000)", 11),
        ("pow(-2, 64)", 11),
        ("pow(3, 40)", 11),
        ("sum([m, 1, -5])", 11),
        ("to_int(1e19)", 11),
        ("to_int(-9223372036854777856.0)", 11),
    ],
)
def test_overflow_is_a_runtime_error_at_the_expression(lang: Lang, expr: str, col: int) -> None:
    error = lang.runtime_error(f"fn main() {{\n  let m = {MAX};\n  let x = {expr};\n}}")
    assert "integer overflow" in error.message
    assert (error.line, error.col) == (3, col)
    assert error.render().startswith(f"main.medlang:3:{col}: runtime error: ")


def test_repeated_multiplication_stops_at_the_first_overflow(lang: Lang) -> None:
    error = lang.runtime_error("fn main() {\n  var x = 10;\n  while true {\n    x = x * x;\n  }\n}")
    assert error.message == "integer overflow" and (error.line, error.col) == (4, 9)


def test_arithmetic_up_to_the_edges_is_exact(lang: Lang) -> None:
    out = lang.run(
        f"""
        fn main() {{
          let m = {MAX};
          println("{{}} {{}} {{}}", m - 1 + 1, -m - 1, (-m - 1) / 1);
          println("{{}} {{}} {{}}", pow(2, 62), pow(-2, 63), pow(1, 1000000000000));
          println("{{}} {{}} {{}}", pow(-1, 1000000000001), pow(0, 99), abs(-m));
          println("{{}} {{}}", sum([m, -1, 1]), to_int(-9223372036854775808.0));
        }}
        """
    )
    assert out == (f"{MAX} {MIN} {MIN}\n{2**62} {MIN} 1\n-1 0 {MAX}\n{MAX} {MIN}\n")


def test_parse_int_of_a_number_beyond_i64_is_none_as_in_rust(lang: Lang) -> None:
    out = lang.run(
        f"""
        fn main() {{
          println("{{}} {{}}", parse_int("{MAX}"), parse_int("{MAX + 1}"));
          println("{{}} {{}}", parse_int("{MIN}"), parse_int("{MIN - 1}"));
        }}
        """
    )
    assert out == f"Some({MAX}) None\nSome({MIN}) None\n"


def _rust_i64(op: str, a: int, b: int) -> int | None:
    """Reference: the exact result if it fits i64 (Rust's debug build), else None."""
    if op in "/%" and b == 0:
        return None
    if op == "/":
        exact = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    elif op == "%":
        exact = a - b * (abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1))
        if a == MIN and b == -1:
            return None  # Rust: "attempt to calculate the remainder with overflow"
    else:
        exact = {"+": a + b, "-": a - b, "*": a * b}[op]
    return exact if MIN <= exact <= MAX else None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    op=st.sampled_from("+-*/%"),
    a=st.one_of(st.integers(MIN, MAX), st.sampled_from([MIN, MAX, -1, 0, 1])),
    b=st.one_of(st.integers(MIN, MAX), st.integers(-(2**32), 2**32), st.sampled_from([MIN, -1])),
)
def test_int_arithmetic_matches_rust_i64(lang: Lang, op: str, a: int, b: int) -> None:
    source = f'fn main() {{\n  let a = {a};\n  let b = {b};\n  println("{{}}", a {op} b);\n}}'
    expected = _rust_i64(op, a, b)
    if b == 0 and op in "/%":
        return  # division by zero has its own error (tested elsewhere)
    if expected is None:
        assert lang.runtime_error(source).message == "integer overflow"
    else:
        assert lang.run(source) == f"{expected}\n"
