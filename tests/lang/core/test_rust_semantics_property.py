"""Property test: random Int/Float expressions evaluate exactly as Rust's i64/f64 do.

A seeded generator builds typed expression trees over the arithmetic operators and the
maths builtins, with edge-case leaves (0.0 and -0.0, NaN, infinities, subnormals,
ties for ``round`` and for display, i64's extremes). Each tree becomes one MedLang
function of a generated program (100 per program, so 5,000 expressions cost 50
parses) and is evaluated twice: by the interpreter, and by the reference below,
written from Rust's documentation and independent of the interpreter's code:

- f64 arithmetic is IEEE 754 (numpy's float64 for ``/`` and ``%``, which Rust
  defines as C's ``fmod``); ``exp``, ``ln``, ``powf`` and ``hypot`` are the C
  library's ``exp``, ``log``, ``pow``, ``hypot`` (called through ctypes), as in Rust;
- ``f64::round`` rounds halves away from zero, computed on the exact decimal value;
- ``f64::min``/``max`` ignore a NaN argument; ``clamp`` panics on bounds out of
  order or NaN;
- i64 arithmetic panics on overflow and on division or remainder by zero;
  ``/`` and ``%`` truncate toward zero; ``i64::pow`` panics on overflow.

Values must agree bit for bit (NaN with NaN, -0.0 with -0.0), and a panic in the
reference must be a runtime error of the same kind in MedLang.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import random
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from medlang.lang import api
from medlang.lang.builtins import show_float

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
PER_PROGRAM = 100
PROGRAMS = 50  # 50 x 100 = 5,000 expressions

INT_LEAVES = [0, 1, 2, 3, 7, 10, 63, 64, 1000, 3037000499, 3037000500, 2**32, I64_MAX, I64_MIN]
FLOAT_LEAVES = [
    "0.0",
    "0.5",
    "1.0",
    "2.5",
    "3.0",
    "0.1",
    "123.456",
    "0.49999999999999994",
    "4503599627370497.0",
    "1125899906842624.25",
    "1e308",
    "1.7976931348623157e308",
    "5e-324",
    "1e-300",
    "INFINITY",
    "NAN",
    "PI",
]


def _libm() -> ctypes.CDLL:
    """The C library's maths, which Rust's f64::exp/ln/powf/hypot call: it never
    raises, it returns IEEE results (numpy's own exp and pow differ in the last bit)."""
    library = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    for name, arity in (("exp", 1), ("log", 1), ("pow", 2), ("hypot", 2)):
        function = getattr(library, name)
        function.restype = ctypes.c_double
        function.argtypes = [ctypes.c_double] * arity
    return library


LIBM = _libm()


class Panic(Exception):
    """The reference's stand-in for a Rust panic; ``kind`` is what MedLang must say."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


# ---- expression trees ---------------------------------------------------------------
# A tree is a tuple: ("int", v) | ("float", text) | ("neg", t, x) | ("bin", t, op, a, b)
# | ("if", t, comparison, a, b, then, else)
# | ("call", t, name, *args), where t is "Int" or "Float", the tree's type. Trees come
# from a seeded generator (Hypothesis spent 2/3 of the time drawing 5,000 trees):
# every run tests the same programs, and a failure names its seed and expression.
INT_CALLS = {"abs": 1, "signum": 1, "min": 2, "max": 2, "pow": 2, "clamp": 3, "to_int": 1}
FLOAT_CALLS = {
    **dict.fromkeys(["sqrt", "floor", "ceil", "round", "trunc", "abs", "signum"], 1),
    **dict.fromkeys(["exp", "ln", "to_float"], 1),
    **dict.fromkeys(["min", "max", "pow", "hypot"], 2),
    "clamp": 3,
}


def generate(rng: random.Random, t: str, depth: int) -> tuple:
    roll = rng.random()
    if depth == 0 or roll < 0.3:
        if t == "Int":
            return ("int", rng.choice(INT_LEAVES))
        return ("float", rng.choice(FLOAT_LEAVES))
    if roll < 0.6:
        op = rng.choice("+-*/%")
        return ("bin", t, op, generate(rng, t, depth - 1), generate(rng, t, depth - 1))
    if roll < 0.65:
        return ("neg", t, generate(rng, t, depth - 1))
    if roll < 0.72:  # `if a < b { x } else { y }`: comparisons, NaN's included
        compared = rng.choice(["Int", "Float"])
        sides = (generate(rng, compared, depth - 1), generate(rng, compared, depth - 1))
        branches = (generate(rng, t, depth - 1), generate(rng, t, depth - 1))
        return ("if", t, rng.choice(["<", "<=", ">", ">=", "==", "!="]), *sides, *branches)
    calls = INT_CALLS if t == "Int" else FLOAT_CALLS
    name = rng.choice(list(calls))
    if name == "pow" and t == "Int":  # small exponents, so not every pow overflows
        return ("call", t, name, generate(rng, t, depth - 1), ("int", rng.randint(-1, 70)))
    arg_type = {"to_int": "Float", "to_float": "Int"}.get(name, t)
    args = [generate(rng, arg_type, depth - 1) for _ in range(calls[name])]
    return ("call", t, name, *args)


def render(tree: tuple) -> str:
    kind = tree[0]
    if kind == "int":
        value = tree[1]
        return f"({value + 1} - 1)" if value == I64_MIN else f"({value})".replace("(-", "(0 - ")
    if kind == "float":
        return tree[1]
    if kind == "neg":
        return f"(-{render(tree[2])})"
    if kind == "if":
        _, _, op, left, right, then, otherwise = tree
        condition = f"{render(left)} {op} {render(right)}"
        return f"(if {condition} {{ {render(then)} }} else {{ {render(otherwise)} }})"
    if kind == "bin":
        return f"({render(tree[3])} {tree[2]} {render(tree[4])})"
    return f"{tree[2]}({', '.join(render(arg) for arg in tree[3:])})"


# ---- the reference: Rust's semantics, from its documentation ------------------------
def _i64(value: int) -> int:
    if not I64_MIN <= value <= I64_MAX:
        raise Panic("integer overflow")
    return value


def _f64(text: str) -> float:
    return {"INFINITY": math.inf, "NAN": math.nan, "PI": math.pi}.get(text) or float(text)


def reference(tree: tuple):
    kind = tree[0]
    if kind == "int":
        return tree[1]
    if kind == "float":
        return _f64(tree[1])
    if kind == "if":  # IEEE comparisons: every one involving NaN is false but !=
        _, _, op, left, right, then, otherwise = tree
        a, b = reference(left), reference(right)
        holds = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}
        return reference(then if holds[op] else otherwise)  # only the branch taken runs
    if kind == "neg":
        value = reference(tree[2])
        return _i64(-value) if tree[1] == "Int" else -value
    if kind == "bin":
        left, right = reference(tree[3]), reference(tree[4])  # left first, as Rust
        return (_int_op if tree[1] == "Int" else _float_op)(tree[2], left, right)
    args = [reference(arg) for arg in tree[3:]]
    return (_int_call if tree[1] == "Int" else _float_call)(tree[2], args)


def _int_op(op: str, a: int, b: int) -> int:
    if op in "+-*":
        return _i64(a + b if op == "+" else a - b if op == "-" else a * b)
    if b == 0:
        raise Panic("by zero")
    quotient = _i64(int(Decimal(a) / Decimal(b)))  # exact, truncated toward zero
    return quotient if op == "/" else a - b * quotient


def _float_op(op: str, a: float, b: float) -> float:
    x, y = np.float64(a), np.float64(b)
    with np.errstate(all="ignore"):
        result = {"+": x + y, "-": x - y, "*": x * y, "/": x / y, "%": np.fmod(x, y)}[op]
    return float(result)


def _int_call(name: str, args: list) -> int:
    if name == "abs":
        return _i64(abs(args[0]))
    if name == "signum":
        return (args[0] > 0) - (args[0] < 0)
    if name in ("min", "max"):
        return min(args) if name == "min" else max(args)
    if name == "pow":
        base, exponent = args
        if exponent < 0:
            raise Panic("negative power")  # no u32 exponent in Rust: refused
        return _i64(base**exponent) if abs(base) < 2 or exponent < 64 else _i64(2**64)
    if name == "clamp":
        x, lo, hi = args
        if lo > hi:
            raise Panic("bounds out of order")
        return max(lo, min(x, hi))
    # to_int: MedLang's checked conversion (Rust's `as` would saturate; documented)
    x = args[0]
    if math.isnan(x) or math.isinf(x):
        raise Panic("cannot convert")
    if not -(2.0**63) <= x < 2.0**63:
        raise Panic("integer overflow")
    return int(x)


def _float_call(name: str, args: list) -> float:
    x = args[0]
    with np.errstate(all="ignore"):
        if name == "sqrt":
            return float(np.sqrt(np.float64(x)))
        if name in ("floor", "ceil", "trunc"):
            return float(getattr(np, name)(np.float64(x)))
        if name == "round":
            if not math.isfinite(x):
                return x
            return math.copysign(float(Decimal(x).to_integral_value(ROUND_HALF_UP)), x)
        if name == "abs":
            return math.fabs(x)
        if name == "signum":
            return x if math.isnan(x) else math.copysign(1.0, x)
        if name == "exp":
            return LIBM.exp(x)
        if name == "ln":
            return LIBM.log(x)
        if name in ("min", "max"):
            a, b = args
            if math.isnan(a) or math.isnan(b):
                return b if math.isnan(a) else a
            # signed zeros: Rust leaves the choice open; MedLang documents the first
            if a == b:
                return a
            return min(a, b) if name == "min" else max(a, b)
        if name == "pow":
            return LIBM.pow(*args)
        if name == "hypot":
            return LIBM.hypot(*args)
        if name == "clamp":
            x, lo, hi = args
            if not lo <= hi:
                raise Panic("bounds out of order")
            return lo if x < lo else hi if x > hi else x
    return float(x)  # to_float: i64 -> f64 rounds to nearest, ties to even


def _outcome(tree: tuple):
    try:
        return ("value", reference(tree))
    except Panic as panic:
        return ("panic", panic.kind)


def _same(expected, actual) -> bool:
    if isinstance(expected, float):
        if math.isnan(expected):
            return isinstance(actual, float) and math.isnan(actual)
        return (
            type(actual) is float
            and actual == expected
            and (math.copysign(1.0, actual) == math.copysign(1.0, expected))
        )
    return type(actual) is int and actual == expected


# ---- the property --------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(PROGRAMS))
def test_expressions_evaluate_as_rust(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    trees = [generate(rng, rng.choice(["Int", "Float"]), 4) for _ in range(PER_PROGRAM)]
    path = tmp_path / "generated.medlang"
    path.write_text(
        "".join(
            f"fn e{i}() -> {_type(tree)} {{\n  {render(tree)}\n}}\n" for i, tree in enumerate(trees)
        )
    )
    program = api.load_program(path)
    for i, tree in enumerate(trees):
        kind, expected = _outcome(tree)
        source = f"seed {seed}: {render(tree)}"
        if kind == "panic":
            with pytest.raises(api.MedLangRuntimeError) as caught:
                program.call(f"e{i}")
            assert expected in caught.value.message, source
        else:
            actual = program.call(f"e{i}")
            assert _same(expected, actual), f"{source}: Rust {expected!r}, MedLang {actual!r}"


def _type(tree: tuple) -> str:
    if tree[0] in ("int", "float"):
        return "Int" if tree[0] == "int" else "Float"
    return tree[1]


@pytest.mark.parametrize(
    "tree, expected",
    [
        (("call", "Float", "round", ("float", "0.49999999999999994")), 0.0),
        (("call", "Float", "round", ("float", "4503599627370497.0")), 4503599627370497.0),
        (("bin", "Float", "%", ("bin", "Float", "*", ("float", "1e308"), ("float", "1e308")),
          ("float", "2.5")), math.nan),
        (("call", "Float", "max", ("float", "NAN"), ("float", "1.0")), 1.0),
        (("bin", "Int", "/", ("int", I64_MIN), ("neg", "Int", ("int", 1))), "integer overflow"),
    ],
)  # fmt: skip
def test_the_reference_knows_the_issues_cases(tree: tuple, expected) -> None:
    kind, value = _outcome(tree)
    if kind == "panic":
        assert value == expected
    else:
        assert _same(expected, value)


# ---- display: Rust's shortest round-trip `{}` ----------------------------------------------
def _rust_display_digits(x: float) -> Decimal:
    """Rust's `{}` digits for a finite x: the fewest significant digits that read
    back as x (Python's repr finds how many), and of the decimals with that many
    digits the closest to x, a tie going away from zero (flt2dec's rounding)."""
    digits = len(Decimal(repr(abs(x))).normalize().as_tuple().digits)
    exact = Decimal(x)
    with localcontext() as context:
        context.prec = digits
        context.rounding = ROUND_HALF_UP  # decimal's HALF_UP is "half away from zero"
        return +exact


@settings(max_examples=2000, deadline=None, database=None)
@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(0, 2**60).map(lambda n: n / 4.0),  # quarter steps: ties at 2**50 and up
    )
)
@example(1125899906842624.25)  # shows ...624.3 in Rust, ...624.2 in Python
@example(-1125899906842624.25)
@example(5e-324)
def test_float_display_is_rusts_shortest_round_trip(x: float) -> None:
    text = show_float(x)
    if math.isnan(x):
        assert text == "NaN"
        return
    if math.isinf(x):
        assert text == ("inf" if x > 0 else "-inf")
        return
    assert "e" not in text and "." in text  # no exponent; integral values keep ".0"
    assert float(text) == x and math.copysign(1.0, float(text)) == math.copysign(1.0, x)
    if x != 0.0:
        assert Decimal(text) == _rust_display_digits(x), text
