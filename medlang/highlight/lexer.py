"""A Pygments lexer for MedLang.

Registered as the ``pygments.lexers`` entry point ``medlang``, so anything that
highlights with Pygments (Sphinx/MyST, MkDocs, GitLab, ``pygmentize -l medlang``)
colours the ```` ```medlang ```` blocks of ``docs/language.md`` and the example
programs. Builtin names come from the one builtin table, so a new builtin is
highlighted as soon as it exists. The last rule turns any character the
language does not have into an Error token; the tests lex every example and
every program of the reference and find none.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

KEYWORDS = (
    "module", "import", "export", "enum", "type", "fn", "extern", "let", "var",
    "for", "in", "while", "break", "continue", "return", "if", "else", "match",
)  # fmt: skip
TYPES = (
    "Int", "Float", "Bool", "String", "Unit", "Vector", "Option", "Map",
    "Timestamp", "Json", "Rng",
)  # fmt: skip
CONSTANTS = ("true", "false", "None", "Some", "PI", "E", "INFINITY", "NAN")


def _builtin_names() -> tuple[str, ...]:
    from medlang.lang.builtins import BUILTINS

    return tuple(sorted(BUILTINS, key=len, reverse=True))


class MedLangLexer(RegexLexer):
    name = "MedLang"
    aliases = ["medlang"]
    filenames = ["*.medlang"]
    mimetypes = ["text/x-medlang"]

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"///[^\n]*", String.Doc),
            (r"//[^\n]*", Comment.Single),
            (r"/\*", Comment.Multiline, "block_comment"),
            (r'"', String, "string"),
            (r"\d+\.\d+([eE][+-]?\d+)?|\d+[eE][+-]?\d+", Number.Float),
            (r"\d+", Number.Integer),
            (r"(fn)(\s+)([A-Za-z_]\w*)", bygroups(Keyword, Whitespace, Name.Function)),
            (r"(enum|type)(\s+)([A-Za-z_]\w*)", bygroups(Keyword, Whitespace, Name.Class)),
            (words(KEYWORDS, suffix=r"\b"), Keyword),
            (words(CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(TYPES, suffix=r"\b"), Keyword.Type),
            (words(_builtin_names(), prefix=r"\b", suffix=r"\b(?=\s*\()"), Name.Builtin),
            (r"[A-Z]\w*", Name.Class),
            (r"[a-z_]\w*", Name),
            (r"::|=>|->|\|\||&&|==|!=|<=|>=|[-+*/%!<>=|]", Operator),
            (r"[{}()\[\];:,.]", Punctuation),
            (r".", Error),
        ],
        "block_comment": [
            (r"[^*]+", Comment.Multiline),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"\*", Comment.Multiline),
        ],
        "string": [
            (r'\\[nrt0"\\]', String.Escape),
            (r"\\.", Error),
            (r"\{\{|\}\}", String.Escape),
            (r"\{[^{}\"\n]*\}", String.Interpol),
            (r'[^"\\{}\n]+', String),
            (r"[{}]", String),
            (r'"', String, "#pop"),
            (r"\n", Error),
        ],
    }
