"""String builtins (Rust's str semantics) and the Timestamp type."""

from __future__ import annotations

import pytest

from medlang.lang.builtins import BUILTINS

from .conftest import Lang


def shown(lang: Lang, expr: str) -> str:
    return lang.run('fn main() {\n  println("{}", ' + expr + ");\n}").rstrip("\n")


@pytest.mark.parametrize(
    "expr, expected",
    [
        ('replace("a-b-c", "-", "+")', "a+b+c"),
        ('replace("ab", "", "-")', "-a-b-"),
        ('strip_prefix("dose_12", "dose_")', 'Some("12")'),
        ('strip_prefix("arm_12", "dose_")', "None"),
        ('strip_suffix("model.json", ".json")', 'Some("model")'),
        ('strip_suffix("model", ".json")', "None"),
        ('to_upper("straße")', "STRASSE"),
        ('to_lower("ÄRM A")', "ärm a"),
        ('repeat("ab", 3)', "ababab"),
        ('repeat("ab", 0)', ""),
        ('chars("añb")', '["a", "ñ", "b"]'),
        ('trim("\\t x \\n")', "x"),
        ('trim_start("  x ")', "x "),
        ('trim_end("  x ")', "  x"),
        ('split("a,b,,c", ",")', '["a", "b", "", "c"]'),
        ('join(["a", "b"], "; ")', "a; b"),
        ('contains("oncology", "col")', "true"),
        ('starts_with("oncology", "onc")', "true"),
        ('ends_with("oncology", "gy")', "true"),
        ('parse_float("2.5e-3")', "Some(0.0025)"),
        ('parse_float("inf")', "Some(inf)"),
        ('parse_float("x")', "None"),
    ],
)
def test_string_builtins(lang: Lang, expr: str, expected: str) -> None:
    assert shown(lang, expr) == expected


def test_trim_removes_what_rust_calls_whitespace() -> None:
    trim = BUILTINS["trim"].function
    assert trim(None, "\x1cx\u3000") == "\x1cx"  # U+001C is not White_Space; U+3000 is


def test_repeat_refuses_a_negative_count(lang: Lang) -> None:
    error = lang.runtime_error('fn main() {\n  let s = repeat("a", -1);\n}')
    assert error.message == "repeat: cannot repeat a string -1 times"


@pytest.mark.parametrize(
    "expr, expected",
    [
        ('timestamp("2026-03-01T09:30:00Z")', "2026-03-01T09:30:00.000000Z"),
        ('timestamp("2026-03-01T10:30:00.123456789+01:00")', "2026-03-01T09:30:00.123456Z"),
        ('parse_timestamp("yesterday")', "None"),
        ('parse_timestamp("2026-03-01T09:30:00Z")', "Some(2026-03-01T09:30:00.000000Z)"),
        (
            'duration_s(timestamp("2026-03-01T09:30:00Z"), timestamp("2026-03-01T09:31:30.5Z"))',
            "90.5",
        ),
        ('date(timestamp("2026-03-01T23:59:59.999999Z"))', "2026-03-01"),
        ('timestamp("2026-03-01T09:30:00Z") < timestamp("2026-03-01T09:30:00.000001Z")', "true"),
        ('timestamp("2026-03-01T09:30:00Z") == timestamp("2026-03-01T10:30:00+01:00")', "true"),
        ('now() > timestamp("2020-01-01T00:00:00Z")', "true"),
    ],
)
def test_timestamps(lang: Lang, expr: str, expected: str) -> None:
    assert shown(lang, expr) == expected


def test_a_bad_timestamp_is_a_runtime_error_naming_the_text(lang: Lang) -> None:
    error = lang.runtime_error('fn main() {\n  let t = timestamp("2026-13-01");\n}')
    assert error.message.startswith("timestamp: '2026-13-01' is not an RFC 3339 timestamp")


def test_timestamp_is_a_type_that_sorts_and_is_checked(lang: Lang) -> None:
    out = lang.run(
        """
        fn earliest(ts: Vector<Timestamp>) -> Timestamp {
          sort(ts)[0]
        }
        fn main() {
          let a = timestamp("2026-03-02T00:00:00Z");
          let b = timestamp("2026-03-01T00:00:00Z");
          println("{}", earliest([a, b]));
        }
        """
    )
    assert out == "2026-03-01T00:00:00.000000Z\n"
    [(_, _, message)] = lang.messages('fn main() {\n  let x = duration_s("a", "b");\n}\n')
    assert message == "duration_s expects Timestamp, got String"


def test_programs_that_declare_the_new_type_names_keep_checking(lang: Lang) -> None:
    # Timestamp, Json and Rng became built-in types after programs were logged;
    # a program's own declaration of such a name wins, so old programs still run.
    out = lang.run(
        """
        type Timestamp = String;
        enum Json { A; B; }
        type Rng = { seed: Int };
        fn label(t: Timestamp, j: Json, r: Rng) -> String {
          match j { Json::A => t + to_string(r.seed), Json::B => "b" }
        }
        fn main() {
          println("{}", label("t", Json::A, { seed = 7 }));
        }
        """
    )
    assert out == "t7\n"
