"""Interpreter semantics: arithmetic, strings, scopes, loops, match, recursion,
containers, display formats and runtime errors with their call trace."""

from __future__ import annotations

import pytest

from medlang.lang.values import NONE, EnumValue, Record, Some

from .conftest import Lang


def printed(lang: Lang, body: str) -> str:
    return lang.run("fn main() {\n" + body + "\n}")


@pytest.mark.parametrize(
    "expr, shown",
    [
        ("7 / 2", "3"),
        ("-7 / 2", "-3"),
        ("7 / -2", "-3"),
        ("-7 % 2", "-1"),
        ("7 % -2", "1"),
        ("2 + 3 * 4 - 1", "13"),
        ("(2 + 3) * 4", "20"),
        ("-7.5 / 2.0", "-3.75"),
        ("-7.5 % 2.0", "-1.5"),
        ("0.1 + 0.2", "0.30000000000000004"),
        ("1.0 * 3.0", "3.0"),
        ("1e-3", "0.001"),
        ("0.125", "0.125"),
        ("2147483647 * 4", "8589934588"),
        ('"med" + "lang"', "medlang"),
        ("1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3 && 1 != 2", "true"),
        ('"abc" < "abd"', "true"),
        ("!true || false", "false"),
    ],
)
def test_arithmetic_and_comparison(lang: Lang, expr: str, shown: str) -> None:
    assert printed(lang, f'println("{{}}", {expr});') == shown + "\n"


def test_short_circuit_skips_the_right_side(lang: Lang) -> None:
    out = printed(lang, 'let v = [1];\nprintln("{} {}", false && v[5] == 1, true || v[5] == 1);')
    assert out == "false true\n"


@pytest.mark.parametrize(
    "value, shown",
    [
        ("[1, 2]", "[1, 2]"),
        ('["a", "b"]', '["a", "b"]'),
        ("Some(1.5)", "Some(1.5)"),
        ('Some("x")', 'Some("x")'),
        ("None", "None"),
        ('{ a = 1; b = "x" }', '{ a = 1; b = "x" }'),
        ("[Some([1])]", "[Some([1])]"),
        ("true", "true"),
        ("()", "()"),
        ("to_float(3)", "3.0"),
        ("sqrt(-0.0)", "-0.0"),
        ("pow(10.0, 400.0) - pow(10.0, 400.0)", "NaN"),  # overflow is inf, as in Rust
        ("1125899906842624.25", "1125899906842624.3"),  # Rust breaks the tie upward
    ],
)
def test_display_formats(lang: Lang, value: str, shown: str) -> None:
    assert printed(lang, f'println("{{}}", {value});') == shown + "\n"


def test_display_of_enums_maps_nan_and_infinity(lang: Lang) -> None:
    out = lang.run(
        """
        enum Kind { Alpha; Beta; }
        fn main() {
          let m = insert(insert(empty_map(), "b", 2), "a", 1);
          println("{} {} {} {}", Kind::Beta, m, keys(m), get(m, "a"));
          let big = 1e308 * 10.0;
          println("{} {} {}", big, -big, big - big);
        }
        """
    )
    assert out == 'Beta {"b": 2, "a": 1} ["a", "b"] Some(1)\ninf -inf NaN\n'


def test_strings_print_unquoted_at_top_level_and_escapes_work(lang: Lang) -> None:
    out = printed(lang, 'println("a\\tb {} {{literal}} {}", "q\\"uote", ["q\\"uote"]);')
    assert out == 'a\tb q"uote {literal} ["q\\"uote"]\n'


def test_shadowing_and_block_scopes(lang: Lang) -> None:
    out = printed(
        lang,
        """
        let x = 1;
        let x = x + 1;
        var y = 0;
        for i in [10, 20] { let x = i; y = y + x; }
        if true { let x = 100; y = y + x; }
        println("{} {}", x, y);
        """,
    )
    assert out == "2 130\n"


def test_loops_break_continue_and_while(lang: Lang) -> None:
    out = printed(
        lang,
        """
        var seen: Vector<Int> = [];
        for i in range(0, 10) {
          if i % 2 == 0 { continue; }
          if i > 7 { break; }
          seen = push(seen, i);
        }
        var n = 0;
        while n < 100 { n = n + 7; if n > 20 { break; } }
        println("{} {}", seen, n);
        """,
    )
    assert out == "[1, 3, 5, 7] 21\n"


