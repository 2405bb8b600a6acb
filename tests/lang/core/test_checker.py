"""Checker: each rule reports the right message at the right line:col, with hints,
and every error in a program is reported, not just the first."""

from __future__ import annotations

import pytest

from .conftest import Lang


def only(lang: Lang, source: str) -> tuple[int, int, str, str | None]:
    diagnostics = lang.check(source)
    assert len(diagnostics) == 1, [d.render() for d in diagnostics]
    d = diagnostics[0]
    return d.line, d.col, d.message, d.hint


def test_clean_program_has_no_diagnostics(lang: Lang) -> None:
    assert (
        lang.check(
            """
            enum Color { Red; Green; }
            type P = { x: Int; tags: Vector<String>; };
            fn mk(x: Int) -> P { { x = x; tags = [] } }
            fn main() {
              let p = mk(1);
              var names: Vector<String> = [];
              for t in p.tags { names = push(names, t); }
              let o: Option<Int> = None;
              let c = match Color::Red { Color::Red => 1, Color::Green => 2 };
              println("{} {} {}", p.x + c, unwrap_or(o, 0), len(names));
            }
            """
        )
        == []
    )


@pytest.mark.parametrize(
    "source, expected",
    [
        ('fn main() { let x = 1 + "a"; }', (1, 21, "cannot add Int and String")),
        ("fn main() { let x = 1 + 2.0; }", (1, 21, "cannot add Int and Float")),
        ("fn main() { let x = 1.0 * 2; }", (1, 21, "cannot multiply Float and Int")),
        ("fn main() { let x = 1 < 2.0; }", (1, 21, "operator '<' cannot compare Int and Float")),
        (
            "fn main() { let x = true < false; }",
            (1, 21, "operator '<' cannot compare Bool and Bool"),
        ),
        ('fn main() { let x = 1 == "a"; }', (1, 21, "cannot compare Int with String using '=='")),
        (
            "fn main() { let x = 1 && true; }",
            (1, 21, "operator '&&' needs Bool operands, found Int"),
        ),
        (
            'fn main() { let x = -"a"; }',
            (1, 21, "operator '-' needs an Int or a Float, found String"),
        ),
        ("fn main() { let x = !1; }", (1, 21, "operator '!' needs a Bool, found Int")),
    ],
)
def test_operator_types(lang: Lang, source: str, expected: tuple[int, int, str]) -> None:
    assert only(lang, source)[:3] == expected


def test_int_float_mix_hints_at_conversion(lang: Lang) -> None:
    hint = only(lang, "fn main() { let x = 1 + 2.0; }")[3]
    assert "to_float" in hint


def test_string_concatenation_is_allowed(lang: Lang) -> None:
    assert lang.check('fn main() { let s = "a" + "b"; }') == []


def test_let_type_annotation_mismatch(lang: Lang) -> None:
    assert only(lang, 'fn main() {\n  let x: Int = "s";\n}')[:3] == (
        2,
        16,
        "'x' is declared as Int, but the value has type String",
    )


def test_assignment_only_to_var(lang: Lang) -> None:
    line, col, message, hint = only(lang, "fn main() {\n  let x = 1;\n  x = 2;\n}")
    assert (line, col) == (3, 3)
    assert message == "cannot assign to 'x': it was declared with `let` at line 2"
    assert hint == "declare it with `var` to make it assignable"


def test_assignment_type_and_unknown_variable(lang: Lang) -> None:
    messages = lang.messages('fn main() {\n  var x = 1;\n  x = "s";\n  y = 2;\n}')
    assert messages == [
        (3, 7, "cannot assign String to 'x', which has type Int"),
        (4, 3, "unknown variable 'y'"),
    ]


def test_unknown_name_suggests_close_one(lang: Lang) -> None:
    line, col, message, hint = only(
        lang, 'fn main() {\n  let total = 1;\n  println("{}", totl);\n}'
    )
    assert (line, col, message, hint) == (3, 17, "unknown name 'totl'", "did you mean 'total'?")


def test_unknown_function_and_arity_and_argument_type(lang: Lang) -> None:
    messages = lang.messages(
        """
        fn add(a: Int, b: Int) -> Int { a + b }
        fn main() {
          let x = ad(1, 2);
          let y = add(1);
          let z = add(1, "2");
        }
        """
    )
    assert messages == [
        (3, 11, "unknown function 'ad'"),
        (4, 11, "'add' takes 2 arguments, but 1 argument was given"),
        (5, 18, "argument 'b' of 'add' must be Int, found String"),
    ]


