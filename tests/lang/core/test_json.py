"""The Json type: parse_json, get_path, keys, as_*, display, and match on its variants
with payload patterns, checked for type and exhaustiveness."""

from __future__ import annotations

import pytest

from .conftest import Lang

DESCRIBE = """
fn describe(j: Json) -> String {
  match j {
    Json::Null => "null",
    Json::Bool(b) => "bool " + to_string(b),
    Json::Int(n) => "int " + to_string(n + 1),
    Json::Float(x) => "float " + to_string(x * 2.0),
    Json::Str(s) => "str " + s,
    Json::Array(items) => "array of " + to_string(len(items)),
    Json::Object(fields) => "object with " + join(keys(fields), ","),
  }
}
"""


def test_match_binds_each_variants_value(lang: Lang) -> None:
    out = lang.run(
        DESCRIBE
        + """
        fn main() {
          let text = "[null, true, 41, 1.25, \\"x\\", [1, 2], {\\"b\\": 1, \\"a\\": 2}]";
          let j = unwrap(parse_json(text));
          for item in unwrap(as_array(j)) {
            println("{}", describe(item));
          }
        }
        """
    )
    assert out.splitlines() == [
        "null",
        "bool true",
        "int 42",
        "float 2.5",
        "str x",
        "array of 2",
        "object with a,b",
    ]


@pytest.mark.parametrize(
    "expr, expected",
    [
        (
            'parse_json("{\\"b\\": [1, 2.0, null], \\"a\\": \\"é\\"}")',
            'Some({"a": "é", "b": [1, 2.0, null]})',
        ),
        ('parse_json("{")', "None"),
        ('parse_json("NaN")', "None"),
        ('parse_json("123456789012345678901234567890")', "Some(123456789012345680000000000000.0)"),
        ('get_path(unwrap(parse_json("{\\"a\\": {\\"b\\": [5, 6]}}")), "a.b.1")', "Some(6)"),
        ('get_path(unwrap(parse_json("{\\"a\\": 1}")), "a.b")', "None"),
        ('keys(unwrap(parse_json("{\\"z\\": 1, \\"a\\": 2}")))', '["a", "z"]'),
        ('keys(unwrap(parse_json("[1]")))', "[]"),
        ('as_float(unwrap(parse_json("3")))', "Some(3.0)"),
        ('as_int(unwrap(parse_json("3.5")))', "None"),
        ('as_str(unwrap(parse_json("\\"s\\"")))', 'Some("s")'),
        ('as_bool(unwrap(parse_json("false")))', "Some(false)"),
        ('unwrap(parse_json("[1]")) == unwrap(parse_json("[1]"))', "true"),
    ],
)  # fmt: skip
def test_json_builtins(lang: Lang, expr: str, expected: str) -> None:
    assert lang.run('fn main() {\n  println("{}", ' + expr + ");\n}") == expected + "\n"


def test_json_match_is_checked(lang: Lang) -> None:
    messages = [
        m
        for _, _, m in lang.messages(
            """
            fn f(j: Json, n: Int) -> Int {
              let a = match j {
                Json::Int(x) => x,
                Json::Float(x) => 1,
              };
              let b = match j {
                Json::Int => 1,
                Json::Null(x) => 2,
                Json::Text(s) => 3,
                Json::Str(1) => 4,
                _ => 5,
              };
              let c = match n {
                Json::Null => 1,
                _ => 2,
              };
              a + b + c
            }
            """
        )
    ]
    assert messages == [
        "non-exhaustive match on Json: Json::Null, Json::Bool, Json::Str, Json::Array, "
        "Json::Object not covered",
        "Json::Int holds a value of type Int",
        "Json::Null holds no value",
        "Json has no variant 'Text'",
        "pattern of type Int cannot match a value of type String",
        "pattern Json::Null cannot match a value of type Int",
    ]


def test_json_nested_beyond_what_medlang_holds_is_a_runtime_error(lang: Lang) -> None:
    error = lang.runtime_error(
        'fn main() {\n  let j = parse_json(repeat("[", 200000) + repeat("]", 200000));\n}'
    )
    assert error.message == "parse_json: JSON text is nested too deeply"
