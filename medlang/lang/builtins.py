"""Builtin functions: ONE table, ``BUILTINS``, name -> (typing rule, Python function).

Available everywhere without an import (a module's own function or an imported
one of the same name takes precedence). Every builtin is documented, with its
signature and a tested example, in ``docs/language.md``. This module holds the
core ones (output and ``{}`` formatting, conversions, vectors, options, maps,
basic strings) and display; each topic has a module of its own, merged into the
table at the bottom:

builtins_seq     functions over vectors taking closures, tuples and map helpers
builtins_maths   maths and statistics with Rust's f64/i64 semantics; constants
builtins_text    string functions beyond the core ones
builtins_time    the Timestamp type
builtins_json    the Json type
builtins_files   write_file / write_csv, confined to the current directory tree
builtins_random  rand_seeded: a seeded, platform-independent generator
formatting       Rust's format! specs ({:.3} {:>8} {:08.2} {:+} {:e}) for println/format

Typing rules take the argument types and return the result type or raise
``BuiltinTypeError``; functions take the runtime context and the argument values
and raise ``BuiltinFailure`` for runtime errors (``builtin_rules``). Only the
file writers touch the file system; no builtin starts processes or uses the
network.

Int is a 64-bit signed integer as in Rust (``INT_MIN``..``INT_MAX``): an Int result
outside that range (abs, pow, sum, to_int) raises the failure "integer overflow",
like Rust's debug-build panic.
"""

from __future__ import annotations

import math
from decimal import Decimal
from itertools import accumulate
from typing import Any

from medlang.lang import builtins_files as files
from medlang.lang import builtins_json as json
from medlang.lang import builtins_maths as maths
from medlang.lang import builtins_random as random
from medlang.lang import builtins_text as text
from medlang.lang import builtins_time as times
from medlang.lang.builtin_rules import (
    Builtin,
    BuiltinFailure,
    BuiltinTypeError,
    TypingRule,
    _arity,
    _entry,
    _fixed,
    _numeric,
    _option,
    _vector,
    _want,
)
from medlang.lang.builtins_seq import SEQUENCE_BUILTINS
from medlang.lang.types import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    JSON,
    STRING,
    UNIT,
    AnyType,
    MapType,
    OptionType,
    Type,
    VectorType,
    compatible,
    is_numeric,
    is_ordered,
    join,
)
from medlang.lang.values import (
    INT_MAX,
    INT_MIN,
    NONE,
    EnumValue,
    JsonValue,
    Record,
    Some,
    TupleValue,
)


