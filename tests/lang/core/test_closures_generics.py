"""Closures, function types, generic functions, tuples and destructuring, the
higher-order builtins, and `if`/`match` as operands (issue 9 items 1-3, 14)."""

from __future__ import annotations

import pytest

from .conftest import Lang

ARMS = """
type Arm = { label: String; dose: Float; orr: Float; dlt: Float };

fn arms() -> Vector<Arm> {
  [
    { label = "A"; dose = 10.0; orr = 0.2; dlt = 0.1 },
    { label = "B"; dose = 20.0; orr = 0.4; dlt = 0.3 },
    { label = "C"; dose = 40.0; orr = 0.4; dlt = 0.2 },
    { label = "D"; dose = 80.0; orr = 0.6; dlt = 0.5 },
  ]
}
"""


def printed(lang: Lang, body: str, prelude: str = ARMS) -> str:
    return lang.run(prelude + "\nfn main() {\n" + body + "\n}")


@pytest.mark.parametrize(
    "expr, shown",
    [
        ("map([1, 2, 3], |x| x * 10)", "[10, 20, 30]"),
        ("[1, 2, 3].map(|x| x * 10)", "[10, 20, 30]"),
        ("filter(range(0, 10), |x| x % 3 == 0)", "[0, 3, 6, 9]"),
        ("fold([1, 2, 3], 100, |acc, x| acc - x)", "94"),
        ('fold(["a", "b"], "", |acc, s| acc + s)', "ab"),
        ("any([1, 2], |x| x > 1)", "true"),
        ("all([1, 2], |x| x > 1)", "false"),
        ("all([], |x: Int| x > 1)", "true"),
        ("count_if([1, 2, 3, 4], |x| x % 2 == 0)", "2"),
        ("find([1, 2, 3, 4], |x| x > 2)", "Some(3)"),
        ("find([1, 2], |x| x > 2)", "None"),
        ("sort_by(arms(), |a| a.orr).map(|a| a.label)", '["A", "B", "C", "D"]'),
        ("sort_by_desc(arms(), |a| a.orr).map(|a| a.label)", '["D", "B", "C", "A"]'),
        ("sort_by(arms(), |a| a.label).map(|a| a.dose)", "[10.0, 20.0, 40.0, 80.0]"),
        # Rust: min_by_key keeps the first minimum, max_by_key the last maximum
        ("min_by(arms(), |a| a.orr).map_label()", "A"),
        ("min_by(arms(), |a| -a.orr + a.orr).map_label()", "A"),
        ("max_by(arms(), |a| a.orr * 0.0).map_label()", "D"),
        ("max_by(filter(arms(), |a| a.dlt <= 0.33), |a| a.orr).map_label()", "C"),
        ("arms().filter(|a| a.dlt <= 0.33).max_by(|a| a.orr).map_label()", "C"),
        ("max_by(filter(arms(), |a| a.dose > 100.0), |a| a.orr)", "None"),
        ("sum_by(arms(), |a| a.dose)", "150.0"),
        ("sum_by(filter(arms(), |a| a.dose > 100.0), |a| a.dose)", "0.0"),
        ("sum_by([1, 2, 3], |x| x * x)", "14"),
        ("sum(map(filter(arms(), |a| false), |a| a.dose))", "0.0"),
        ('enumerate(["x", "y"])', '[(0, "x"), (1, "y")]'),
        ('zip([1, 2, 3], ["a", "b"])', '[(1, "a"), (2, "b")]'),
        ("slice([1, 2, 3, 4], 1, 3)", "[2, 3]"),
        ("reverse([1, 2, 3])", "[3, 2, 1]"),
        ("contains([(1, 2)], (1, 2))", "true"),
        ('map_of([("b", 2), ("a", 1), ("b", 3)])', '{"b": 3, "a": 1}'),
        ('get_or(map_of([("a", 1)]), "z", 0)', "0"),
        ('get_or(map_of([("a", 1)]), "a", 0)', "1"),
        ('entries(map_of([("b", 2), ("a", 1)]))', '[("a", 1), ("b", 2)]'),
        ('(1, "x", 2.5)', '(1, "x", 2.5)'),
        ("(1, (2, 3)).1.0", "2"),
        ("1 + if true { 2 } else { 3 }", "3"),
        ("2 * match 3 { 3 => 10, _ => 0 }", "20"),
        ("[if false { 1 } else { 2 }]", "[2]"),
    ],
)
def test_higher_order_and_tuple_values(lang: Lang, expr: str, shown: str) -> None:
    prelude = ARMS + "\nfn map_label(a: Option<Arm>) -> String { unwrap(a).label }\n"
    out = printed(lang, f'println("{{}}", {expr});', prelude)
    assert out == shown + "\n"


def test_group_by_and_map_iteration_with_destructuring(lang: Lang) -> None:
    out = printed(
        lang,
        """
        let by_risk = group_by(arms(), |a| if a.dlt > 0.25 { "high" } else { "low" });
        for (risk, group) in by_risk {
          println("{} {}", risk, map(group, |a| a.label));
        }
        for (i, arm) in enumerate(arms()) {
          if i < 2 { println("{}: {}", i, arm.label); }
        }
        let (n, (first, _)) = (len(arms()), ("x", 0));
        println("{} {}", n, first);
        """,
    )
    assert out == 'high ["B", "D"]\nlow ["A", "C"]\n0: A\n1: B\n4 x\n'