def test_match_with_guards_alternatives_option_and_literals(lang: Lang) -> None:
    out = lang.run(
        """
        enum K { A; B; C; }
        fn classify(k: K, n: Int) -> String {
          match k {
            K::A if n > 10 => "big A",
            K::A | K::B => "A or B",
            _ => "other",
          }
        }
        fn opt(o: Option<Int>) -> Int {
          match o { Some(x) if x < 0 => 0, Some(x) => x, None => -1 }
        }
        fn word(n: Int) -> String { match n { 1 => "one", -2 => "minus two", _ => "many" } }
        fn main() {
          println("{} | {} | {} | {}", classify(K::A, 11), classify(K::A, 1), classify(K::B, 0),
                  classify(K::C, 0));
          println("{} {} {}", opt(Some(-5)), opt(Some(5)), opt(None));
          println("{} {} {}", word(1), word(-2), word(3));
          let s = match "x" { "x" => { let t = "block"; t } _ => "no" };
          println("{}", s);
        }
        """
    )
    assert out == "big A | A or B | A or B | other\n0 5 -1\none minus two many\nblock\n"


def test_if_expression_and_if_without_else_is_unit(lang: Lang) -> None:
    out = printed(
        lang, 'let a = if 1 > 2 { "x" } else if 2 > 1 { "y" } else { "z" };\nprintln("{}", a);'
    )
    assert out == "y\n"
    assert lang.value("fn main() { if true { 1; } }") is None


def test_recursion_and_early_return(lang: Lang) -> None:
    out = lang.run(
        """
        fn fib(n: Int) -> Int { if n < 2 { return n; } fib(n - 1) + fib(n - 2) }
        fn first_even(v: Vector<Int>) -> Option<Int> {
          for x in v { if x % 2 == 0 { return Some(x); } }
          None
        }
        fn main() { println("{} {} {}", fib(20), first_even([3, 5, 8, 10]), first_even([1])); }
        """
    )
    assert out == "6765 Some(8) None\n"


def test_vectors_maps_records_and_values_returned(lang: Lang) -> None:
    result = lang.value(
        """
        type P = { name: String; tags: Vector<String>; score: Option<Float>; };
        enum K { A; B; }
        type Out = { p: P; k: K; n: Int; };
        fn main() -> Out {
          let p: P = { name = "n"; tags = ["a", "b"]; score = Some(1.5) };
          let v = concat([3, 1], [2]);
          { p = p; k = K::B; n = sum(sort(v)) + len(p.tags) + v[0] }
        }
        """
    )
    assert result == Record(
        "Out",
        {
            "p": Record("P", {"name": "n", "tags": ("a", "b"), "score": Some(1.5)}),
            "k": EnumValue("K", "B"),
            "n": 11,
        },
    )


def test_structural_equality(lang: Lang) -> None:
    out = printed(
        lang,
        'println("{} {} {} {}", [1, 2] == [1, 2], { a = 1 } == { a = 1 }, Some(1) != None, '
        '[Some("a")] == [Some("b")]);',
    )
    assert out == "true true true false\n"


def test_builtins(lang: Lang) -> None:
    out = printed(
        lang,
        """
        println("{} {} {}", abs(-3), abs(-2.5), max(2, 9));
        println("{} {} {} {}", floor(2.7), ceil(2.1), round(2.5), round(-2.5));
        println("{} {} {}", to_int(-2.9), to_int(7), to_float(2));
        println("{} {}", parse_float("2.5"), parse_float("x"));
        println("{} {}", reverse([1, 2, 3]), sort(["b", "a"]));
        println("[{}] [{}]", pad_left("7", 3), pad_right("ab", 4));
        let s = "medlang";
        println("{} {} {}", substring(s, 0, 3), starts_with(s, "m"), ends_with(s, "x"));
        println("{} {}", contains("medlang", "lang"), join(["a", "b"], ", "));
        println("{} {}", format_float(3.14159, 2), format("{}-{}", 1, 2));
        println("{} {} {}", is_some(Some(1)), is_none(None), unwrap_or(None, 4));
        println("{} {}", pow(2, 10), sum([0.5, 0.25]));
        """,
    )
    assert out == (
        '3 2.5 9\n2.0 3.0 3.0 -3.0\n-2 7 2.0\nSome(2.5) None\n[3, 2, 1] ["a", "b"]\n'
        "[  7] [ab  ]\nmed true false\ntrue a, b\n3.14 1-2\ntrue true 4\n1024 0.75\n"
    )