def test_calling_a_variable(lang: Lang) -> None:
    assert (
        only(lang, "fn main() { let f = 1; f(2); }")[2]
        == "'f' is a variable of type Int, not a function"
    )


def test_unknown_field_with_did_you_mean_and_field_list(lang: Lang) -> None:
    line, col, message, hint = only(
        lang,
        """
        type RunSummary = { id: String; finished_at: String; };
        fn show(s: RunSummary) {
          println("{}", s.finishd_at);
        }
        """,
    )
    assert (line, col) == (3, 19)
    assert message == "RunSummary has no field 'finishd_at'; did you mean 'finished_at'?"
    assert hint == "RunSummary fields: id, finished_at"


def test_record_literal_fields_are_checked_against_the_expected_type(lang: Lang) -> None:
    messages = lang.messages(
        """
        type P = { x: Int; y: Int; };
        fn main() {
          let a: P = { x = 1; z = 2 };
          let b: P = { x = 1; y = "s" };
        }
        """
    )
    assert messages == [
        (3, 14, "missing field 'y' for P"),
        (3, 23, "P has no field 'z'"),
        (4, 27, "field 'y' of P is Int, found String"),
    ]


def test_return_type_checks(lang: Lang) -> None:
    messages = lang.messages(
        """
        fn a() -> Int { "s" }
        fn b() -> Int { return "s"; }
        fn c() -> Int { let x = 1; }
        fn d() { return 1; }
        fn e() -> Int { if true { return 1; } else { return 2; } }
        """
    )
    assert messages == [
        (1, 17, "function 'a' returns Int, but this expression has type String"),
        (2, 24, "function 'b' returns Int, but this value has type String"),
        (3, 28, "function 'c' must return Int, but its body ends without a value"),
        (4, 17, "function 'd' returns nothing, but `return` has a value of type Int"),
    ]


def test_println_placeholder_count(lang: Lang) -> None:
    messages = lang.messages(
        'fn main() {\n  println("{} and {}", 1);\n  println("{{}} {}", 1);\n  print("{", 1);\n}'
    )
    assert messages == [
        (2, 3, "format string has 2 placeholders, but 1 argument was given"),
        (4, 10, "unmatched '{' in format string"),
    ]


def test_break_and_continue_outside_loops(lang: Lang) -> None:
    messages = lang.messages("fn main() {\n  break;\n  for i in [1] { continue; }\n  continue;\n}")
    assert messages == [(2, 3, "`break` outside of a loop"), (4, 3, "`continue` outside of a loop")]


def test_non_exhaustive_enum_match_names_missing_variants(lang: Lang) -> None:
    line, col, message, hint = only(
        lang,
        """
        enum K { A; B; C; }
        fn f(k: K) -> Int { match k { K::A => 1, K::B if true => 2 } }
        """,
    )
    assert (line, col) == (2, 27)
    assert message == "non-exhaustive match on K: K::B, K::C not covered"
    assert "`_ =>" in hint


@pytest.mark.parametrize(
    "arms, error",
    [
        ("Some(x) => x, None => 0", None),
        ("Some(x) => x", "non-exhaustive match on Option<Int>: None not covered"),
        ("None => 0, _ => 1", None),
    ],
)
def test_option_match_exhaustiveness(lang: Lang, arms: str, error: str | None) -> None:
    messages = [
        m for _, _, m in lang.messages(f"fn f(o: Option<Int>) -> Int {{ match o {{ {arms} }} }}")
    ]
    assert messages == ([error] if error else [])


def test_literal_matches_need_a_wildcard_except_bool(lang: Lang) -> None:
    messages = lang.messages(
        "fn f(n: Int, b: Bool) {\n  match n { 1 => {} }\n  match b { true => {}, false => {} }\n}"
    )
    assert messages == [(2, 9, "non-exhaustive match on Int: not every value is listed")]


def test_pattern_type_mismatches(lang: Lang) -> None:
    messages = lang.messages(
        """
        enum K { A; }
        enum L { B; }
        fn f(k: K) { match k { L::B => {}, "s" => {}, K::Z => {}, _ => {} } }
        """
    )
    assert [m for _, _, m in messages] == [
        "pattern L::B cannot match a value of type K",
        "pattern of type String cannot match a value of type K",
        "enum K has no variant 'Z'",
    ]


