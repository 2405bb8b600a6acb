"""String builtins beyond the core ones (``len``, ``split``, ``join``, ``trim``,
``starts_with``, ``ends_with``, ``contains``, ``pad_left``/``pad_right``,
``substring``), with the semantics of Rust's ``str`` methods of the same names.

Strings are sequences of Unicode code points, as Rust's ``chars()``; ``trim``
removes exactly the characters Rust's ``char::is_whitespace`` accepts (Python's
``str.strip`` would also remove the ASCII separators U+001C..U+001F).
"""

from __future__ import annotations

from medlang.lang.builtin_rules import BuiltinFailure, _entry, _fixed
from medlang.lang.types import INT, STRING, OptionType, VectorType
from medlang.lang.values import NONE, Some

# Unicode White_Space, which is what Rust's char::is_whitespace tests.
RUST_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

MAX_LENGTH = 100_000_000  # a repeat beyond this is a mistake, not an analysis


def _repeat(ctx, text: str, times: int) -> str:
    if times < 0:
        raise BuiltinFailure(f"cannot repeat a string {times} times")
    if len(text) * times > MAX_LENGTH:
        raise BuiltinFailure(f"result of {len(text) * times} characters is too long")
    return text * times


def _strip_prefix(ctx, text: str, prefix: str):
    return Some(text[len(prefix) :]) if text.startswith(prefix) else NONE


def _strip_suffix(ctx, text: str, suffix: str):
    if not text.endswith(suffix):
        return NONE
    return Some(text[: len(text) - len(suffix)])


STRING_TO_STRING = _fixed((STRING,), STRING)

ENTRIES = dict(
    [
        _entry("trim", STRING_TO_STRING, lambda ctx, s: s.strip(RUST_WHITESPACE)),
        _entry("trim_start", STRING_TO_STRING, lambda ctx, s: s.lstrip(RUST_WHITESPACE)),
        _entry("trim_end", STRING_TO_STRING, lambda ctx, s: s.rstrip(RUST_WHITESPACE)),
        _entry("to_upper", STRING_TO_STRING, lambda ctx, s: s.upper()),
        _entry("to_lower", STRING_TO_STRING, lambda ctx, s: s.lower()),
        _entry(
            "replace",
            _fixed((STRING, STRING, STRING), STRING),
            lambda ctx, s, old, new: s.replace(old, new),
        ),
        _entry("repeat", _fixed((STRING, INT), STRING), _repeat),
        _entry("chars", _fixed((STRING,), VectorType(STRING)), lambda ctx, s: tuple(s)),
        _entry("strip_prefix", _fixed((STRING, STRING), OptionType(STRING)), _strip_prefix),
        _entry("strip_suffix", _fixed((STRING, STRING), OptionType(STRING)), _strip_suffix),
    ]
)
