"""Builtins over vectors that take a function, and tuples/maps helpers.

Each is typed by a generic ``Signature`` (checked like a MedLang generic function,
so a closure argument learns its parameter types from the vector) and runs on
Python values; closures arrive as Python callables.

Semantics follow Rust's iterators where they differ from Python's:
``min_by`` returns the first of several minimal elements and ``max_by`` the last
of several maximal ones (``Iterator::min_by_key``/``max_by_key``); ``sort_by``
and ``sort_by_desc`` are stable; ``sum_by`` adds left to right (Float) or checks
overflow (Int); ``zip`` stops at the shorter vector.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from medlang.lang.builtin_rules import Builtin, BuiltinFailure, Signature
from medlang.lang.types import (
    ANY,
    BOOL,
    INT,
    STRING,
    AnyType,
    FnType,
    MapType,
    OptionType,
    TupleType,
    Type,
    TypeVar,
    VectorType,
    is_numeric,
    is_ordered,
)
from medlang.lang.values import INT_MAX, INT_MIN, NONE, Some, TupleValue

T, U, K, A, B, V = (TypeVar(n, "builtin") for n in ("T", "U", "K", "A", "B", "V"))


def _ordered_key(index: int) -> Callable[[dict[str, Type]], tuple[int, str] | None]:
    def constraint(bound: dict[str, Type]) -> tuple[int, str] | None:
        key = bound.get("K", ANY)
        if is_ordered(key) or isinstance(key, AnyType):
            return None
        return index, f"needs a key of type Int, Float or String, but the closure gives {key}"

    return constraint


def _numeric_key(bound: dict[str, Type]) -> tuple[int, str] | None:
    key = bound.get("K", ANY)
    if is_numeric(key) or isinstance(key, AnyType):
        return None
    return 1, f"adds up Int or Float values, but the closure gives {key}"


# ---- runtime ------------------------------------------------------------------------
def _keys(f, v) -> list:
    keys = [f(x) for x in v]
    for key in keys:
        if type(key) is float and math.isnan(key):
            raise BuiltinFailure("a key is NaN, which has no place in an order")
    return keys


def _sort_by(ctx, v, f, descending: bool = False):
    keys = _keys(f, v)
    order = sorted(range(len(v)), key=keys.__getitem__, reverse=descending)
    return tuple(v[i] for i in order)


def _min_by(ctx, v, f):
    best = best_key = None
    for x, key in zip(v, _keys(f, v), strict=True):
        if best is None or key < best_key:  # the first minimum wins
            best, best_key = Some(x), key
    return best if best is not None else NONE


def _max_by(ctx, v, f):
    best = best_key = None
    for x, key in zip(v, _keys(f, v), strict=True):
        if best is None or key >= best_key:  # the last maximum wins, as in Rust
            best, best_key = Some(x), key
    return best if best is not None else NONE


def _sum_by(ctx, v, f):
    total = 0
    first = True
    for x in v:
        value = f(x)
        total = value if first else total + value
        first = False
        if type(total) is int and not INT_MIN <= total <= INT_MAX:
            raise BuiltinFailure("integer overflow")
    return total


def _find(ctx, v, f):
    for x in v:
        if f(x):
            return Some(x)
    return NONE


def _group_by(ctx, v, f):
    groups: dict[str, list] = {}
    for x in v:
        groups.setdefault(f(x), []).append(x)
    return {key: tuple(items) for key, items in groups.items()}


def _fold(ctx, v, init, f):
    acc = init
    for x in v:
        acc = f(acc, x)
    return acc


def _slice(ctx, v, start, end):
    if not 0 <= start <= end <= len(v):
        raise BuiltinFailure(f"slice({start}, {end}) out of range for a vector of length {len(v)}")
    return v[start:end]


def _get_or(ctx, mapping, key, default):
    return mapping.get(key, default)


def _entry(
    name: str,
    params: tuple[tuple[str, Type], ...],
    result: Type,
    function: Callable,
    constraint=None,
) -> tuple[str, Builtin]:
    return name, Builtin(name, None, function, signature=Signature(params, result, constraint))


_V = ("v", VectorType(T))
_PRED = ("f", FnType((T,), BOOL))
_KEY = ("key", FnType((T,), K))

SEQUENCE_BUILTINS: dict[str, Builtin] = dict(
    [
        _entry(
            "map",
            (_V, ("f", FnType((T,), U))),
            VectorType(U),
            lambda ctx, v, f: tuple(f(x) for x in v),
        ),
        _entry("filter", (_V, _PRED), VectorType(T), lambda ctx, v, f: tuple(x for x in v if f(x))),
        _entry("fold", (_V, ("init", A), ("f", FnType((A, T), A))), A, _fold),
        _entry("any", (_V, _PRED), BOOL, lambda ctx, v, f: any(f(x) for x in v)),
        _entry("all", (_V, _PRED), BOOL, lambda ctx, v, f: all(f(x) for x in v)),
        _entry("count_if", (_V, _PRED), INT, lambda ctx, v, f: sum(1 for x in v if f(x))),
        _entry("find", (_V, _PRED), OptionType(T), _find),
        _entry("sort_by", (_V, _KEY), VectorType(T), _sort_by, _ordered_key(1)),
        _entry(
            "sort_by_desc",
            (_V, _KEY),
            VectorType(T),
            lambda ctx, v, f: _sort_by(ctx, v, f, True),
            _ordered_key(1),
        ),
        _entry("min_by", (_V, _KEY), OptionType(T), _min_by, _ordered_key(1)),
        _entry("max_by", (_V, _KEY), OptionType(T), _max_by, _ordered_key(1)),
        _entry("sum_by", (_V, _KEY), K, _sum_by, _numeric_key),
        _entry(
            "group_by",
            (_V, ("key", FnType((T,), STRING))),
            MapType(VectorType(T)),
            _group_by,
        ),
        _entry(
            "enumerate",
            (_V,),
            VectorType(TupleType((INT, T))),
            lambda ctx, v: tuple(TupleValue(pair) for pair in enumerate(v)),
        ),
        _entry(
            "zip",
            (("a", VectorType(A)), ("b", VectorType(B))),
            VectorType(TupleType((A, B))),
            lambda ctx, a, b: tuple(TupleValue(pair) for pair in zip(a, b, strict=False)),
        ),
        _entry("slice", (_V, ("start", INT), ("end", INT)), VectorType(T), _slice),
        _entry(
            "map_of",
            (("pairs", VectorType(TupleType((STRING, V)))),),
            MapType(V),
            lambda ctx, pairs: dict(pairs),
        ),
        _entry(
            "entries",
            (("m", MapType(V)),),
            VectorType(TupleType((STRING, V))),
            lambda ctx, m: tuple(TupleValue(item) for item in sorted(m.items())),
        ),
        _entry("get_or", (("m", MapType(V)), ("key", STRING), ("default", V)), V, _get_or),
    ]
)
