"""Grammar: every construct of the issue's Syntax section parses to the right AST."""

from __future__ import annotations

import pytest

from medlang.lang import ast
from medlang.lang.parse import ParseFailure, parse_module


def parse(source: str) -> ast.Module:
    return parse_module(source, "t.medlang")


def body(source: str) -> ast.Block:
    """The body of `fn f() { <source> }`."""
    fn = parse("fn f() {\n" + source + "\n}").items[0]
    return fn.body


def expr(source: str) -> ast.Expr:
    return body(f"let x = {source};").stmts[0].value


def test_issue_example_parses_to_ast() -> None:
    module = parse(
        """module med.clinical_trial.analysis;

import med.registry::{RunKind, list_runs, get_run_summary};

fn compare_hybrid_runs() {
  let hybrid_runs = list_runs(Some(RunKind::EvidenceHybrid));

  for run in hybrid_runs {
    let summary = get_run_summary(run.id);
    println("Run {} finished at {}", run.id, summary.finished_at);
  }
}
"""
    )
    assert module.name == "med.clinical_trial.analysis"
    (imp,) = module.imports
    assert imp.module == "med.registry"
    assert [n for n, _ in imp.names] == ["RunKind", "list_runs", "get_run_summary"]
    (fn,) = module.items
    assert fn.name == "compare_hybrid_runs" and fn.return_type is None
    let, loop = fn.body.stmts
    assert isinstance(let.value, ast.Call) and let.value.name == "list_runs"
    some = let.value.args[0]
    assert isinstance(some, ast.SomeExpr)
    assert (some.value.enum, some.value.variant) == ("RunKind", "EvidenceHybrid")
    assert isinstance(loop, ast.For) and loop.var == "run"
    call = loop.body.stmts[1].expr
    assert isinstance(call.args[1], ast.Field) and call.args[1].name == "id"
    assert loop.span.line == 8 and loop.span.col == 3


def test_comments_of_all_kinds_are_ignored() -> None:
    module = parse("/// doc\n// line\n/* block\n comment */ fn f() { /* inline */ }")
    assert [i.name for i in module.items] == ["f"]


@pytest.mark.parametrize(
    "line, names",
    [
        ("import a.b::{X, y, Z};", ["X", "y", "Z"]),
        ("import a.b::{\n  X,\n  y,\n};", ["X", "y"]),
        ("import a.b::X;", ["X"]),
        ("import a.b::*;", None),
    ],
)
def test_import_forms(line: str, names: list[str] | None) -> None:
    (imp,) = parse(line).imports
    assert imp.module == "a.b"
    assert (None if imp.names is None else [n for n, _ in imp.names]) == names


@pytest.mark.parametrize(
    "line, names",
    [
        ("export enum X;", ["X"]),
        ("export type X;", ["X"]),
        ("export fn f;", ["f"]),
        ("export { A, B };", ["A", "B"]),
        ("export *;", None),
    ],
)
def test_export_forms(line: str, names: list[str] | None) -> None:
    (exp,) = parse(line).exports
    assert (None if exp.names is None else [n for n, _ in exp.names]) == names


@pytest.mark.parametrize(
    "source", ["enum C { A; B; C; }", "enum C { A, B, C }", "enum C { A; B, C, }"]
)
def test_enum_variants_end_with_semicolon_or_comma(source: str) -> None:
    (enum,) = parse(source).items
    assert [v for v, _ in enum.variants] == ["A", "B", "C"]


def test_type_alias_and_record_type() -> None:
    alias, record = parse(
        "type Id = String;\ntype R = { a: Int; b: Vector<Option<Float>>; m: Map<String, Int>; };"
    ).items
    assert ast.type_text(alias.type) == "String"
    assert isinstance(record.type, ast.RecordTypeExpr)
    assert [ast.type_text(t) for _, t, _ in record.type.fields] == [
        "Int",
        "Vector<Option<Float>>",
        "Map<String, Int>",
    ]


def test_fn_and_extern_fn_declarations() -> None:
    fn, ext = parse("fn f(a: Int, b: Vector<Int>) -> Float { 1.0 }\nextern fn g(x: String);").items
    assert [(p.name, ast.type_text(p.type)) for p in fn.params] == [
        ("a", "Int"),
        ("b", "Vector<Int>"),
    ]
    assert ast.type_text(fn.return_type) == "Float"
    assert isinstance(fn.body.tail, ast.FloatLit)
    assert ext.is_extern and ext.return_type is None


def test_statements() -> None:
    stmts = body(
        "let x = 1; let y: Int = 2; var z = 3; z = 4;"
        " for i in v { break; } while true { continue; } return z;"
    ).stmts
    kinds = [type(s).__name__ for s in stmts]
    assert kinds == ["Let", "Let", "Let", "Assign", "For", "While", "Return"]
    assert stmts[1].declared_type.name == "Int" and not stmts[1].mutable
    assert stmts[2].mutable
    assert isinstance(stmts[4].body.stmts[0], ast.Break)
    assert isinstance(stmts[5].body.stmts[0], ast.Continue)


def test_if_else_if_else_as_statement_and_expression() -> None:
    block = body("if a { 1; } else if b { 2; } else { 3; }\nlet v = if a { 1 } else { 2 };")
    statement = block.stmts[0].expr
    assert isinstance(statement, ast.If) and isinstance(statement.otherwise, ast.If)
    assert isinstance(statement.otherwise.otherwise, ast.Block)
    value = block.stmts[1].value
    assert isinstance(value, ast.If) and isinstance(value.then.tail, ast.IntLit)


