"""The ``Json`` type: structured values such as run configs and metrics.

``Json`` is an enum whose variants carry a value, matched like Rust's
``serde_json::Value``::

    match j {
      Json::Null => ..., Json::Bool(b) => ..., Json::Int(n) => ...,
      Json::Float(x) => ..., Json::Str(s) => ..., Json::Array(items) => ...,
      Json::Object(fields) => ...,   // fields: Map<String, Json>
    }

A JSON number without a fraction or exponent that fits i64 is an ``Int``; any
other number is a ``Float``. Values come from ``parse_json(text)`` and from the
registry (``get_config_json``, ``get_metric_json``); ``to_string`` and ``{}``
show a Json value as compact JSON with sorted keys, Floats as MedLang shows them.

``get_path(j, "a.b.0")`` walks objects by key and arrays by index;
``keys(j)`` lists an object's keys, sorted (empty for anything else); the
``as_*`` functions give a variant's value as an Option.
"""

from __future__ import annotations

import json
import math

from medlang.lang.builtin_rules import BuiltinFailure, _entry, _fixed
from medlang.lang.types import BOOL, FLOAT, INT, JSON, STRING, MapType, OptionType, VectorType
from medlang.lang.values import INT_MAX, INT_MIN, NONE, JsonValue, Some

MAX_TEXT = 50_000_000  # characters; a bigger "config" is a mistake


def from_python(data: object) -> JsonValue:
    """A JsonValue for data as ``json.loads`` returns it (ints beyond i64 become Floats)."""
    if data is None:
        return JsonValue("Null")
    if isinstance(data, bool):
        return JsonValue("Bool", data)
    if isinstance(data, int):
        if INT_MIN <= data <= INT_MAX:
            return JsonValue("Int", data)
        return JsonValue("Float", float(data))
    if isinstance(data, float):
        return JsonValue("Float", data)
    if isinstance(data, str):
        return JsonValue("Str", data)
    if isinstance(data, list | tuple):
        return JsonValue("Array", tuple(from_python(item) for item in data))
    if isinstance(data, dict):
        return JsonValue("Object", {str(k): from_python(v) for k, v in data.items()})
    raise TypeError(f"not JSON data: {type(data).__name__}")


def json_text(value: JsonValue) -> str:
    from medlang.lang.builtins import show_float

    variant, inner = value.variant, value.value
    if variant == "Null":
        return "null"
    if variant == "Bool":
        return "true" if inner else "false"
    if variant == "Int":
        return str(inner)
    if variant == "Float":
        return show_float(inner) if math.isfinite(inner) else "null"  # JSON has no inf
    if variant == "Str":
        return _quoted(inner)
    if variant == "Array":
        return "[" + ", ".join(json_text(item) for item in inner) + "]"
    fields = sorted(inner.items())
    return "{" + ", ".join(f"{_quoted(k)}: {json_text(v)}" for k, v in fields) + "}"


def _quoted(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def _parse_json(ctx, text: str):
    if len(text) > MAX_TEXT:
        raise BuiltinFailure(f"JSON text of {len(text)} characters is too long")
    try:
        return Some(from_python(json.loads(text, parse_constant=_refuse_constant)))
    except ValueError:
        return NONE
    except RecursionError:  # valid JSON, but deeper than MedLang can hold
        raise BuiltinFailure("JSON text is nested too deeply") from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # Python's json reads NaN/Infinity; JSON doesn't


def get_path(value: JsonValue, path: str):
    for part in path.split(".") if path else ():
        if value.variant == "Object" and part in value.value:
            value = value.value[part]
        elif value.variant == "Array" and part.isdigit() and int(part) < len(value.value):
            value = value.value[int(part)]
        else:
            return NONE
    return Some(value)


def _get_path(ctx, value: JsonValue, path: str):
    return get_path(value, path)


def json_keys(value: JsonValue) -> tuple[str, ...]:
    return tuple(sorted(value.value)) if value.variant == "Object" else ()


def _as(variant: str, widen_int: bool = False):
    def run(ctx, value: JsonValue):
        if value.variant == variant:
            return Some(value.value)
        if widen_int and value.variant == "Int":
            return Some(float(value.value))
        return NONE

    return run


ENTRIES = dict(
    [
        _entry("parse_json", _fixed((STRING,), OptionType(JSON)), _parse_json),
        _entry("get_path", _fixed((JSON, STRING), OptionType(JSON)), _get_path),
        _entry("as_bool", _fixed((JSON,), OptionType(BOOL)), _as("Bool")),
        _entry("as_int", _fixed((JSON,), OptionType(INT)), _as("Int")),
        _entry("as_float", _fixed((JSON,), OptionType(FLOAT)), _as("Float", widen_int=True)),
        _entry("as_str", _fixed((JSON,), OptionType(STRING)), _as("Str")),
        _entry("as_array", _fixed((JSON,), OptionType(VectorType(JSON))), _as("Array")),
        _entry("as_object", _fixed((JSON,), OptionType(MapType(JSON))), _as("Object")),
    ]
)
