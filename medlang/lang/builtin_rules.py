"""What every builtin module shares: the ``Builtin`` entry, its two error kinds, and
small helpers for writing typing rules.

A typing rule takes the argument types and returns the result type or raises
``BuiltinTypeError`` (naming the offending argument); a function takes the
runtime context and the argument values and raises ``BuiltinFailure``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from medlang.lang.types import (
    ANY,
    AnyType,
    OptionType,
    Type,
    VectorType,
    compatible,
    is_numeric,
)
from medlang.lang.values import INT_MAX, INT_MIN


class BuiltinTypeError(Exception):
    def __init__(self, message: str, arg: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.arg = arg  # index of the offending argument, None for the whole call
        self.hint = hint


class BuiltinFailure(Exception):
    """A runtime error inside a builtin; the interpreter adds the call site."""


def _checked(value: int) -> int:
    if not INT_MIN <= value <= INT_MAX:
        raise BuiltinFailure("integer overflow")
    return value


TypingRule = Callable[[list[Type]], Type]


@dataclass(frozen=True)
class Signature:
    """A builtin typed like a (generic) MedLang function, e.g.
    ``map<T, U>(v: Vector<T>, f: fn(T) -> U) -> Vector<U>``: the checker infers the
    type variables at the call site, and closures learn their parameter types.
    ``constraint`` gets the bound variables (by name) and returns ``(argument
    index, message)`` when a binding is not allowed (a sort key must be ordered)."""

    params: tuple[tuple[str, Type], ...]
    result: Type
    constraint: Callable[[dict[str, Type]], tuple[int, str] | None] | None = None


@dataclass(frozen=True)
class Builtin:
    name: str
    rule: TypingRule | None  # None when ``signature`` types the call
    function: Callable[..., Any]  # (ctx, *values) -> value
    formats: bool = False  # first argument is a `{}` format string
    signature: Signature | None = None


# ---- typing-rule helpers ----------------------------------------------------------
def _arity(args: list[Type], *counts: int) -> None:
    if len(args) not in counts:
        wanted = " or ".join(str(c) for c in counts)
        plural = "" if counts == (1,) else "s"
        raise BuiltinTypeError(f"expects {wanted} argument{plural}, got {len(args)}")


def _want(args: list[Type], index: int, expected: Type) -> None:
    if not compatible(expected, args[index]):
        raise BuiltinTypeError(f"expects {expected}, got {args[index]}", index)


def _fixed(params: tuple[Type, ...], result: Type) -> TypingRule:
    def rule(args: list[Type]) -> Type:
        _arity(args, len(params))
        for index, param in enumerate(params):
            _want(args, index, param)
        return result

    return rule


def _vector(args: list[Type], index: int) -> Type:
    t = args[index]
    if isinstance(t, AnyType):
        return ANY
    if not isinstance(t, VectorType):
        raise BuiltinTypeError(f"expects a Vector, got {t}", index)
    return t.element


def _option(args: list[Type], index: int) -> Type:
    t = args[index]
    if isinstance(t, AnyType):
        return ANY
    if not isinstance(t, OptionType):
        raise BuiltinTypeError(f"expects an Option, got {t}", index)
    return t.inner


def _numeric(args: list[Type], index: int) -> Type:
    t = args[index]
    if not (is_numeric(t) or isinstance(t, AnyType)):
        raise BuiltinTypeError(f"expects Int or Float, got {t}", index)
    return t


def _entry(name, rule, function, formats=False) -> tuple[str, Builtin]:
    return name, Builtin(name, rule, function, formats)