def test_final_if_without_semicolon_is_the_block_value() -> None:
    block = body("let a = 1;\nif a > 0 { 1 } else { 2 }")
    assert isinstance(block.tail, ast.If)


def test_match_patterns_guards_and_block_arms() -> None:
    match = expr(
        "match k { C::A | C::B => 1, C::C if n > 2 => { let q = 2; q } Some(x) => x,"
        ' None => 0, 3 => 3, -4 => 4, "s" => 5, true => 6, 1.5 => 7, y => 8, _ => 9 }'
    )
    patterns = [arm.pattern for arm in match.arms]
    assert isinstance(patterns[0], ast.POr) and len(patterns[0].alternatives) == 2
    assert match.arms[1].guard is not None and isinstance(match.arms[1].body, ast.Block)
    assert isinstance(patterns[2], ast.PSome) and isinstance(patterns[2].inner, ast.PBind)
    assert isinstance(patterns[3], ast.PNone)
    literals = [p.value for p in patterns[4:9]]
    assert literals == [3, -4, "s", True, 1.5]
    assert isinstance(patterns[9], ast.PBind) and isinstance(patterns[10], ast.PWildcard)


def test_arm_block_starting_with_assignment_is_a_block() -> None:
    match = body("match k { C::A => { n = n + 1; }, _ => {} }").tail
    arm_body = match.arms[0].body
    assert isinstance(arm_body, ast.Block) and isinstance(arm_body.stmts[0], ast.Assign)


def test_parenthesised_record_literal_in_an_arm() -> None:
    match = body("match k { _ => ({ a = 1 }) }").tail
    assert isinstance(match.arms[0].body, ast.RecordLit)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("42", ast.IntLit(42, None)),
        ("1.0", ast.FloatLit(1.0, None)),
        ("1e-3", ast.FloatLit(0.001, None)),
        ("2.5E2", ast.FloatLit(250.0, None)),
        ('"a\\n\\t\\"\\\\"', ast.StringLit('a\n\t"\\', None)),
        ("true", ast.BoolLit(True, None)),
        ("false", ast.BoolLit(False, None)),
    ],
)
def test_literals(source: str, expected) -> None:
    node = expr(source)
    assert type(node) is type(expected) and node.value == expected.value


def test_containers_fields_indexing_calls() -> None:
    vec = expr("[1, 2, 3,]")
    assert isinstance(vec, ast.VectorLit) and len(vec.items) == 3
    record = expr('{ a = 1; b = "x" }')
    assert isinstance(record, ast.RecordLit) and [n for n, _, _ in record.fields] == ["a", "b"]
    chain = expr("f(x).a[0].b")
    assert isinstance(chain, ast.Field) and isinstance(chain.target, ast.Index)
    assert isinstance(chain.target.target.target, ast.Call)
    assert isinstance(expr("None"), ast.NoneLit) and isinstance(expr("Some(1)"), ast.SomeExpr)


def test_operator_precedence() -> None:
    node = expr("a || b && c == d + e * -f")
    assert node.op == "||"
    assert node.right.op == "&&"
    assert node.right.right.op == "=="
    assert node.right.right.right.op == "+"
    assert node.right.right.right.right.op == "*"
    assert isinstance(node.right.right.right.right.right, ast.Unary)
    grouped = expr("(a + b) * c")
    assert grouped.op == "*" and grouped.left.op == "+"
    assert grouped.span.col == 9  # the span starts at the parenthesis
    assert expr("a - b - c").left.op == "-"  # left associative
    assert expr("!x").op == "!"


def test_spans_are_one_based_and_end_exclusive() -> None:
    node = expr("foo + 1")
    assert (node.span.line, node.span.col, node.span.end_col) == (2, 9, 16)
    assert (node.op_span.col, node.op_span.end_col) == (13, 14)


@pytest.mark.parametrize(
    "source, message, hint_part",
    [
        ("fn f() { let x = 1 }", "syntax error: unexpected '}'", "';'"),
        ("fn f() { let x = ; }", "syntax error: unexpected ';'", "a name"),
        ('fn f() { let s = "abc', "syntax error: unterminated string", None),
        ("fn f() {", "syntax error: unexpected end of file", "'}'"),
        ('fn f() { let s = "\\q"; }', "unknown escape sequence '\\q' in string", "\\n"),
    ],
)
def test_syntax_errors_in_plain_words(source: str, message: str, hint_part: str | None) -> None:
    with pytest.raises(ParseFailure) as caught:
        parse(source)
    (diag,) = caught.value.diagnostics
    assert diag.message == message
    if hint_part is not None:
        assert hint_part in diag.hint


def test_parser_tables_are_cached_in_the_user_cache_dir(tmp_path, monkeypatch) -> None:
    from medlang.lang import parse as parse_module_

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    parse_module_.parser.cache_clear()
    try:
        parse_module_.parser()
        assert (tmp_path / "medlang" / "medlang-grammar.lark.cache").stat().st_size > 0
        parse_module_.parser.cache_clear()
        assert parse("fn f() {}").items[0].name == "f"  # loads from the cache file
    finally:
        parse_module_.parser.cache_clear()


def test_missing_semicolon_is_reported_where_the_line_ends() -> None:
    with pytest.raises(ParseFailure) as caught:
        parse('fn f() {\n  let a = 1 // one\n  let b = "x//y";\n}')
    (diag,) = caught.value.diagnostics
    assert (diag.line, diag.col, diag.message) == (
        2,
        12,
        "syntax error: missing ';' at the end of this line",
    )
    assert diag.hint == "the next line starts with 'let'"
