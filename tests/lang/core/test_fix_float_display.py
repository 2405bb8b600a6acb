"""Floats display as Rust's `{}` does (never an exponent; -0.0 keeps its sign), except
that integral floats keep the project's ".0" (`1.0`, Rust `1`)."""

from __future__ import annotations

import pytest

from .conftest import Lang


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("1e21", "1000000000000000000000.0"),
        ("-1.5e22", "-15000000000000000000000.0"),
        ("1e16", "10000000000000000.0"),
        ("1.25e17", "125000000000000000.0"),
        ("1e-7", "0.0000001"),
        ("-2.5e-10", "-0.00000000025"),
        ("0.1 + 0.2", "0.30000000000000004"),
        ("1.0", "1.0"),
        ("-0.0", "-0.0"),
        ("floor(-0.0)", "-0.0"),
        ("floor(-0.5)", "-1.0"),
        ("ceil(-0.5)", "-0.0"),
        ("round(-0.4)", "-0.0"),
        ("floor(2.7)", "2.0"),
        ("ceil(1e300) / 1e300", "1.0"),
    ],
)
def test_float_display_matches_rust_except_the_trailing_zero(
    lang: Lang, value: str, shown: str
) -> None:
    assert lang.run(f'fn main() {{ println("{{}}", {value}); }}') == shown + "\n"


def test_floats_inside_containers_and_to_string_use_the_same_form(lang: Lang) -> None:
    out = lang.run('fn main() { println("{} {}", [1e21, 1e-7], to_string(Some(-0.0))); }')
    assert out == "[1000000000000000000000.0, 0.0000001] Some(-0.0)\n"