def test_closures_capture_by_value_and_functions_are_values(lang: Lang) -> None:
    out = printed(
        lang,
        """
        var k = 1;
        let add_k = |x: Int| x + k;
        k = 100;
        println("{}", add_k(1));
        println("{}", map([1, 2], double));
        println("{}", apply_twice(|s: String| s + "!", "hi"));
        let compose = |f: fn(Int) -> Int, g: fn(Int) -> Int| -> fn(Int) -> Int { |x: Int| g(f(x)) };
        let h = compose(double, add_k);
        println("{}", h(5));
        let early = |x: Int| -> Int { if x > 0 { return 1; } 0 };
        println("{} {}", early(5), early(-5));
        """,
        ARMS
        + """
fn double(x: Int) -> Int { x * 2 }
fn apply_twice<T>(f: fn(T) -> T, x: T) -> T { f(f(x)) }
""",
    )
    assert out == "2\n[2, 4]\nhi!!\n11\n1 0\n"


def test_generic_functions_infer_their_type_parameters(lang: Lang) -> None:
    out = printed(
        lang,
        """
        println("{}", first([3, 4]));
        println("{}", first(["a"]));
        let empty: Vector<Float> = [];
        println("{}", first(empty));
        println("{}", pair_up(1, "one"));
        println("{}", group_count(["a", "b", "a"], |s| s));
        """,
        """
fn first<T>(v: Vector<T>) -> Option<T> { get(v, 0) }
fn pair_up<A, B>(a: A, b: B) -> (A, B) { (a, b) }
fn group_count<T>(v: Vector<T>, key: fn(T) -> String) -> Map<String, Int> {
  var counts: Map<String, Int> = empty_map();
  for (k, xs) in group_by(v, key) { counts = insert(counts, k, len(xs)); }
  counts
}
""",
    )
    assert out == 'Some(3)\nSome("a")\nNone\n(1, "one")\n{"a": 2, "b": 1}\n'


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            'pair_eq(1, "x");',
            (
                2,
                24,
                "argument 'b' of 'pair_eq' must be Int, found String "
                "(it is declared T; here T = Int)",
            ),
        ),
        ("first(3);", (2, 19, "argument 'v' of 'first' must be Vector<_>, found Int")),
        (
            "let n: Int = first([1.5]);",
            (2, 26, "'n' is declared as Int, but the value has type Option<Float>"),
        ),
        ("map([1], |x| x + 1.0);", (2, 26, "cannot add Int and Float")),
        ("let f = |x| x;", (2, 22, "cannot infer the type of closure parameter 'x'")),
        (
            "sort_by([1], |x| [x]);",
            (
                2,
                26,
                "sort_by needs a key of type Int, Float or String, "
                "but the closure gives Vector<Int>",
            ),
        ),
        (
            "filter([1], |x| x + 1);",
            (
                2,
                25,
                "argument 'f' of 'filter' must be fn(Int) -> Bool, found fn(Int) -> Int"
                " (it is declared fn(T) -> Bool; here T = Int)",
            ),
        ),
        (
            "var n = 0; let f = || { n = n + 1; };",
            (
                2,
                37,
                "cannot assign to 'n' inside a closure: "
                "closures capture variables by value, read-only",
            ),
        ),
        ("let (a, b) = 1;", (2, 17, "cannot destructure Int into 2 parts")),
        ('let t = (1, 2); println("{}", t.2);', (2, 45, "tuple (Int, Int) has no field .2")),
        (
            "let x = first;",
            (2, 21, "'first' is a generic function: call it, or wrap it in a closure to pass it"),
        ),
        (
            "while true { let f = || { break; }; }",
            (2, 39, "`break` outside of a loop"),
        ),
    ],
)
def test_diagnostics(lang: Lang, body: str, expected: tuple[int, int, str]) -> None:
    source = (
        "fn first<T>(v: Vector<T>) -> Option<T> { get(v, 0) }\n"
        "fn main() { " + body + " }\n"
        "fn pair_eq<T>(a: T, b: T) -> Bool { a == b }\n"
    )
    assert expected in lang.messages(source)


def test_generic_body_treats_type_parameters_as_opaque(lang: Lang) -> None:
    messages = lang.messages("fn bad<T>(x: T) -> Int { x + 1 }\nfn main() {}\n")
    assert messages == [(1, 26, "cannot add T and Int")]


def test_option_used_as_float_suggests_unwrap_or(lang: Lang) -> None:
    [diagnostic] = lang.check("fn main() { let x = Some(1.0); let y = x * 2.0; }\n")
    assert diagnostic.message == "cannot multiply Option<Float> and Float"
    assert "unwrap_or" in (diagnostic.hint or "")


def test_record_literal_opening_with_a_comment(lang: Lang) -> None:
    out = printed(
        lang, 'let r = { // a note\n  a = 1; /* more */ b = 2; };\nprintln("{}", r.a + r.b);'
    )
    assert out == "3\n"


def test_if_starting_a_statement_is_a_statement_as_in_rust(lang: Lang) -> None:
    out = printed(lang, 'if true { 1 } else { 2 };\nlet x = -1;\nprintln("{}", x);')
    assert out == "-1\n"


def test_runtime_error_inside_a_closure_points_into_it(lang: Lang) -> None:
    error = lang.runtime_error("fn main() {\n  let v = map([1, 0], |x| 10 / x);\n}\n")
    assert error.message == "division by zero (Int)"
    assert (error.line, error.col) == (2, 27)
