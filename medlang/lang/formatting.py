"""Format strings as Rust's ``format!`` writes them: ``{}`` and ``{:spec}`` with
``[[fill]align][sign][0][width][.precision][type]``.

One parser serves the checker (which validates every placeholder's spec against
its argument's type at compile time, pointing into the string literal) and the
runtime (which renders). Rendering follows the Rust standard library:

- ``{:.N}`` on a Float: N decimals of the exact binary value, ties to even
  (``format!("{:.1}", 0.25)`` is ``0.2``); on a String: at most N characters; on
  an Int it has no effect (Rust ignores it; the checker warns).
- ``{:e}`` / ``{:E}``: the shortest digits that read back as the same Float,
  ``1.2345e3``, ``1e-7``, ``0e0``; ``{:.2e}``: that many decimals, ties to even.
- Width counts characters; numbers align right, everything else left; ``^``
  puts the odd padding character on the right. ``0`` pads numbers with zeros
  after the sign and ignores fill and alignment (``{:08.2}`` of -1.5 is
  ``-0001.50``; of infinity, ``00000inf``). ``+`` writes a sign on non-negative
  numbers; NaN never has a sign.
- Without a spec, values show as ``{}`` shows them (``show``).

Not supported (the checker says so): positional and named arguments (``{0}``,
``{name}``), ``{:?}``, ``#``, ``x``/``o``/``b``, and ``{:e}`` on an Int (convert
with ``to_float``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

MAX_WIDTH = 100_000  # width and precision; beyond, the output is never what was meant

_SPEC = re.compile(
    r"(?:(?P<fill>.)?(?P<align>[<^>]))?(?P<sign>[+-])?(?P<alt>#)?(?P<zero>0)?"
    r"(?P<width>\d+)?(?:\.(?P<precision>\d+))?(?P<kind>.*)",
    re.DOTALL,
)


class FormatError(Exception):
    """A malformed format string; ``offset`` is where in it the problem starts."""

    def __init__(self, message: str, offset: int, length: int = 1, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.length = length
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Spec:
    fill: str = " "
    align: str | None = None  # "<" "^" ">" or None for the type's default
    plus: bool = False
    zero: bool = False
    width: int | None = None
    precision: int | None = None
    exp: str | None = None  # "e" or "E"
    text: str = ""  # as written, for messages
    offset: int = 0  # of the `{` in the format string
    length: int = 2  # of the whole placeholder

    @property
    def plain(self) -> bool:
        return not self.text


PLAIN = Spec()


@lru_cache(maxsize=512)
def parse_format(fmt: str) -> tuple[tuple[str | Spec, ...], ...] | tuple:
    """Literal text and placeholders, in order. Raises FormatError."""
    pieces: list[str | Spec] = []
    text: list[str] = []
    i = 0
    n = len(fmt)
    while i < n:
        char = fmt[i]
        if char == "{" and fmt.startswith("{{", i):
            text.append("{")
            i += 2
        elif char == "}" and fmt.startswith("}}", i):
            text.append("}")
            i += 2
        elif char == "}":
            raise FormatError(
                "unmatched '}' in format string", i, 1, "write '}}' for a literal '}'"
            )
        elif char == "{":
            end = fmt.find("}", i)
            if end < 0:
                raise FormatError(
                    "unmatched '{' in format string", i, 1, "write '{{' for a literal '{'"
                )
            if text:
                pieces.append("".join(text))
                text = []
            pieces.append(_parse_spec(fmt[i + 1 : end], i, end + 1 - i))
            i = end + 1
        else:
            text.append(char)
            i += 1
    if text:
        pieces.append("".join(text))
    return tuple(pieces)


def _parse_spec(inner: str, offset: int, length: int) -> Spec:
    if inner == "":
        return Spec(offset=offset, length=length)
    if not inner.startswith(":"):
        if "{" in inner:
            raise FormatError(
                "unmatched '{' in format string", offset, 1, "write '{{' for a literal '{'"
            )
        raise FormatError(
            f"'{{{inner}}}': positional and named arguments are not supported",
            offset,
            length,
            "write {} (or {:spec}) and pass the arguments in order",
        )
    match = _SPEC.fullmatch(inner[1:])
    assert match is not None  # every part is optional and `kind` takes the rest
    parts = match.groupdict()
    kind = parts["kind"]
    if parts["alt"] or kind not in ("", "e", "E"):
        shown = "#" if parts["alt"] and kind in ("", "e", "E") else kind or "#"
        what = "debug formatting" if "?" in shown else f"'{shown}'"
        raise FormatError(
            f"unsupported format spec '{{{inner}}}': {what} is not supported",
            offset,
            length,
            "supported: [[fill]align][+][0][width][.precision][e|E], e.g. {:>8.3} {:08.2} {:.2e}",
        )
    width = int(parts["width"]) if parts["width"] else None
    precision = int(parts["precision"]) if parts["precision"] is not None else None
    for value in (width, precision):
        if value is not None and value > MAX_WIDTH:
            raise FormatError(
                f"width or precision {value} in '{{{inner}}}' is too large (at most {MAX_WIDTH:,})",
                offset,
                length,
            )
    return Spec(
        fill=parts["fill"] or " ",
        align=parts["align"],
        plus=parts["sign"] == "+",
        zero=bool(parts["zero"]),
        width=width,
        precision=precision,
        exp=kind or None,
        text="{" + inner + "}",
        offset=offset,
        length=length,
    )


def placeholders(pieces) -> list[Spec]:
    return [piece for piece in pieces if isinstance(piece, Spec)]


# ---- what each spec accepts (the checker's rules) ----------------------------------------
def spec_problem(spec: Spec, type_name: str) -> tuple[str, str, str | None] | None:
    """``(severity, message, hint)`` if ``spec`` does not suit an argument of the
    given type ("Int", "Float", "String", ... or "_" for unknown), else None."""
    if spec.plain or type_name == "_":
        return None
    numeric = type_name in ("Int", "Float")
    if spec.exp and type_name != "Float":
        hint = "convert it with to_float(x)" if type_name == "Int" else None
        return "error", f"{spec.text} formats a Float, but the argument is {type_name}", hint
    for flag, used in (("+", spec.plus), ("0", spec.zero)):
        if used and not numeric:
            return (
                "error",
                f"the '{flag}' in {spec.text} applies to numbers, but the argument is {type_name}",
                None,
            )
    if spec.precision is not None:
        if type_name == "Int":
            return (
                "warning",
                f"the precision in {spec.text} has no effect on an Int (as in Rust)",
                "convert it with to_float(x) to show decimals",
            )
        if type_name not in ("Float", "String"):
            return (
                "error",
                f"{spec.text}: a precision applies to a Float or a String, not {type_name}",
                None,
            )
    return None


# ---- rendering ----------------------------------------------------------------------------
def render(fmt: str, args: tuple, show) -> str:
    """``fmt`` with ``args``; ``show`` writes a value as ``{}`` does. Raises
    FormatError (malformed) or ValueError (an argument the spec cannot take)."""
    pieces = parse_format(fmt)
    specs = placeholders(pieces)
    if len(specs) != len(args):
        raise ValueError(
            f"format string has {len(specs)} placeholder(s) but {len(args)} argument(s) were given"
        )
    out: list[str] = []
    values = iter(args)
    for piece in pieces:
        if type(piece) is str:
            out.append(piece)
        elif piece.plain:
            out.append(show(next(values)))
        else:
            out.append(format_value(piece, next(values), show))
    return "".join(out)


def format_value(spec: Spec, value: Any, show) -> str:
    kind = type(value)
    if kind is float:
        sign, body = _float_parts(spec, value, show)
        return _pad_number(spec, sign, body)
    if kind is int:
        if spec.exp:
            raise ValueError(f"{spec.text} formats a Float, not an Int (use to_float)")
        sign = "-" if value < 0 else "+" if spec.plus else ""
        return _pad_number(spec, sign, show(abs(value)))
    if spec.plus or spec.zero or spec.exp:
        raise ValueError(f"{spec.text} formats numbers, not {show(value, False)}")
    text = show(value)
    if spec.precision is not None:
        if kind is not str:
            raise ValueError(f"{spec.text}: a precision applies to a Float or a String")
        text = text[: spec.precision]
    return _pad(text, spec.width, spec.fill, spec.align or "<")


def _float_parts(spec: Spec, x: float, show) -> tuple[str, str]:
    if math.isnan(x):
        return "", "NaN"
    negative = math.copysign(1.0, x) < 0
    sign = "-" if negative else "+" if spec.plus else ""
    x = abs(x)
    if math.isinf(x):
        return sign, "inf"
    if spec.exp:
        return sign, _exponent(x, spec.precision, spec.exp)
    if spec.precision is not None:
        return sign, f"{x:.{spec.precision}f}"  # exact value, ties to even: as Rust
    return sign, show(x)


def _exponent(x: float, precision: int | None, letter: str) -> str:
    if precision is None:  # the shortest digits that read back as x
        if x == 0.0:
            return f"0{letter}0"
        digits, exponent = _shortest_digits(x)
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{mantissa}{letter}{exponent}"
    text = f"{x:.{precision}e}"  # correctly rounded, ties to even
    mantissa, _, exponent = text.partition("e")
    return f"{mantissa}{letter}{int(exponent)}"


def _shortest_digits(x: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of x > 0, without trailing zeros, and
    the decimal exponent of the first digit."""
    _, digits, exponent = Decimal(repr(x)).as_tuple()  # no leading zeros for x > 0
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    return text.rstrip("0"), exponent + len(text) - 1


def _pad_number(spec: Spec, sign: str, body: str) -> str:
    width = spec.width
    if spec.zero and width is not None:
        # sign first, then zeros: fill and alignment do not apply (Rust's sign-aware zero pad)
        return sign + body.rjust(width - len(sign), "0")
    return _pad(sign + body, width, spec.fill, spec.align or ">")


def _pad(text: str, width: int | None, fill: str, align: str) -> str:
    if width is None or len(text) >= width:
        return text
    padding = width - len(text)
    if align == "<":
        return text + fill * padding
    if align == ">":
        return fill * padding + text
    left = padding // 2
    return fill * left + text + fill * (padding - left)
