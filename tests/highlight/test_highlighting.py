"""The Pygments lexer and the TextMate grammar, run over every example program
and every program of the language reference: no error tokens, no illegal scopes,
and the tokens that matter get the right kinds."""

from __future__ import annotations

import importlib
import json
import re
import tomllib
from pathlib import Path

import pytest
from pygments.token import Error, Keyword, Name, Number, String

from medlang.highlight.lexer import MedLangLexer
from medlang.lang.builtins import BUILTINS

ROOT = Path(__file__).resolve().parents[2]
GRAMMAR = json.loads((ROOT / "editors" / "medlang.tmLanguage.json").read_text())
REFERENCE = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")

SOURCES = {
    path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "examples").rglob("*.medlang"))
}
SOURCES.update(
    (f"docs/language.md#program{i}", block)
    for i, block in enumerate(re.findall(r"```medlang\n(.*?)```", REFERENCE, re.S))
)
SOURCES.update((f"stdlib/{p.name}", p.read_text()) for p in (ROOT / "stdlib" / "med").iterdir())

SAMPLE = 'fn main() {\n  let x: Float = 1.5e3; // note\n  println("{} {{", sqrt(x));\n}\n'


# ---- Pygments ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SOURCES))
def test_the_lexer_has_no_error_tokens(name: str) -> None:
    tokens = list(MedLangLexer().get_tokens(SOURCES[name]))
    errors = [text for kind, text in tokens if kind in Error]
    assert errors == [], name
    assert "".join(text for _, text in tokens) == SOURCES[name] + (
        "" if SOURCES[name].endswith("\n") else "\n"
    )


def test_the_lexer_gives_each_token_its_kind() -> None:
    kinds = {text: kind for kind, text in MedLangLexer().get_tokens(SAMPLE) if text.strip()}
    assert kinds["fn"] in Keyword and kinds["main"] in Name.Function
    assert kinds["Float"] in Keyword.Type and kinds["1.5e3"] in Number.Float
    assert kinds["println"] in Name.Builtin and kinds["sqrt"] in Name.Builtin
    assert kinds["{}"] in String.Interpol and kinds["// note"].parent is not None
    assert [k for k, t in MedLangLexer().get_tokens("let x = 1 @ 2;") if t == "@"] == [Error]


def test_the_lexer_is_registered_as_a_pygments_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    target = project["entry-points"]["pygments.lexers"]["medlang"]
    module, _, attribute = target.partition(":")
    assert getattr(importlib.import_module(module), attribute) is MedLangLexer
    assert "medlang" in MedLangLexer.aliases and "*.medlang" in MedLangLexer.filenames


# ---- TextMate -----------------------------------------------------------------------------
def _patterns(rules: list[dict]) -> list[dict]:
    """The rules with every `include` of the repository expanded, in order."""
    flat: list[dict] = []
    for rule in rules:
        if "include" in rule:
            flat.extend(_patterns(GRAMMAR["repository"][rule["include"][1:]]["patterns"]))
        else:
            flat.append(rule)
    return flat


def tokenize(source: str) -> list[tuple[tuple[str, ...], str]]:
    """A small TextMate engine (match and begin/end rules, includes), line by line:
    (scopes, text) for every piece of the source, including unscoped gaps."""
    pieces: list[tuple[tuple[str, ...], str]] = []
    stack: list[dict] = []  # open begin/end rules
    for line in source.splitlines(keepends=True):
        pos = 0
        while pos < len(line):
            scopes = tuple(rule["name"] for rule in stack)
            rules = (
                _patterns(stack[-1].get("patterns", []))
                if stack
                else _patterns(GRAMMAR["patterns"])
            )
            best: tuple[int, int, dict | None, re.Match] | None = None
            if stack:
                end = re.compile(stack[-1]["end"]).search(line, pos)
                if end:
                    best = (end.start(), 0, None, end)
            for order, rule in enumerate(rules, start=1):
                found = re.compile(rule.get("match") or rule["begin"]).search(line, pos)
                if found and (best is None or found.start() < best[0]):
                    best = (found.start(), order, rule, found)
            if best is None:
                pieces.append((scopes, line[pos:]))
                break
            start, _, rule, found = best
            if start > pos:
                pieces.append((scopes, line[pos:start]))
            if rule is None:  # the open rule ends
                pieces.append((scopes, found.group()))
                stack.pop()
            elif "begin" in rule:
                stack.append(rule)
                pieces.append((scopes + (rule["name"],), found.group()))
            elif "captures" in rule:  # each captured group gets its own scope
                at = start
                for group, capture in sorted(rule["captures"].items(), key=lambda c: int(c[0])):
                    g = int(group)
                    if found.start(g) > at:
                        pieces.append((scopes, line[at : found.start(g)]))
                    pieces.append((scopes + (capture["name"],), found.group(g)))
                    at = found.end(g)
            else:
                pieces.append((scopes + (rule["name"],), found.group()))
            pos = max(found.end(), pos + 1 if found.end() == start else found.end())
    return pieces


@pytest.mark.parametrize("name", list(SOURCES))
def test_the_textmate_grammar_finds_nothing_illegal(name: str) -> None:
    pieces = tokenize(SOURCES[name])
    illegal = [text for scopes, text in pieces if any("invalid" in s for s in scopes)]
    assert illegal == [], name
    unscoped = [text for scopes, text in pieces if not scopes and text.strip()]
    assert unscoped == [], name


def test_the_textmate_grammar_scopes_tokens() -> None:
    scoped = {text: scopes[-1] for scopes, text in tokenize(SAMPLE) if scopes}
    assert scoped["1.5e3"] == "constant.numeric.float.medlang"
    assert scoped["println"] == "support.function.builtin.medlang"
    assert scoped["{}"] == "constant.other.placeholder.medlang"
    assert scoped["// note"] == "comment.line.double-slash.medlang"
    assert any("invalid" in s[-1] for s, t in tokenize("let x = 1 @ 2;") if s and t == "@")


def test_the_textmate_grammar_knows_every_builtin() -> None:
    rule = GRAMMAR["repository"]["builtins"]["patterns"][0]["match"]
    names = set(re.search(r"\(\?:(.*?)\)", rule).group(1).split("|"))
    assert names == set(BUILTINS), "regenerate the builtins pattern of the grammar"
    assert GRAMMAR["scopeName"] == "source.medlang" and "medlang" in GRAMMAR["fileTypes"]


def test_the_reference_renders_to_html_with_highlighted_medlang(tmp_path: Path) -> None:
    from medlang.highlight.reference import main

    out = tmp_path / "language.html"
    assert main([str(ROOT / "docs" / "language.md"), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('<div class="highlight">') == REFERENCE.count("```medlang")
    assert '<span class="k">fn</span>' in page and '<span class="nb">println</span>' in page
    assert '<span class="err">' not in page
    assert "<table>" in page and "<td><code>exp</code></td>" in page
