"""Maths builtins and constants, with the semantics of Rust's ``f64`` and ``i64``.

Float functions never fail: where Python's ``math`` raises (``math.log(0.0)``,
``math.exp(1000.0)``, ``math.sin(inf)``) the IEEE 754 result Rust gives is
returned instead (``-inf``, ``inf``, ``NaN``). Int functions are checked: a result
outside i64 is the failure "integer overflow", like Rust's debug build.

Statistics over ``Vector<Float>`` (an empty vector gives NaN, as ``0.0 / 0.0``
does; a NaN element makes ``median``/``quantile`` NaN):

- ``mean(v)``: the arithmetic mean, summed exactly (``math.fsum``) then divided.
- ``var(v)``: the *sample* variance, ``sum((x - mean)^2) / (n - 1)`` (R's ``var``,
  numpy's ``ddof=1``); NaN for fewer than two values.
- ``std(v)``: ``sqrt(var(v))``, the sample standard deviation (R's ``sd``).
- ``median(v)``: the middle value of the sorted values, the mean of the two middle
  ones for an even count.
- ``quantile(v, q)``: linear interpolation between closest ranks (R's default
  type 7, numpy's default): with ``h = (n - 1) * q``, ``x[floor(h)] + (h -
  floor(h)) * (x[floor(h) + 1] - x[floor(h)])`` over the sorted values; ``q``
  must be within ``[0, 1]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from medlang.lang.builtin_rules import (
    BuiltinFailure,
    BuiltinTypeError,
    _arity,
    _checked,
    _entry,
    _fixed,
    _numeric,
    _vector,
)
from medlang.lang.types import BOOL, FLOAT, AnyType, Type, compatible, join
from medlang.lang.values import INT_MIN

INF = math.inf
NAN = math.nan

# Constants usable as plain names (a variable of the same name shadows them).
CONSTANTS: dict[str, tuple[Type, float]] = {
    "PI": (FLOAT, math.pi),
    "E": (FLOAT, math.e),
    "INFINITY": (FLOAT, INF),
    "NAN": (FLOAT, NAN),
}


# ---- typing rules ---------------------------------------------------------------------
def _same_numeric(args: list[Type]) -> Type:
    count = len(args)
    for index in range(count):
        _numeric(args, index)
    result = args[0]
    every = "two" if count == 2 else "all"
    for index in range(1, count):
        if not compatible(result, args[index]):
            raise BuiltinTypeError(
                f"expects {every} Ints or {every} Floats, got {result} and {args[index]}",
                index,
                "convert with to_float or to_int",
            )
        result = join(result, args[index])
    return result


def _numeric_args(count: int) -> Callable[[list[Type]], Type]:
    def rule(args: list[Type]) -> Type:
        _arity(args, count)
        return _same_numeric(args)

    return rule


def _floats_to_float(args: list[Type]) -> Type:
    _arity(args, 1)
    element = _vector(args, 0)
    if not (element == FLOAT or isinstance(element, AnyType)):
        raise BuiltinTypeError(f"expects a Vector<Float>, got Vector<{element}>", 0)
    return FLOAT


def _quantile_rule(args: list[Type]) -> Type:
    _arity(args, 2)
    _floats_to_float(args[:1])
    if not compatible(FLOAT, args[1]):
        raise BuiltinTypeError(f"expects the quantile as a Float, got {args[1]}", 1)
    return FLOAT


# ---- Float -> Float, as Rust's f64 methods -------------------------------------------
def _exp(ctx, x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _logarithm(function: Callable[[float], float]) -> Callable:
    def run(ctx, x: float) -> float:
        if x == 0.0:
            return -INF
        if x < 0.0 or math.isnan(x):
            return NAN
        return function(x)

    return run


def _sqrt(ctx, x: float) -> float:
    return NAN if x < 0.0 else math.sqrt(x)  # sqrt(-0.0) is -0.0, as in Rust


def _periodic(function: Callable[[float], float]) -> Callable:
    def run(ctx, x: float) -> float:
        return NAN if math.isinf(x) else function(x)

    return run


def _integral(function: Callable[[float], int]) -> Callable:
    def run(ctx, x: float) -> float:
        if math.isnan(x) or math.isinf(x):
            return x
        # math.floor/ceil/trunc return ints, which lose the sign of a zero:
        # floor(-0.0) and ceil(-0.5) are -0.0 in Rust. A nonzero result has x's sign.
        return math.copysign(float(function(x)), x)

    return run


def round_half_away(x: float) -> int:
    """``f64::round`` on a finite float, as an exact integer: halves away from zero.

    ``floor(|x| + 0.5)`` is wrong twice: 0.49999999999999994 + 0.5 rounds up to
    1.0, and above 2**52 the addition itself rounds. ``|x| - floor(|x|)`` is exact.
    """
    magnitude = abs(x)
    whole = math.floor(magnitude)
    return whole + 1 if magnitude - whole >= 0.5 else whole


def _signum(ctx, x):
    if isinstance(x, int):
        return (x > 0) - (x < 0)
    return x if math.isnan(x) else math.copysign(1.0, x)  # signum(-0.0) is -1.0


def _abs(ctx, x):
    if type(x) is int and x == INT_MIN:
        raise BuiltinFailure("integer overflow")
    return abs(x)


def float_min(a: float, b: float) -> float:
    """``f64::min``: a NaN argument is ignored; for -0.0 and 0.0 (which Rust leaves
    unspecified) the first argument is returned."""
    if a != a:
        return b
    if b != b:
        return a
    return b if b < a else a


def float_max(a: float, b: float) -> float:
    if a != a:
        return b
    if b != b:
        return a
    return b if b > a else a


def _min(ctx, a, b):
    return float_min(a, b) if isinstance(a, float) else min(a, b)


def _max(ctx, a, b):
    return float_max(a, b) if isinstance(a, float) else max(a, b)


def _clamp(ctx, x, lo, hi):
    # Rust's clamp panics when lo > hi or a bound is NaN; NaN itself stays NaN.
    if not lo <= hi:
        from medlang.lang.builtins import show

        raise BuiltinFailure(f"bounds out of order or NaN (lo = {show(lo)}, hi = {show(hi)})")
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def float_pow(base: float, exponent: float) -> float:
    """``f64::powf`` (C's ``pow``): IEEE results where Python's math.pow raises."""
    odd_integer = math.isfinite(exponent) and exponent % 2.0 == 1.0
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return -INF if base < 0.0 and odd_integer else INF
    except ValueError:
        if base == 0.0:  # 0 to a negative power: a pole
            return math.copysign(INF, base) if odd_integer else INF
        return NAN  # a negative base to a non-integer power


def int_pow(base: int, exponent: int) -> int:
    if exponent < 0:
        raise BuiltinFailure("pow of an Int to a negative power (use Floats)")
    if base in (0, 1):
        return base if exponent else 1
    if base == -1:
        return -1 if exponent % 2 else 1
    if exponent >= 64:  # |base| >= 2: never an Int; don't build the huge number
        raise BuiltinFailure("integer overflow")
    return _checked(base**exponent)


def _pow(ctx, base, exponent):
    if isinstance(base, int):
        return int_pow(base, exponent)
    return float_pow(base, exponent)


# ---- statistics ------------------------------------------------------------------------
def float_sum(values) -> float:
    """The exactly rounded sum; where an infinity is involved (``inf + -inf``, or an
    overflow), math.fsum raises, and the IEEE left-to-right sum is the answer."""
    values = list(values)
    try:
        return math.fsum(values)
    except (ValueError, OverflowError):
        total = 0.0
        for x in values:
            total += x
        return total


def _mean(ctx, values: tuple[float, ...]) -> float:
    return float_sum(values) / len(values) if values else NAN


def _var(ctx, values: tuple[float, ...]) -> float:
    if len(values) < 2:
        return NAN
    centre = float_sum(values) / len(values)
    return float_sum((x - centre) * (x - centre) for x in values) / (len(values) - 1)


def _sorted_or_none(values: tuple[float, ...]) -> list[float] | None:
    if not values or any(x != x for x in values):
        return None
    return sorted(values)


def _median(ctx, values: tuple[float, ...]) -> float:
    ordered = _sorted_or_none(values)
    if ordered is None:
        return NAN
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def _quantile(ctx, values: tuple[float, ...], q: float) -> float:
    if not 0.0 <= q <= 1.0:
        from medlang.lang.builtins import show

        raise BuiltinFailure(f"quantile must be between 0.0 and 1.0, got {show(q)}")
    ordered = _sorted_or_none(values)
    if ordered is None:
        return NAN
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    if below + 1 >= len(ordered):
        return ordered[-1]
    return ordered[below] + (position - below) * (ordered[below + 1] - ordered[below])


FLOAT_TO_FLOAT = _fixed((FLOAT,), FLOAT)

ENTRIES = dict(
    [
        _entry("abs", _numeric_args(1), _abs),
        _entry("signum", _numeric_args(1), _signum),
        _entry("min", _numeric_args(2), _min),
        _entry("max", _numeric_args(2), _max),
        _entry("clamp", _numeric_args(3), _clamp),
        _entry("pow", _numeric_args(2), _pow),
        _entry("exp", FLOAT_TO_FLOAT, _exp),
        _entry("ln", FLOAT_TO_FLOAT, _logarithm(math.log)),
        _entry("log10", FLOAT_TO_FLOAT, _logarithm(math.log10)),
        _entry("log2", FLOAT_TO_FLOAT, _logarithm(math.log2)),
        _entry("sqrt", FLOAT_TO_FLOAT, _sqrt),
        _entry("cbrt", FLOAT_TO_FLOAT, lambda ctx, x: math.cbrt(x)),
        _entry("sin", FLOAT_TO_FLOAT, _periodic(math.sin)),
        _entry("cos", FLOAT_TO_FLOAT, _periodic(math.cos)),
        _entry("tan", FLOAT_TO_FLOAT, _periodic(math.tan)),
        _entry("atan2", _fixed((FLOAT, FLOAT), FLOAT), lambda ctx, y, x: math.atan2(y, x)),
        _entry("hypot", _fixed((FLOAT, FLOAT), FLOAT), lambda ctx, x, y: math.hypot(x, y)),
        _entry("floor", FLOAT_TO_FLOAT, _integral(math.floor)),
        _entry("ceil", FLOAT_TO_FLOAT, _integral(math.ceil)),
        _entry("round", FLOAT_TO_FLOAT, _integral(round_half_away)),
        _entry("trunc", FLOAT_TO_FLOAT, _integral(math.trunc)),
        _entry("is_nan", _fixed((FLOAT,), BOOL), lambda ctx, x: x != x),
        _entry("is_finite", _fixed((FLOAT,), BOOL), lambda ctx, x: math.isfinite(x)),
        _entry("mean", _floats_to_float, _mean),
        _entry("median", _floats_to_float, _median),
        _entry("quantile", _quantile_rule, _quantile),
        _entry("var", _floats_to_float, _var),
        _entry("std", _floats_to_float, lambda ctx, v: math.sqrt(_var(ctx, v))),
    ]
)