# ---- display ------------------------------------------------------------------------
def show_int(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # Python refuses to write ints of more than 4300 digits
        digits = math.floor(math.log10(abs(value))) + 1
        raise BuiltinFailure(f"Int too large to display ({digits} digits)") from None


def show(value: Any, top: bool = True) -> str:
    """A value as println shows it; strings are quoted only inside containers."""
    if isinstance(value, str):
        return value if top else _quote(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return show_int(value)
    if isinstance(value, float):
        return show_float(value)
    if value is None:
        return "()"
    if value is NONE:
        return "None"
    if isinstance(value, Some):
        return f"Some({show(value.value, False)})"
    if isinstance(value, EnumValue):
        return value.variant
    if type(value) is TupleValue:
        return "(" + ", ".join(show(item, False) for item in value) + ")"
    if isinstance(value, tuple):
        return "[" + ", ".join(show(item, False) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_quote(k)}: {show(v, False)}" for k, v in value.items()) + "}"
    if isinstance(value, Record):
        if not value.fields:
            return "{ }"
        inner = "; ".join(f"{k} = {show(v, False)}" for k, v in value.fields.items())
        return "{ " + inner + " }"
    if callable(value):
        return "<closure>"
    return str(value)


def show_float(x: float) -> str:
    """``x`` as Rust's ``{}`` shows an f64, except that integral values keep ``.0``.

    Both Rust and Python's ``repr`` print the shortest digits that read back as
    ``x``; when two such digit strings are equally close to ``x``, Python picks the
    even one and Rust the one further from zero (``1125899906842624.25`` is
    ``...624.2`` in Python, ``...624.3`` in Rust). Rust never uses an exponent.
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    digits = Decimal(repr(x))
    exact = Decimal(x)
    step = Decimal((0, (1,), digits.as_tuple().exponent))  # one unit in the last digit
    if abs(exact - digits) * 2 == step and abs(exact) > abs(digits):
        digits = digits + step.copy_sign(digits)  # a tie: Rust rounds away from zero
    text = format(digits, "f")
    return text if "." in text else text + ".0"


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\t", "\\t") + '"'


def format_template(fmt: str, args: tuple) -> str:
    """``fmt`` with ``args`` as Rust's ``format!`` writes them (see formatting.py)."""
    from medlang.lang.formatting import FormatError, render

    try:
        return render(fmt, args, show)
    except FormatError as error:
        raise BuiltinFailure(error.message) from None
    except ValueError as error:
        raise BuiltinFailure(str(error)) from None


# ---- typing rules ------------------------------------------------------------------
def _format_rule(result: Type) -> TypingRule:
    def rule(args: list[Type]) -> Type:
        if not args:
            raise BuiltinTypeError("expects a format string as its first argument")
        _want(args, 0, STRING)
        return result

    return rule


def _len_rule(args: list[Type]) -> Type:
    _arity(args, 1)
    t = args[0]
    if not isinstance(t, VectorType | MapType | AnyType) and t != STRING:
        raise BuiltinTypeError(f"expects a Vector, String or Map, got {t}", 0)
    return INT


def _to_number(result: Type) -> TypingRule:
    def rule(args: list[Type]) -> Type:
        _arity(args, 1)
        _numeric(args, 0)
        return result

    return rule


def _push_rule(args: list[Type]) -> Type:
    _arity(args, 2)
    element = _vector(args, 0)
    if not compatible(element, args[1]):
        raise BuiltinTypeError(f"cannot push {args[1]} onto a Vector<{element}>", 1)
    return VectorType(join(element, args[1]))


def _concat_rule(args: list[Type]) -> Type:
    _arity(args, 2)
    a, b = _vector(args, 0), _vector(args, 1)
    if not compatible(a, b):
        raise BuiltinTypeError(f"cannot concatenate Vector<{a}> and Vector<{b}>", 1)
    return VectorType(join(a, b))


def _same_vector(args: list[Type]) -> Type:
    _arity(args, 1)
    return VectorType(_vector(args, 0))


def _sort_rule(args: list[Type]) -> Type:
    _arity(args, 1)
    element = _vector(args, 0)
    if not (is_ordered(element) or isinstance(element, AnyType)):
        raise BuiltinTypeError(
            f"can only sort Int, Float or String vectors, not Vector<{element}>", 0
        )
    return VectorType(element)


def _sum_rule(args: list[Type]) -> Type:
    _arity(args, 1)
    element = _vector(args, 0)
    if not (is_numeric(element) or isinstance(element, AnyType)):
        raise BuiltinTypeError(f"can only sum Int or Float vectors, not Vector<{element}>", 0)
    return INT if isinstance(element, AnyType) else element


def _option_test(args: list[Type]) -> Type:
    _arity(args, 1)
    _option(args, 0)
    return BOOL


def _unwrap_rule(args: list[Type]) -> Type:
    _arity(args, 1)
    return _option(args, 0)


def _unwrap_or_rule(args: list[Type]) -> Type:
    _arity(args, 2)
    inner = _option(args, 0)
    if not compatible(inner, args[1]):
        raise BuiltinTypeError(f"default must be {inner}, got {args[1]}", 1)
    return join(inner, args[1])


def _get_rule(args: list[Type]) -> Type:
    _arity(args, 2)
    container = args[0]
    if isinstance(container, MapType):
        _want(args, 1, STRING)
        return OptionType(container.value)
    if isinstance(container, VectorType):
        _want(args, 1, INT)
        return OptionType(container.element)
    if isinstance(container, AnyType):
        return OptionType(ANY)
    raise BuiltinTypeError(f"expects a Map or a Vector, got {container}", 0)


def _map(args: list[Type], index: int) -> Type:
    t = args[index]
    if isinstance(t, AnyType):
        return ANY
    if not isinstance(t, MapType):
        raise BuiltinTypeError(f"expects a Map<String, _>, got {t}", index)
    return t.value


def _keys_rule(args: list[Type]) -> Type:
    _arity(args, 1)
    if args[0] != JSON:  # a Json object's keys, or none
        _map(args, 0)
    return VectorType(STRING)


def _keys(ctx, mapping) -> tuple[str, ...]:
    if isinstance(mapping, JsonValue):
        return json.json_keys(mapping)
    return tuple(sorted(mapping))


def _contains_key_rule(args: list[Type]) -> Type:
    _arity(args, 2)
    _map(args, 0)
    _want(args, 1, STRING)
    return BOOL


def _insert_rule(args: list[Type]) -> Type:
    _arity(args, 3)
    value = _map(args, 0)
    _want(args, 1, STRING)
    if not compatible(value, args[2]):
        raise BuiltinTypeError(f"cannot insert {args[2]} into a Map<String, {value}>", 2)
    return MapType(join(value, args[2]))


def _contains_rule(args: list[Type]) -> Type:
    _arity(args, 2)
    if args[0] == STRING:
        _want(args, 1, STRING)
        return BOOL
    element = _vector(args, 0)
    if not compatible(element, args[1]):
        raise BuiltinTypeError(f"cannot look for {args[1]} in a Vector<{element}>", 1)
    return BOOL


# ---- runtime functions ---------------------------------------------------------------
def _println(ctx, fmt, *args):
    ctx.stdout.write(format_template(fmt, args) + "\n")


def _print(ctx, fmt, *args):
    ctx.stdout.write(format_template(fmt, args))


def _to_int(ctx, x):
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            raise BuiltinFailure(f"cannot convert {show_float(x)} to Int")
        if not -(2.0**63) <= x < 2.0**63:  # float(INT_MAX) rounds up to 2**63
            raise BuiltinFailure(f"integer overflow converting {show_float(x)} to Int")
        return int(x)  # truncates toward zero
    return x


def _range(ctx, start, end):
    if end - start > 10_000_000:
        raise BuiltinFailure(f"range({start}, {end}) is too large (limit 10,000,000 elements)")
    return tuple(range(start, end))


def _unwrap(ctx, option):
    if option is NONE:
        raise BuiltinFailure("unwrap() called on None")
    return option.value


def _get(ctx, container, key):
    if isinstance(container, tuple):
        return Some(container[key]) if 0 <= key < len(container) else NONE
    return Some(container[key]) if key in container else NONE


def _insert(ctx, mapping, key, value):
    updated = dict(mapping)
    updated[key] = value
    return updated


def _width(width: int) -> int:
    if width > 10_000_000:
        raise BuiltinFailure(f"width {width} is too large (limit 10,000,000)")
    return width


def _parse_float(ctx, text):
    if "_" in text or not text.isascii():  # Python's float() reads "1_0" and "١٢"
        return NONE
    try:
        return Some(float(text.strip()))
    except ValueError:
        return NONE


def _parse_int(ctx, text):
    if "_" in text or not text.isascii():
        return NONE
    try:
        value = int(text.strip())
    except ValueError:
        return NONE
    return Some(value) if INT_MIN <= value <= INT_MAX else NONE  # Rust's parse::<i64>


def _substring(ctx, text, start, end):
    if not 0 <= start <= end <= len(text):
        raise BuiltinFailure(
            f"substring({start}, {end}) out of range for a string of length {len(text)}"
        )
    return text[start:end]


def _format_float(ctx, x, digits):
    if digits < 0 or digits > 50:
        raise BuiltinFailure(f"format_float digits must be between 0 and 50, got {digits}")
    if math.isnan(x) or math.isinf(x):
        return show_float(x)
    return f"{x:.{digits}f}"


def _contains(ctx, container, item):
    if isinstance(container, str):
        return item in container
    from medlang.lang.interpret import values_equal

    return any(values_equal(element, item) for element in container)


def _sum(ctx, values):
    if values and isinstance(values[0], float):
        return maths.float_sum(values)
    if not values:
        return 0
    # As in Rust, the sum overflows if any partial sum leaves i64, even if it comes back.
    partials = list(accumulate(values))
    if min(partials) < INT_MIN or max(partials) > INT_MAX:
        raise BuiltinFailure("integer overflow")
    return partials[-1]


def _split(ctx, text, sep):
    if sep == "":
        raise BuiltinFailure("split separator must not be empty")
    return tuple(text.split(sep))


_CORE = dict(
    [
        _entry("println", _format_rule(UNIT), _println, formats=True),
        _entry("print", _format_rule(UNIT), _print, formats=True),
        _entry(
            "format", _format_rule(STRING), lambda ctx, f, *a: format_template(f, a), formats=True
        ),
        _entry("len", _len_rule, lambda ctx, x: len(x)),
        _entry("to_string", lambda a: (_arity(a, 1), STRING)[1], lambda ctx, x: show(x)),
        _entry("to_float", _to_number(FLOAT), lambda ctx, x: float(x)),
        _entry("to_int", _to_number(INT), _to_int),
        _entry("parse_float", _fixed((STRING,), OptionType(FLOAT)), _parse_float),
        _entry("parse_int", _fixed((STRING,), OptionType(INT)), _parse_int),
        _entry("push", _push_rule, lambda ctx, v, x: (*v, x)),
        _entry("concat", _concat_rule, lambda ctx, v, w: v + w),
        _entry("range", _fixed((INT, INT), VectorType(INT)), _range),
        _entry("reverse", _same_vector, lambda ctx, v: v[::-1]),
        _entry("sort", _sort_rule, lambda ctx, v: tuple(sorted(v))),
        _entry("sum", _sum_rule, _sum),
        _entry("is_some", _option_test, lambda ctx, o: o is not NONE),
        _entry("is_none", _option_test, lambda ctx, o: o is NONE),
        _entry("unwrap", _unwrap_rule, _unwrap),
        _entry("unwrap_or", _unwrap_or_rule, lambda ctx, o, d: d if o is NONE else o.value),
        _entry("get", _get_rule, _get),
        _entry("keys", _keys_rule, _keys),
        _entry("contains_key", _contains_key_rule, lambda ctx, m, k: k in m),
        _entry("insert", _insert_rule, _insert),
        _entry("empty_map", lambda a: (_arity(a, 0), MapType(ANY))[1], lambda ctx: {}),
        _entry("pad_left", _fixed((STRING, INT), STRING), lambda ctx, s, w: s.rjust(_width(w))),
        _entry("pad_right", _fixed((STRING, INT), STRING), lambda ctx, s, w: s.ljust(_width(w))),
        _entry("substring", _fixed((STRING, INT, INT), STRING), _substring),
        _entry("starts_with", _fixed((STRING, STRING), BOOL), lambda ctx, s, p: s.startswith(p)),
        _entry("ends_with", _fixed((STRING, STRING), BOOL), lambda ctx, s, p: s.endswith(p)),
        _entry("contains", _contains_rule, _contains),
        _entry(
            "join", _fixed((VectorType(STRING), STRING), STRING), lambda ctx, v, sep: sep.join(v)
        ),
        _entry("split", _fixed((STRING, STRING), VectorType(STRING)), _split),
        _entry("format_float", _fixed((FLOAT, INT), STRING), _format_float),
    ]
)

# The one table: every builtin by name, the core ones above and each topic's own.
BUILTINS: dict[str, Builtin] = {
    **_CORE,
    **SEQUENCE_BUILTINS,
    **maths.ENTRIES,
    **text.ENTRIES,
    **times.ENTRIES,
    **files.ENTRIES,
    **random.ENTRIES,
    **json.ENTRIES,
}
CONSTANTS = maths.CONSTANTS
