"""Whatever the input, checking it yields diagnostics, never a Python exception.

Three sources of bad programs: random bytes, soups of the grammar's own tokens
(which get much deeper into the parser and checker than random bytes), and
small mutations of the real example programs (which get past the parser and
exercise the checker on nearly-right code).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medlang.lang.api import MedLangError, MedLangRuntimeError, check_file, run_file
from medlang.lang.interpret import Limits

from .cli_support import REPO_ROOT, mlc

# Closures, generics, tuples, destructuring, method calls, format specs and
# `if`/`match` operands in one program, so mutations reach all of them.
NEW_SYNTAX = """
type Arm = { label: String; dose: Float; orr: Float };
fn first<T>(v: Vector<T>) -> Option<T> { get(v, 0) }
fn apply<A, B>(f: fn(A) -> B, x: A) -> B { f(x) }
fn main() {
  let arms = [
    { label = "a"; dose = 10.0; orr = 0.2 },
    { label = "b"; dose = 20.0; orr = 0.4 },
  ];
  let best = arms.filter(|a| a.dose > 5.0).max_by(|a| a.orr);
  let (n, label) = (len(arms), match best { Some(a) => a.label, None => "-" });
  for (i, a) in enumerate(sort_by(arms, |a: Arm| -> Float { -a.dose })) {
    println("{:>3} {:<6} {:08.2} {:+.1e}", i, a.label, a.dose, a.orr);
  }
  for (k, xs) in group_by(arms, |a| if a.orr > 0.3 { "hi" } else { "lo" }) {
    println("{} {}", k, len(xs));
  }
  let total = fold(map(arms, |a| a.dose), 0.0, |acc, d| acc + d)
    + if n > 1 { 1.0 } else { 0.0 };
  let shown = first(zip([1, 2], ["x", "y"]));
  println("{} {} {:.3} {}", label, shown, total, apply(|x: Int| x * 2, 21));
}
"""
EXAMPLE_SOURCES = [
    *(path.read_text() for path in sorted((REPO_ROOT / "examples").glob("*.medlang"))),
    NEW_SYNTAX,
]

KEYWORDS = [
    "module", "import", "export", "enum", "type", "fn", "extern", "let", "var", "for", "in",
    "while", "break", "continue", "return", "if", "else", "match", "true", "false", "Some",
    "None", "Int", "Float", "Bool", "String", "Unit", "Vector", "Option", "Map", "RunKind",
    "RunSummary", "list_runs", "get_metric", "println", "len", "push", "main", "x", "run",
    "map", "filter", "fold", "sort_by", "max_by", "group_by", "enumerate", "zip", "format", "T",
]  # fmt: skip
PUNCTUATION = [
    "{", "}", "(", ")", "[", "]", "<", ">", ";", ",", ":", "::", ".", "=", "=>", "->", "|",
    "||", "&&", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "!", "_", "*", "//", "///",
    "/*", "*/", "\n", ".0", "|x|", "|| ",
]  # fmt: skip
LITERALS = [
    '"text {}"', '"\\n"', '"unterminated', "0", "42", "1.5", "1e-3", "99999999999999999999",
    '"{:>8.3} {:e}"', '"{:q}"', '"{0}"', '"{:.2e"', '"{:08.2}"',
]  # fmt: skip

tokens = st.sampled_from(KEYWORDS + PUNCTUATION + LITERALS)
token_soup = st.lists(tokens, max_size=60).map(" ".join)


@st.composite
def mutated_example(draw: st.DrawFn) -> str:
    source = draw(st.sampled_from(EXAMPLE_SOURCES))
    for _ in range(draw(st.integers(1, 4))):
        if not source:
            break
        i = draw(st.integers(0, len(source) - 1))
        j = draw(st.integers(i, min(len(source), i + 12)))
        operation = draw(st.sampled_from(["delete", "duplicate", "swap"]))
        if operation == "delete":
            source = source[:i] + source[j:]
        elif operation == "duplicate":
            source = source[:j] + source[i:j] + source[j:]
        elif j < len(source):
            source = source[:i] + source[j] + source[i + 1 : j] + source[i] + source[j + 1 :]
    return source


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "program.medlang"


PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_only_diagnostics(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    diagnostics = check_file(path)  # must not raise
    for diagnostic in diagnostics:
        text = diagnostic.render()
        assert "Traceback" not in text
        assert text.startswith(f"{diagnostic.path}:{diagnostic.line}:{diagnostic.col}: ")
        assert diagnostic.severity in ("error", "warning")


@PROPERTY
@given(content=st.binary(max_size=300))
def test_random_bytes(scratch: Path, content: bytes) -> None:
    assert_only_diagnostics(scratch, content)


@PROPERTY
@given(source=token_soup)
def test_token_soup(scratch: Path, source: str) -> None:
    assert_only_diagnostics(scratch, source.encode())


@PROPERTY
@given(source=mutated_example())
def test_mutated_examples(scratch: Path, source: str) -> None:
    assert_only_diagnostics(scratch, source.encode())


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(source=st.one_of(token_soup, mutated_example()))
def test_cli_check_never_shows_a_traceback(scratch: Path, source: str) -> None:
    scratch.write_text(source)
    result = mlc("check", scratch)
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert f"{scratch}:" in result.stderr


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(source=mutated_example())
def test_mutated_examples_that_check_also_run_cleanly(
    scratch: Path, fixture_registry: Path, source: str
) -> None:
    # Mutants that pass the checker exercise the interpreter and the registry
    # bridge: they may fail, but only with a MedLang runtime error.
    scratch.write_text(source)
    if any(diagnostic.severity == "error" for diagnostic in check_file(scratch)):
        return
    try:
        limits = Limits(max_steps=200_000)  # a mutant may loop for ever
        with contextlib.chdir(scratch.parent):  # files an example writes land in scratch
            run_file(scratch, registry_root=fixture_registry, stdout=io.StringIO(), limits=limits)
    except MedLangRuntimeError as error:
        assert error.render().startswith(f"{error.path}:{error.line}:{error.col}: runtime error:")
    except MedLangError as error:  # e.g. the mutant has no `main` any more
        assert all(d.severity == "error" for d in error.diagnostics)
