"""Static checker, function bodies: statements and blocks (``let`` with inferred
types, assignment only to ``var``, loops with ``break``/``continue``, ``return``
against the declared type); expressions are typed by ``check_expr``.
"""

from __future__ import annotations

from medlang.lang import ast
from medlang.lang.ast import Span
from medlang.lang.check import FnSig, ModuleScope, did_you_mean
from medlang.lang.check_expr import DISCARD, ExprChecker, Scope, Var
from medlang.lang.types import (
    ANY,
    STRING,
    UNIT,
    AnyType,
    MapType,
    TupleType,
    Type,
    VectorType,
    compatible,
    join,
)


def check_function(module: ModuleScope, sig: FnSig) -> None:
    checker = BodyChecker(module, sig)
    scope = Scope()
    for param, (name, param_type) in zip(sig.decl.params, sig.params, strict=True):
        scope.vars[name] = Var(param_type, False, param.span, "parameter")
    module.type_vars = {t.name: t for t in sig.type_params}
    try:
        checker.function_body(sig.decl.body, scope)
    finally:
        module.type_vars = {}


def _closing_brace(span: Span) -> Span:
    return Span(span.end_line, max(span.end_col - 1, 1), span.end_line, span.end_col)


class BodyChecker(ExprChecker):
    def __init__(self, module: ModuleScope, sig: FnSig) -> None:
        super().__init__(module, sig)
        self.loops = 0
        self._stmt = {
            ast.Let: self._let,
            ast.Assign: self._assign,
            ast.For: self._for,
            ast.While: self._while,
            ast.Break: self._loop_jump,
            ast.Continue: self._loop_jump,
            ast.Return: self._return,
            ast.ExprStmt: lambda st, s: self.expr(st.expr, s, DISCARD),
        }

    # -- function and blocks
    def function_body(self, body: ast.Block, scope: Scope) -> Type:
        wanted = self.sig.result
        if wanted == UNIT:
            self.block(body, scope, DISCARD)
            return UNIT
        actual = self.block(body, scope, wanted)
        if body.tail is None and not diverges(body):
            self.error(
                _closing_brace(body.span),
                f"function '{self.sig.name}' must return {wanted}, "
                "but its body ends without a value",
                "end the body with an expression (no ';') or a `return`",
            )
        elif body.tail is not None and not compatible(wanted, actual):
            self.error(
                body.tail.span,
                f"function '{self.sig.name}' returns {wanted}, "
                f"but this expression has type {actual}",
            )
        return wanted

    def block(self, block: ast.Block, scope: Scope, expected: Type | None = None) -> Type:
        with scope.child() as inner:
            for stmt in block.stmts:
                self._stmt[type(stmt)](stmt, inner)
            if block.tail is not None:
                return self.expr(block.tail, inner, expected)
        return ANY if diverges(block) else UNIT

    # -- statements
    def _let(self, stmt: ast.Let, scope: Scope) -> None:
        declared = self.m.resolve_type(stmt.declared_type) if stmt.declared_type else None
        actual = self.expr(stmt.value, scope, declared)
        if declared is not None and not compatible(declared, actual):
            self.error(
                stmt.value.span,
                f"'{stmt.name}' is declared as {declared}, but the value has type {actual}",
            )
        var_type = declared if declared is not None else actual
        if stmt.pattern is not None:
            kind = "var" if stmt.mutable else "let"
            self.destructure(stmt.pattern, var_type, scope, kind, stmt.mutable)
            return
        scope.vars[stmt.name] = Var(
            var_type, stmt.mutable, stmt.name_span, "var" if stmt.mutable else "let"
        )

    def destructure(
        self, pattern: ast.Pattern, value: Type, scope: Scope, kind: str, mutable: bool = False
    ) -> None:
        """Bind the names of ``(a, (b, _))`` to the parts of a tuple type."""
        if isinstance(pattern, ast.PBind):
            scope.vars[pattern.name] = Var(value, mutable, pattern.span, kind)
            return
        if not isinstance(pattern, ast.PTuple):
            return  # `_`
        items: tuple[Type, ...]
        if isinstance(value, TupleType) and len(value.items) == len(pattern.items):
            items = value.items
        else:
            if not isinstance(value, AnyType):
                self.error(
                    pattern.span,
                    f"cannot destructure {value} into {len(pattern.items)} parts",
                    "a pattern `(a, b)` takes apart a tuple of the same size",
                )
            items = (ANY,) * len(pattern.items)
        for part, part_type in zip(pattern.items, items, strict=True):
            self.destructure(part, part_type, scope, kind, mutable)

    def _assign(self, stmt: ast.Assign, scope: Scope) -> None:
        var, captured = scope.lookup_capture(stmt.name)
        actual = self.expr(stmt.value, scope, var.type if var else None)
        if captured and var is not None:
            self.error(
                stmt.name_span,
                f"cannot assign to '{stmt.name}' inside a closure: "
                "closures capture variables by value, read-only",
                "compute the new value with fold(...), or use a loop outside the closure",
            )
            return
        if var is None:
            self.error(
                stmt.name_span,
                f"unknown variable '{stmt.name}'",
                did_you_mean(stmt.name, scope.names()) or "declare it first with `var`",
            )
            return
        if not var.mutable and var.kind == "let":
            self.error(
                stmt.name_span,
                f"cannot assign to '{stmt.name}': "
                f"it was declared with `let` at line {var.span.line}",
                "declare it with `var` to make it assignable",
            )
        elif not var.mutable:
            self.error(
                stmt.name_span,
                f"cannot assign to '{stmt.name}': it is a {var.kind} (line {var.span.line})",
                f"copy it into a new variable first: var {stmt.name}2 = {stmt.name};",
            )
        if not compatible(var.type, actual):
            self.error(
                stmt.value.span,
                f"cannot assign {actual} to '{stmt.name}', which has type {var.type}",
            )
        else:
            # `var best = None;` ... `best = Some(run);` teaches us best's type.
            var.type = join(var.type, actual)

    def _for(self, stmt: ast.For, scope: Scope) -> None:
        iterable = self.expr(stmt.iterable, scope)
        if isinstance(iterable, VectorType):
            element = iterable.element
        elif isinstance(iterable, MapType) and stmt.pattern is not None:
            element = TupleType((STRING, iterable.value))  # `for (key, value) in map`
        elif isinstance(iterable, MapType):
            element = STRING  # iterating a map visits its keys
        elif isinstance(iterable, AnyType):
            element = ANY
        else:
            self.error(
                stmt.iterable.span,
                f"cannot iterate over a value of type {iterable}",
                "`for` loops go over a Vector (or the keys of a Map)",
            )
            element = ANY
        with scope.child() as inner:
            if stmt.pattern is not None:
                self.destructure(stmt.pattern, element, inner, "loop variable")
            else:
                inner.vars[stmt.var] = Var(element, False, stmt.var_span, "loop variable")
            self.loops += 1
            self.block(stmt.body, inner, DISCARD)
            self.loops -= 1

    def _while(self, stmt: ast.While, scope: Scope) -> None:
        self._condition(stmt.condition, scope, "while")
        self.loops += 1
        self.block(stmt.body, scope, DISCARD)
        self.loops -= 1

    def _loop_jump(self, stmt: ast.Break | ast.Continue, scope: Scope) -> None:
        if self.loops == 0:
            word = "break" if isinstance(stmt, ast.Break) else "continue"
            self.error(stmt.span, f"`{word}` outside of a loop")

    def _return(self, stmt: ast.Return, scope: Scope) -> None:
        wanted = self.sig.result
        if stmt.value is None:
            if wanted != UNIT:
                self.error(
                    stmt.span,
                    f"function '{self.sig.name}' must return {wanted}",
                    "write `return <value>;`",
                )
            return
        actual = self.expr(stmt.value, scope, wanted)
        if not compatible(wanted, actual):
            if wanted == UNIT:
                message = (
                    f"function '{self.sig.name}' returns nothing, "
                    f"but `return` has a value of type {actual}"
                )
                hint = f"declare the return type: fn {self.sig.name}(...) -> {actual}"
            else:
                message = (
                    f"function '{self.sig.name}' returns {wanted}, but this value has type {actual}"
                )
                hint = None
            self.error(stmt.value.span, message, hint)


def diverges(block: ast.Block) -> bool:
    """Does the block always leave by `return`/`break`/`continue` before its end?"""
    if block.tail is not None:
        return _expr_diverges(block.tail)
    if not block.stmts:
        return False
    last = block.stmts[-1]
    if isinstance(last, ast.Return | ast.Break | ast.Continue):
        return True
    return isinstance(last, ast.ExprStmt) and _expr_diverges(last.expr)


def _expr_diverges(expr: ast.Expr) -> bool:
    if isinstance(expr, ast.If):
        if expr.otherwise is None:
            return False
        other = (
            diverges(expr.otherwise)
            if isinstance(expr.otherwise, ast.Block)
            else _expr_diverges(expr.otherwise)
        )
        return diverges(expr.then) and other
    if isinstance(expr, ast.Match):
        return bool(expr.arms) and all(
            isinstance(arm.body, ast.Block) and diverges(arm.body) for arm in expr.arms
        )
    return False