def test_print_has_no_newline(lang: Lang) -> None:
    assert printed(lang, 'print("a");\nprint("b{}", 1);') == "ab1"


def test_program_value_is_returned_to_python(lang: Lang) -> None:
    assert lang.value("fn main() -> Option<Int> { None }") is NONE


@pytest.mark.parametrize(
    "body, message",
    [
        ("let v = [1, 2];\nlet x = v[2];", "index 2 out of range for a vector of length 2"),
        ("let d = 0;\nlet x = 1 / d;", "division by zero (Int)"),
        ("let d = 0;\nlet x = 1 % d;", "modulo by zero (Int)"),
        ("let o: Option<Int> = None;\nlet x = unwrap(o);", "unwrap: unwrap() called on None"),
        ('let s = "ab";\nlet x = substring(s, 1, 5);', "substring: substring(1, 5) out of range"),
    ],
)
def test_runtime_errors_are_located(lang: Lang, body: str, message: str) -> None:
    error = lang.runtime_error("fn main() {\n" + body + "\n}")
    assert error.message.startswith(message)
    assert (error.path, error.line) == ("main.medlang", 3)
    assert error.render().startswith(f"main.medlang:3:{error.col}: runtime error: {error.message}")


def test_runtime_error_has_call_trace_innermost_last(lang: Lang) -> None:
    error = lang.runtime_error(
        """
        fn inner(v: Vector<Int>) -> Int { v[3] }
        fn outer() -> Int { inner([1]) + 1 }
        fn main() {
          println("{}", outer());
        }
        """
    )
    assert error.trace == [
        ("main", "main.medlang", 4, 17),
        ("outer", "main.medlang", 2, 21),
        ("inner", "main.medlang", 1, 37),
    ]
    rendered = error.render()
    assert rendered.splitlines() == [
        "main.medlang:1:37: runtime error: index 3 out of range for a vector of length 1",
        "  fn inner(v: Vector<Int>) -> Int { v[3] }",
        "                                      ^",
        "call trace:",
        "  main at main.medlang:4:17",
        "  outer at main.medlang:2:21",
        "  inner at main.medlang:1:37",
    ]


def test_recursion_too_deep_is_a_runtime_error_with_folded_trace(lang: Lang) -> None:
    error = lang.runtime_error(
        'fn down(n: Int) -> Int { down(n - 1) + 1 }\nfn main() { println("{}", down(0)); }'
    )
    assert error.message.startswith("recursion too deep")
    lines = error.render().splitlines()
    assert "  ... the same call 998 more time(s)" in lines
    assert len(lines) < 12


def test_push_in_a_loop_keeps_vectors_immutable(lang: Lang) -> None:
    out = printed(
        lang,
        """
        var a: Vector<Int> = [1];
        let before = a;
        var snapshots: Vector<Vector<Int>> = [];
        for i in range(2, 5) {
          a = push(a, i);
          snapshots = push(snapshots, a);
        }
        for x in a { a = push(a, x * 10); }
        println("{} {} {}", before, snapshots, a);
        """,
    )
    assert out == "[1] [[1, 2], [1, 2, 3], [1, 2, 3, 4]] [1, 2, 3, 4, 10, 20, 30, 40]\n"


def test_a_user_function_named_push_is_called_not_the_builtin(lang: Lang) -> None:
    out = lang.run(
        """
        fn push(v: Vector<Int>, x: Int) -> Vector<Int> { [x] }
        fn main() { var v = [1, 2]; v = push(v, 3); println("{}", v); }
        """
    )
    assert out == "[3]\n"


def test_for_over_a_map_visits_sorted_keys(lang: Lang) -> None:
    out = printed(
        lang,
        'let m = insert(insert(empty_map(), "b", 2), "a", 1);\n'
        'for k in m { print("{}={} ", k, unwrap(get(m, k))); }',
    )
    assert out == "a=1 b=2 "
