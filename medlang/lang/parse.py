"""Source text -> typed AST (medlang.lang.ast), or diagnostics in plain words.

The Lark parser is built once per process and its tables are cached on disk, so
only the first run after a grammar change pays for building them.
"""

from __future__ import annotations

import math
import os
from functools import cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from medlang.lang import ast
from medlang.lang.ast import Span
from medlang.lang.diagnostics import Diagnostic, make
from medlang.lang.values import INT_MAX
from medlang.resources import grammar_dir


class ParseFailure(Exception):
    """The source could not be turned into an AST; carries the diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(diagnostics[0].message if diagnostics else "parse failure")
        self.diagnostics = diagnostics


@cache
def parser() -> Lark:
    return Lark.open(
        str(grammar_dir() / "medlang.lark"),
        parser="lalr",
        # Positions: every token is kept and the AST builder derives each node's
        # span from its first and last token, in one place. Lark's
        # propagate_positions does the same per reduction but costs ~40% of the
        # parse time, and the 2,000-line parse+check budget is 300 ms.
        keep_all_tokens=True,
        cache=_cache_file(),
    )


# Terminals the AST builder needs to see; punctuation and keywords only locate.
_OPERATORS = {"OR", "AND", "EQ", "NE", "LE", "GE", "LT", "GT", "PLUS", "MINUS", "STAR", "SLASH"}
_KEPT_TERMINALS = frozenset(
    {"NAME", "INT", "FLOAT", "STRING", "LET", "VAR", "PERCENT", "BANG", *_OPERATORS}
)


def _cache_file() -> str | bool:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    directory = Path(base) / "medlang"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return True  # Lark falls back to a file in the temp directory
    # Lark stores a hash of the grammar in the file and rebuilds when it changes.
    return str(directory / "medlang-grammar.lark.cache")


def parse_module(source: str, path: str) -> ast.Module:
    """Parse one file. Raises ParseFailure with diagnostics on any syntax problem."""
    try:
        tree = parser().parse(source)
    except UnexpectedInput as error:
        raise ParseFailure([_syntax_diagnostic(error, source, path)]) from None
    builder = _AstBuilder(source, path)
    try:
        module = builder.transform(tree)
    except RecursionError:
        raise _too_deep(path, source) from None
    if builder.problems:
        raise ParseFailure(builder.problems)
    return module


def _too_deep(path: str, source: str) -> ParseFailure:
    span = Span(1, 1, 1, 2)
    return ParseFailure(
        [make("error", "program is nested too deeply to parse", path, span, source)]
    )


# ---- syntax errors in plain words -------------------------------------------------
_WORDS = {
    "NAME": "a name",
    "INT": "an integer",
    "FLOAT": "a float",
    "STRING": "a string",
    "RECORD_OPEN": "'{'",
    "$END": "end of file",
}


def _describe_terminal(name: str) -> str:
    if name in _WORDS:
        return _WORDS[name]
    for terminal in parser().terminals:
        if terminal.name == name:
            if terminal.pattern.type == "str":
                return f"'{terminal.pattern.value}'"
            break
    return name.lower()


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    if token.type in ("NAME", "INT", "FLOAT", "STRING"):
        noun = _WORDS[token.type].split(" ", 1)[1]  # "a name" -> "name"
        return f"{noun} {token}" if token.type == "STRING" else f"{noun} '{token}'"
    return f"'{token}'"


_CLOSERS = ("';'", "'}'", "')'", "']'", "','", "'=>'")


def _expected_list(names: set[str]) -> str:
    """Expected tokens in words, closing punctuation first: it is what is most
    often missing."""
    words = sorted(
        {_describe_terminal(n) for n in names},
        key=lambda w: (_CLOSERS.index(w) if w in _CLOSERS else len(_CLOSERS), w),
    )
    if len(words) > 10:
        words = words[:10] + ["..."]
    return ", ".join(words)


def _syntax_diagnostic(error: UnexpectedInput, source: str, path: str) -> Diagnostic:
    line, col = max(error.line, 1), max(error.column, 1)
    width = 1
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            line, col = _end_position(source)
            message = "unexpected end of file"
        else:
            width = max(len(str(token)), 1)
            message = f"unexpected {_describe_token(token)}"
        expected = _expected_list(set(error.expected))
        hint = f"expected {expected}" if expected else None
        if "SEMICOLON" in error.expected and len(error.expected) <= 6:
            hint = "expected ';' (statements end with ';')"
        missing_semicolon = _end_of_previous_line(source, token)
        if "SEMICOLON" in error.expected and missing_semicolon is not None:
            # `let a = 1` <newline> `let b = 2;`: the ';' is missing where the
            # line ends, not where the next statement starts.
            line, col = missing_semicolon
            width = 1
            message = "missing ';' at the end of this line"
            hint = f"the next line starts with {_describe_token(token)}"
    elif isinstance(error, UnexpectedCharacters):
        char = source[error.pos_in_stream] if error.pos_in_stream < len(source) else "?"
        message = f"unexpected character {char!r}"
        allowed = set(error.allowed or ())
        hint = f"expected {_expected_list(allowed)}" if allowed else None
        if char == '"':
            message, hint = "unterminated string", "close it with '\"' on the same line"
    elif isinstance(error, UnexpectedEOF):
        line, col = _end_position(source)
        message = "unexpected end of file"
        hint = f"expected {_expected_list(set(error.expected))}" if error.expected else None
    else:  # pragma: no cover - Lark has no other kinds today
        message = "syntax error"
        hint = None
    span = Span(line, col, line, col + width)
    return make("error", f"syntax error: {message}", path, span, source, hint)


def _end_of_previous_line(source: str, token: Token) -> tuple[int, int] | None:
    """Where the previous code line ends, if ``token`` starts a later line."""
    if token.type == "$END" or token.start_pos is None:
        return None
    lines = source.splitlines()
    if source[: token.start_pos].strip() == "" or not 1 < token.line <= len(lines):
        return None
    if lines[token.line - 1][: token.column - 1].strip():
        return None  # the token does not start its line
    for index in range(token.line - 2, -1, -1):
        code = _strip_line_comment(lines[index]).rstrip()
        if code:
            return index + 1, len(code) + 1
    return None


def _strip_line_comment(line: str) -> str:
    in_string = False
    for index, char in enumerate(line):
        if char == '"' and (index == 0 or line[index - 1] != "\\"):
            in_string = not in_string
        elif not in_string and line.startswith("//", index):
            return line[:index]
    return line


def _end_position(source: str) -> tuple[int, int]:
    lines = source.splitlines() or [""]
    # Point just past the last non-blank line, where the missing text belongs.
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].strip():
            return index + 1, len(lines[index]) + 1
    return 1, 1


# ---- tree -> AST --------------------------------------------------------------------
def _span(meta: Span | None) -> Span:
    return meta if meta is not None else ast.NO_SPAN


def _tspan(token: Token) -> Span:
    return Span(token.line, token.column, token.end_line, token.end_column)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r", "0": "\0"}


class _AstBuilder:
    """One small method per grammar alternative, called bottom-up with the node's
    meta (positions) and its already-built children.

    A hand-written walker rather than ``lark.Transformer``: it is about twice as
    fast, which matters for the parse+check budget, and errors need no unwrapping.
    """

    def __init__(self, source: str, path: str) -> None:
        self.source = source
        self.path = path
        self.problems: list[Diagnostic] = []
        # `9223372036854775808` is an Int only as the operand of unary minus (i64::MIN);
        # such literals wait here until `unary` claims them.
        self._unnegated: dict[int, tuple[ast.IntLit, Token]] = {}
        self._methods = {
            name: getattr(self, name)
            for name in dir(type(self))
            if not name.startswith("_") and name not in ("source", "path", "problems", "transform")
        }

    def transform(self, tree: Tree):
        methods = self._methods
        kept = _KEPT_TERMINALS

        def build(node: Tree):
            """(AST value, first token, last token) of a subtree."""
            first = last = None
            children = []
            for child in node.children:
                if type(child) is Tree:
                    value, child_first, child_last = build(child)
                    children.append(value)
                else:
                    child_first = child_last = child
                    if child.type in kept:
                        children.append(child)
                if child_first is not None:
                    if first is None:
                        first = child_first
                    last = child_last
            if node.data == "s_atom":  # `( expr )`: the parentheses only group
                return children[0], first, last
            span = None
            if first is not None:
                span = Span(first.line, first.column, last.end_line, last.end_column)
            method = methods.get(node.data)
            if method is None:  # pragma: no cover - grammar/AST drift
                raise AssertionError(f"no AST builder for grammar rule {node.data!r}")
            return method(span, children), first, last

        result = build(tree)[0]
        for _, token in self._unnegated.values():
            self._int_too_large(token)
        return result

    def _problem(self, message: str, span: Span, hint: str | None = None) -> None:
        self.problems.append(make("error", message, self.path, span, self.source, hint))

    def _int(self, token: Token, negated: bool = False) -> int:
        try:
            value = int(token)
        except ValueError:  # Python refuses to read ints of more than 4300 digits
            self._problem(f"integer literal is too large ({len(token)} digits)", _tspan(token))
            return 0
        if value > INT_MAX + negated:
            self._int_too_large(token)
            return 0
        return value

    def _int_too_large(self, token: Token) -> None:
        message = f"integer literal is too large for Int (a 64-bit integer, at most {INT_MAX})"
        self._problem(message, _tspan(token))

    def _float(self, token: Token) -> float:
        value = float(token)
        if math.isinf(value):
            message = "float literal is out of range for Float (it would be infinite)"
            self._problem(message, _tspan(token))
        return value

    # -- module level
    def start(self, meta, children):
        name = None
        imports, exports, items = [], [], []
        for child in children:
            if isinstance(child, tuple) and child[0] == "module":
                name = child[1]
            elif isinstance(child, ast.Import):
                imports.append(child)
            elif isinstance(child, ast.Export):
                exports.append(child)
            else:
                items.append(child)
        return ast.Module(name, tuple(imports), tuple(exports), tuple(items), _span(meta))

    def module_decl(self, meta, children):
        return ("module", children[0][0])

    def dotted(self, meta, children):
        return (".".join(str(c) for c in children), _span(meta))

    def name_list(self, meta, children):
        return tuple((str(c), _tspan(c)) for c in children)

    def import_all(self, meta, children):
        (module, module_span) = children[0]
        return ast.Import(module, None, module_span, _span(meta))

    def import_one(self, meta, children):
        (module, module_span), name = children
        return ast.Import(module, ((str(name), _tspan(name)),), module_span, _span(meta))

    def import_many(self, meta, children):
        (module, module_span), names = children
        return ast.Import(module, names, module_span, _span(meta))

    def export_one(self, meta, children):
        return ast.Export(((str(children[-1]), _tspan(children[-1])),), _span(meta))

    def export_many(self, meta, children):
        return ast.Export(children[0], _span(meta))

    def export_all(self, meta, children):
        return ast.Export(None, _span(meta))

    def enum_decl(self, meta, children):
        name, *variants = children
        return ast.EnumDecl(
            str(name), tuple((str(v), _tspan(v)) for v in variants), _tspan(name), _span(meta)
        )

    def type_decl(self, meta, children):
        name, type_expr = children
        return ast.TypeDecl(str(name), type_expr, _tspan(name), _span(meta))

    def fn_decl(self, meta, children):
        name, type_params, params, *rest = self._with_type_params(children)
        return_type = rest[0] if len(rest) == 2 else None
        return ast.FnDecl(
            str(name), params, return_type, rest[-1], _tspan(name), _span(meta), type_params
        )

    def extern_decl(self, meta, children):
        name, type_params, params, *rest = self._with_type_params(children)
        return_type = rest[0] if rest else None
        return ast.FnDecl(
            str(name), params, return_type, None, _tspan(name), _span(meta), type_params
        )

    @staticmethod
    def _with_type_params(children):
        """[name, (type params)?, params, ...] -> [name, type params (maybe ()), params, ...]"""
        if len(children) > 1 and isinstance(children[1], _TypeParams):
            return [children[0], children[1].names, *children[2:]]
        return [children[0], (), *children[1:]]

    def type_params(self, meta, children):
        names = [c for c in children if c.type == "NAME"]
        return _TypeParams(tuple((str(n), _tspan(n)) for n in names))

    def params(self, meta, children):
        return tuple(children)

    def param(self, meta, children):
        name, type_expr = children
        return ast.Param(str(name), type_expr, _span(meta))

    def return_type(self, meta, children):
        return children[0]

    # -- types
    def type_name(self, meta, children):
        return ast.TypeName(str(children[0]), (), _span(meta))

    def type_generic(self, meta, children):
        name = children[0]
        args = tuple(c for c in children[1:] if not isinstance(c, Token))
        return ast.TypeName(str(name), args, _span(meta))

    def type_record(self, meta, children):
        return ast.RecordTypeExpr(tuple(children), _span(meta))

    def type_fn(self, meta, children):
        return ast.FnTypeExpr(children[0], None, _span(meta))

    def type_fn_result(self, meta, children):
        return ast.FnTypeExpr(children[0], children[1], _span(meta))

    def fn_type_params(self, meta, children):
        return tuple(children)

    def type_tuple(self, meta, children):
        return ast.TupleTypeExpr(tuple(children), _span(meta))

    def field_type(self, meta, children):
        name, type_expr = children
        return (str(name), type_expr, _tspan(name))

    # -- statements
    def block(self, meta, children):
        stmts = list(children)
        tail = None
        if stmts and not isinstance(stmts[-1], _STMT_TYPES):
            tail = stmts.pop()
        elif stmts and isinstance(stmts[-1], _OpenBlocklike):
            tail = stmts.pop().expr
        stmts = [
            ast.ExprStmt(s.expr, s.expr.span) if isinstance(s, _OpenBlocklike) else s for s in stmts
        ]
        return ast.Block(tuple(stmts), tail, _span(meta))

    def let_stmt(self, meta, children):
        keyword, name, *rest = children
        declared = rest[0] if len(rest) == 2 else None
        mutable = keyword.type == "VAR"
        return ast.Let(str(name), mutable, declared, rest[-1], _tspan(name), _span(meta))

    def let_tuple(self, meta, children):
        keyword, pattern, *rest = children
        declared = rest[0] if len(rest) == 2 else None
        mutable = keyword.type == "VAR"
        return ast.Let("", mutable, declared, rest[-1], pattern.span, _span(meta), pattern)

    def tuple_pat(self, meta, children):
        return ast.PTuple(tuple(children), _span(meta))

    def assign_stmt(self, meta, children):
        name, value = children
        return ast.Assign(str(name), value, _tspan(name), _span(meta))

    def for_stmt(self, meta, children):
        var, iterable, body = children
        return ast.For(str(var), iterable, body, _tspan(var), _span(meta))

    def for_tuple(self, meta, children):
        pattern, iterable, body = children
        return ast.For("", iterable, body, pattern.span, _span(meta), pattern)

    def while_stmt(self, meta, children):
        condition, body = children
        return ast.While(condition, body, _span(meta))

    def break_stmt(self, meta, children):
        return ast.Break(_span(meta))

    def continue_stmt(self, meta, children):
        return ast.Continue(_span(meta))

    def return_stmt(self, meta, children):
        return ast.Return(children[0] if children else None, _span(meta))

    def expr_stmt(self, meta, children):
        return ast.ExprStmt(children[0], _span(meta))

    def blocklike_stmt(self, meta, children):
        return _OpenBlocklike(children[0])

    def blocklike_semi(self, meta, children):
        return ast.ExprStmt(children[0], _span(meta))

    # -- expressions
    def if_expr(self, meta, children):
        condition, then, *rest = children
        return ast.If(condition, then, rest[0] if rest else None, _span(meta))

    def match_expr(self, meta, children):
        subject, *arms = children
        return ast.Match(subject, tuple(arms), _span(meta))

    def arm_block(self, meta, children):
        return self._arm(meta, children)

    def arm_expr(self, meta, children):
        return self._arm(meta, children)

    def _arm(self, meta, children):
        pattern, *rest = children
        guard = rest[0] if len(rest) == 2 else None
        return ast.MatchArm(pattern, guard, rest[-1], _span(meta))

    def guard(self, meta, children):
        return children[0]

    def binary(self, meta, children):
        left, op, right = children
        return ast.Binary(str(op), left, right, _tspan(op), _span(meta))

    def unary(self, meta, children):
        op, operand = children
        if op == "-" and self._unnegated.pop(id(operand), None) is not None:
            return ast.IntLit(-operand.value, _span(meta))  # i64::MIN
        return ast.Unary(str(op), operand, _span(meta))

    def field(self, meta, children):
        target, name = children
        return ast.Field(target, str(name), _tspan(name), _span(meta))

    def index(self, meta, children):
        target, index = children
        return ast.Index(target, index, _span(meta))

    def call(self, meta, children):
        name, args = children
        return ast.Call(str(name), args, _tspan(name), _span(meta))

    def args(self, meta, children):
        return tuple(children)

    def method_call(self, meta, children):
        target, name, args = children
        return ast.Call(str(name), (target, *args), _tspan(name), _span(meta), method=True)

    def tuple_field(self, meta, children):
        target, index = children
        return ast.TupleField(target, self._int(index), _tspan(index), _span(meta))

    def tuple_lit(self, meta, children):
        return ast.TupleLit(tuple(children), _span(meta))

    def closure(self, meta, children):
        params, *rest = children
        return_type = rest[0] if len(rest) == 2 else None
        return ast.Closure(params, return_type, rest[-1], _span(meta))

    def closure0(self, meta, children):
        children = [c for c in children if not isinstance(c, Token)]  # the `||`
        return self.closure(meta, [(), *children])

    def closure_params(self, meta, children):
        return tuple(children)

    def closure_param(self, meta, children):
        name, *rest = children
        return ast.ClosureParam(str(name), rest[0] if rest else None, _span(meta))

    def int_lit(self, meta, children):
        literal = ast.IntLit(self._int(children[0], negated=True), _span(meta))
        if literal.value > INT_MAX:
            self._unnegated[id(literal)] = (literal, children[0])  # keeps the id unique
        return literal

    def float_lit(self, meta, children):
        return ast.FloatLit(self._float(children[0]), _span(meta))

    def string_lit(self, meta, children):
        return ast.StringLit(self._unescape(children[0]), _span(meta))

    def true_lit(self, meta, children):
        return ast.BoolLit(True, _span(meta))

    def false_lit(self, meta, children):
        return ast.BoolLit(False, _span(meta))

    def none_lit(self, meta, children):
        return ast.NoneLit(_span(meta))

    def unit_lit(self, meta, children):
        return ast.UnitLit(_span(meta))

    def some_expr(self, meta, children):
        return ast.SomeExpr(children[0], _span(meta))

    def name(self, meta, children):
        return ast.Name(str(children[0]), _span(meta))

    def enum_ref(self, meta, children):
        enum, variant = children
        return ast.EnumRef(str(enum), str(variant), _span(meta))

    def vector_lit(self, meta, children):
        return ast.VectorLit(tuple(children), _span(meta))

    def record_lit(self, meta, children):
        fields = tuple(c for c in children if isinstance(c, tuple))
        return ast.RecordLit(fields, _span(meta))

    def field_init(self, meta, children):
        name, value = children
        return (str(name), value, _tspan(name))

    # -- patterns
    def pattern(self, meta, children):
        if len(children) == 1:
            return children[0]
        return ast.POr(tuple(children), _span(meta))

    def pat_variant(self, meta, children):
        enum, variant, *payload = children
        return ast.PVariant(str(enum), str(variant), _span(meta), *payload)

    def pat_some(self, meta, children):
        return ast.PSome(children[0], _span(meta))

    def pat_none(self, meta, children):
        return ast.PNone(_span(meta))

    def pat_tuple(self, meta, children):
        return ast.PTuple(tuple(children), _span(meta))

    def pat_name(self, meta, children):
        name = str(children[0])
        if name == "_":
            return ast.PWildcard(_span(meta))
        return ast.PBind(name, _span(meta))

    def pat_int(self, meta, children):
        value = self._int(children[-1], negated=len(children) == 2)
        return ast.PLiteral(-value if len(children) == 2 else value, _span(meta))

    def pat_float(self, meta, children):
        value = self._float(children[-1])
        return ast.PLiteral(-value if len(children) == 2 else value, _span(meta))

    def pat_string(self, meta, children):
        return ast.PLiteral(self._unescape(children[0]), _span(meta))

    def pat_true(self, meta, children):
        return ast.PLiteral(True, _span(meta))

    def pat_false(self, meta, children):
        return ast.PLiteral(False, _span(meta))

    # -- helpers
    def _unescape(self, token: Token) -> str:
        text = str(token)[1:-1]
        if "\\" not in text:
            return text
        out: list[str] = []
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                if nxt in _ESCAPES:
                    out.append(_ESCAPES[nxt])
                else:
                    col = token.column + 1 + i
                    span = Span(token.line, col, token.line, col + 2)
                    self._problem(
                        f"unknown escape sequence '\\{nxt}' in string",
                        span,
                        hint='known escapes: \\n \\t \\" \\\\ \\r \\0',
                    )
                    out.append(nxt)
                i += 2
            else:
                out.append(ch)
                i += 1
        return "".join(out)


class _TypeParams:
    __slots__ = ("names",)

    def __init__(self, names: tuple[tuple[str, Span], ...]) -> None:
        self.names = names


class _OpenBlocklike:
    """An `if`/`match` statement without `;`: the block's value if it comes last."""

    __slots__ = ("expr",)

    def __init__(self, expr) -> None:
        self.expr = expr


_STMT_TYPES = (
    ast.Let,
    ast.Assign,
    ast.For,
    ast.While,
    ast.Break,
    ast.Continue,
    ast.Return,
    ast.ExprStmt,
    _OpenBlocklike,
)
