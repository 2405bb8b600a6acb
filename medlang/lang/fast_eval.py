"""Expressions compiled once into Python closures, for the interpreter's hot path.

Walking the AST costs a dispatch per node per evaluation: look up the handler by
node class, call it, and inside it compare the operator string against each
case. In a loop body the same few nodes run millions of times, so the common
forms (literals, variables, arithmetic, comparisons, `&&`/`||`, unary operators)
become closures the first time they run, with their operands' closures bound in
directly. Every other form calls the interpreter's own handler, so semantics and
error messages stay in one place (``interpret.py``); this is only a faster path
to the same results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from medlang.lang import ast
from medlang.lang.values import INT_MAX, INT_MIN, Value

if TYPE_CHECKING:
    from medlang.lang.interpret import Interpreter, Scope

Code = Callable[["Scope"], Value]

_SCALARS = (int, float, str, bool)


def compile_expr(interpreter: Interpreter, expr: ast.Expr) -> Code:
    kind = type(expr)
    if kind in (ast.IntLit, ast.FloatLit, ast.StringLit, ast.BoolLit):
        value = expr.value
        return lambda scope: value
    if kind is ast.Name:
        return _name(interpreter, expr)
    if kind is ast.Binary:
        return _binary(interpreter, expr)
    if kind is ast.Unary:
        return _unary(interpreter, expr)
    if kind is ast.Field:
        return _field(interpreter, expr)
    return _by_handler(interpreter, expr)


def _field(interpreter: Interpreter, expr: ast.Field) -> Code:
    from medlang.lang.values import Record

    target = interpreter.code(expr.target)
    name = expr.name

    def field(scope):
        value = target(scope)
        if type(value) is Record:
            fields = value.fields
            if name in fields:
                return fields[name]
        return interpreter.no_field(expr, value)

    return field


def _by_handler(interpreter: Interpreter, expr: ast.Expr) -> Code:
    handler = interpreter.handler(type(expr))

    def code(scope):
        try:
            return handler(expr, scope)
        except MemoryError:  # a value grown too big: the program's doing, shown where
            interpreter.fail("out of memory", expr.span)

    return code


def _name(interpreter: Interpreter, expr: ast.Name) -> Code:
    from medlang.lang.interpret import _Growing

    name = expr.name
    fallback = interpreter.handler(ast.Name)

    def code(scope):
        current = scope
        while current is not None:
            variables = current.vars
            if name in variables:
                value = variables[name]
                return value.frozen() if type(value) is _Growing else value
            current = current.parent
        return fallback(expr, scope)  # a function used as a value, a constant, or an error

    return code


_LITERALS = (ast.IntLit, ast.FloatLit)


def _binary(interpreter: Interpreter, expr: ast.Binary) -> Code:
    op = expr.op
    if type(expr.right) in _LITERALS and op in _WITH_CONSTANT:
        return _WITH_CONSTANT[op](interpreter, expr)
    left = interpreter.code(expr.left)
    right = interpreter.code(expr.right)
    fail = interpreter.fail
    span = expr.span

    # Int is i64: leaving its range is Rust's debug-build overflow panic.
    if op == "+":

        def add(scope):
            try:
                result = left(scope) + right(scope)
            except MemoryError:  # joining two huge strings
                fail("out of memory", span)
            if type(result) is int and not INT_MIN <= result <= INT_MAX:
                fail("integer overflow", span)
            return result

        return add
    if op == "-":

        def subtract(scope):
            result = left(scope) - right(scope)
            if type(result) is int and not INT_MIN <= result <= INT_MAX:
                fail("integer overflow", span)
            return result

        return subtract
    if op == "*":

        def multiply(scope):
            result = left(scope) * right(scope)
            if type(result) is int and not INT_MIN <= result <= INT_MAX:
                fail("integer overflow", span)
            return result

        return multiply
    if op == "/" or op == "%":
        divide = interpreter._divide
        quotient = op == "/"

        def division(scope):
            a = left(scope)
            b = right(scope)
            if type(a) is int and a >= 0 and b > 0:  # the common case; Python agrees with Rust
                return a // b if quotient else a % b
            return divide(expr, a, b)  # signs, zero, floats: the general rules

        return division
    if op == "&&":
        return lambda scope: left(scope) and right(scope)
    if op == "||":
        return lambda scope: left(scope) or right(scope)
    if op == "==" or op == "!=":
        from medlang.lang.interpret import values_equal

        negate = op == "!="

        def equal(scope):
            a = left(scope)
            b = right(scope)
            same = a == b if type(a) in _SCALARS else values_equal(a, b)
            return not same if negate else same

        return equal
    if op == "<":
        return lambda scope: left(scope) < right(scope)
    if op == "<=":
        return lambda scope: left(scope) <= right(scope)
    if op == ">":
        return lambda scope: left(scope) > right(scope)
    if op == ">=":
        return lambda scope: left(scope) >= right(scope)
    return _by_handler(interpreter, expr)


# `i + 1`, `i < n_max`-style forms with a number literal on the right, the most
# common in loops: the constant is bound in, saving a call per evaluation.
def _add_constant(interpreter: Interpreter, expr: ast.Binary) -> Code:
    left = interpreter.code(expr.left)
    constant = expr.right.value
    fail = interpreter.fail
    span = expr.span
    sign = 1 if expr.op == "+" else -1
    constant = constant * sign

    def add(scope):
        result = left(scope) + constant
        if type(result) is int and not INT_MIN <= result <= INT_MAX:
            fail("integer overflow", span)
        return result

    return add


def _compare_constant(interpreter: Interpreter, expr: ast.Binary) -> Code:
    left = interpreter.code(expr.left)
    c = expr.right.value
    op = expr.op
    if op == "<":
        return lambda scope: left(scope) < c
    if op == "<=":
        return lambda scope: left(scope) <= c
    if op == ">":
        return lambda scope: left(scope) > c
    if op == ">=":
        return lambda scope: left(scope) >= c
    if op == "==":
        return lambda scope: left(scope) == c
    return lambda scope: left(scope) != c


_WITH_CONSTANT = {
    "+": _add_constant,
    "-": _add_constant,
    **dict.fromkeys(("<", "<=", ">", ">=", "==", "!="), _compare_constant),
}


def _unary(interpreter: Interpreter, expr: ast.Unary) -> Code:
    operand = interpreter.code(expr.operand)
    if expr.op == "!":
        return lambda scope: not operand(scope)
    fail = interpreter.fail
    span = expr.span

    def negate(scope):
        value = operand(scope)
        if value == INT_MIN and type(value) is int:
            fail("integer overflow", span)
        return -value

    return negate


# ---- statements -----------------------------------------------------------------------
StmtCode = Callable[["Scope"], None]


def compile_stmt(interpreter: Interpreter, stmt: ast.Stmt) -> StmtCode:
    kind = type(stmt)
    if kind is ast.ExprStmt:
        return interpreter.code(stmt.expr)
    if kind is ast.Let and stmt.pattern is None:
        name = stmt.name
        value = interpreter.code(stmt.value)

        def let(scope):
            scope.vars[name] = value(scope)

        return let
    if kind is ast.Assign and not interpreter.is_self_push(stmt):
        return _assign(interpreter, stmt)
    if kind is ast.While:
        return _while(interpreter, stmt)
    handler = interpreter.statement_handler(kind)
    return lambda scope: handler(stmt, scope)


def _assign(interpreter: Interpreter, stmt: ast.Assign) -> StmtCode:
    name = stmt.name
    value = interpreter.code(stmt.value)

    def assign(scope):
        result = value(scope)
        current = scope
        while current is not None:
            variables = current.vars
            if name in variables:
                variables[name] = result
                return
            current = current.parent
        interpreter.fail(f"unknown variable '{name}'", stmt.name_span)

    return assign


def _while(interpreter: Interpreter, stmt: ast.While) -> StmtCode:
    from medlang.lang.interpret import Scope, _Break, _Continue

    condition = interpreter.code(stmt.condition)
    declares, statements, tail = interpreter.compiled_block(stmt.body)
    where = stmt.condition.span
    checkpoint = interpreter._checkpoint

    # The body's statements run inline (what `block` does, without a call per turn).
    def loop(scope):
        while condition(scope):
            interpreter._countdown -= 1
            if interpreter._countdown <= 0:
                checkpoint(where)
            inner = Scope(scope) if declares else scope
            try:
                for each, run in statements:
                    interpreter._countdown -= 1
                    if interpreter._countdown <= 0:
                        checkpoint(each.span)
                    run(inner)
                if tail is not None:
                    tail(inner)
            except _Break:
                break
            except _Continue:
                continue

    return loop