def test_if_condition_must_be_bool_and_branches_agree(lang: Lang) -> None:
    messages = lang.messages('fn main() {\n  let x = if 1 { 2 } else { "s" };\n}')
    assert messages == [
        (2, 14, "`if` condition must be Bool, found Int"),
        (2, 29, "`if` branches have different types: Int and String"),
    ]


def test_if_branches_may_differ_when_the_value_is_unused(lang: Lang) -> None:
    assert lang.check('fn main() { if true { 1 } else { "s" } }') == []


def test_unknown_types_enums_and_generic_arity(lang: Lang) -> None:
    messages = lang.messages(
        "fn f(a: Strng, b: Vector<Int, Int>, c: Map<Int, Int>) {\n  let k = Colour::Red;\n}"
    )
    assert [m for _, _, m in messages] == [
        "unknown type 'Strng'",
        "Vector takes 1 type argument, got 2",
        "Map keys must be String",
        "unknown enum 'Colour'",
    ]


def test_duplicate_definitions(lang: Lang) -> None:
    line, col, message, hint = only(lang, "fn f() {}\nfn f() {}")
    assert (line, col, message, hint) == (
        2,
        4,
        "duplicate definition of 'f'",
        "'f' is already defined at line 1",
    )


def test_indexing_non_containers(lang: Lang) -> None:
    messages = lang.messages(
        'fn main() {\n  let n = 3;\n  let x = n[0];\n  let v = [1];\n  let y = v["a"];\n}'
    )
    assert [m for _, _, m in messages] == [
        "cannot index a value of type Int",
        "index into Vector<Int> must be Int, found String",
    ]


def test_builtin_typing_rules(lang: Lang) -> None:
    messages = lang.messages(
        'fn main() {\n  let a = len(1);\n  let b = push([1], "s");\n'
        "  let c = sqrt(4);\n  let d = min(1, 2.0);\n}"
    )
    assert [m for _, _, m in messages] == [
        "len expects a Vector, String or Map, got Int",
        "push cannot push String onto a Vector<Int>",
        "sqrt expects Float, got Int",
        "min expects two Ints or two Floats, got Int and Float",
    ]


def test_shadowing_and_loop_scoped_lets(lang: Lang) -> None:
    messages = lang.messages(
        'fn main() {\n  let x = 1;\n  let x = "s";\n'
        '  for i in [1] { let inner = i; }\n  println("{}", inner);\n}'
    )
    assert messages == [(5, 17, "unknown name 'inner'")]


def test_several_errors_reported_at_once_in_source_order(lang: Lang) -> None:
    messages = lang.messages(
        """
        fn main() {
          let a: Int = "s";
          let b = 1 + 2.0;
          println("{}");
          break;
          nope();
        }
        """
    )
    assert [line for line, _, _ in messages] == [2, 3, 4, 5, 6]


def test_mistake_is_reported_once_not_cascading(lang: Lang) -> None:
    messages = lang.messages(
        "fn main() {\n  let x = nope();\n  let y = x.field + 1;\n  let z = y * 2;\n}"
    )
    assert messages == [(2, 11, "unknown function 'nope'")]


def test_warnings_are_not_noise(lang: Lang) -> None:
    assert lang.check("fn main() { let unused = 1; }") == []


def test_parameters_loop_variables_and_bindings_are_read_only(lang: Lang) -> None:
    messages = lang.messages(
        """
        fn f(n: Int, o: Option<Int>) {
          n = 1;
          for i in [1] { i = 2; }
          match o { Some(x) => { x = 3; } None => {} }
        }
        """
    )
    assert messages == [
        (2, 3, "cannot assign to 'n': it is a parameter (line 1)"),
        (3, 18, "cannot assign to 'i': it is a loop variable (line 3)"),
        (4, 26, "cannot assign to 'x': it is a match binding (line 4)"),
    ]


def test_assignment_refines_a_partly_unknown_variable_type(lang: Lang) -> None:
    messages = lang.messages(
        """
        type Run = { id: String; };
        fn main() {
          var best = None;
          var ids = [];
          for r in [{ id = "a" }] { best = Some(r); ids = push(ids, r.id); }
          match best { Some(b) => println("{}", b.idd), None => {} }
          let n: Int = ids[0];
        }
        """
    )
    assert [m for _, _, m in messages] == [
        "{ id: String } has no field 'idd'; did you mean 'id'?",
        "'n' is declared as Int, but the value has type String",
    ]
