"""Tree-walking interpreter over the typed AST.

State is explicit: an ``Interpreter`` holds the linked program, the output stream,
the extern context and the MedLang call stack; a ``Scope`` holds variables and
links to its parent. Runtime problems raise ``MedLangRuntimeError`` located in the
source with the MedLang call trace; no Python exception escapes for any program.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from medlang.lang import ast
from medlang.lang.ast import Span
from medlang.lang.builtins import BUILTINS, CONSTANTS, Builtin, BuiltinFailure, show
from medlang.lang.diagnostics import MedLangRuntimeError, line_of
from medlang.lang.externs import ExternContext, ExternFailure, lookup_extern
from medlang.lang.fast_eval import compile_expr, compile_stmt
from medlang.lang.modules import LoadedModule
from medlang.lang.values import (
    INT_MAX,
    INT_MIN,
    NONE,
    EnumValue,
    JsonValue,
    Record,
    Some,
    TupleValue,
    Value,
)
from medlang.registry.errors import RegistryError

MAX_CALL_DEPTH = 1000
_CHUNK = 4096  # steps between looks at the clock and the budget


@dataclass(frozen=True)
class Limits:
    """Bounds on one run: at most ``max_steps`` steps (a step is one statement,
    one loop iteration or one call), at most ``timeout`` seconds of running.
    ``advice`` ends the error message (e.g. which option raises the limit)."""

    max_steps: int | None = None
    timeout: float | None = None
    steps_advice: str = ""
    time_advice: str = ""

    def __post_init__(self) -> None:
        if self.max_steps is not None and self.max_steps < 0:
            raise ValueError("max_steps must be >= 0")
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError("timeout must be > 0 seconds")


# ---- linking: which declaration does a name in a module refer to --------------------
@dataclass(frozen=True)
class FnRef:
    decl: ast.FnDecl
    module: LoadedModule


def link_functions(modules: list[LoadedModule]) -> dict[LoadedModule, dict[str, FnRef]]:
    """Per module, the functions visible by plain name: its own, then imported ones."""
    own = {
        m: {i.name: FnRef(i, m) for i in m.tree.items if isinstance(i, ast.FnDecl)} for m in modules
    }
    linked: dict[LoadedModule, dict[str, FnRef]] = {}
    for module in modules:
        visible: dict[str, FnRef] = {}
        for node, target in module.imports.items():
            exported = own.get(target, {})
            names = exported.keys() if node.names is None else [n for n, _ in node.names]
            for name in names:
                if name in exported:
                    visible[name] = exported[name]
        visible.update(own[module])
        linked[module] = visible
    return linked


# ---- scopes and control flow ---------------------------------------------------------
class Scope:
    """Variables of one block; lookups walk outward through the parents."""

    __slots__ = ("vars", "parent")

    def __init__(self, parent: Scope | None = None, variables: dict | None = None) -> None:
        self.parent = parent
        self.vars: dict[str, Value] = variables if variables is not None else {}

    def child(self) -> Scope:
        return Scope(self)

    def __enter__(self) -> Scope:
        return self

    def __exit__(self, *exc) -> None:
        self.vars = {}  # the block is over; drop its values early

    def lookup(self, name: str) -> Value:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                value = scope.vars[name]
                return value.frozen() if type(value) is _Growing else value
            scope = scope.parent
        raise KeyError(name)

    def append(self, name: str, item: Value) -> None:
        """``name = push(name, item)`` without copying the whole vector each time."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                value = scope.vars[name]
                if type(value) is not _Growing:
                    value = scope.vars[name] = _Growing(value)
                value.append(item)
                return
            scope = scope.parent
        raise KeyError(name)

    def assign(self, name: str, value: Value) -> None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                scope.vars[name] = value
                return
            scope = scope.parent
        raise KeyError(name)


class _Growing:
    """A vector variable being grown by ``v = push(v, x)``, typically in a loop.

    Vectors are immutable tuples, so each push copies: 100k pushes would cost
    O(n^2). The variable instead holds a list that grows in place and hands out
    a tuple when read (cached until the next push). Values already handed out
    are separate tuples, so nobody observes the mutation.
    """

    __slots__ = ("items", "_tuple")

    def __init__(self, items: tuple) -> None:
        self.items = list(items)
        self._tuple: tuple | None = items

    def append(self, item: Value) -> None:
        self.items.append(item)
        self._tuple = None

    def frozen(self) -> tuple:
        if self._tuple is None:
            self._tuple = tuple(self.items)
        return self._tuple


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    def __init__(self, value: Value) -> None:
        self.value = value


@dataclass
class _Frame:
    name: str
    module: LoadedModule
    call_span: Span | None = None  # the call this frame is currently making


class _Output:
    """What builtins may use: the output stream, and the registry's root (so file
    writers can refuse to write inside the registry)."""

    def __init__(self, stdout: TextIO, registry_root: Callable[[], Path | str]) -> None:
        self.stdout = stdout
        self.registry_root = registry_root


class Closure:
    """A closure value: its code, the variables it captured (copied when it was
    made) and the module it was written in; builtins call it like a function."""

    __slots__ = ("node", "env", "module", "interpreter", "frame", "names", "body", "active")

    def __init__(self, node: ast.Closure, env: dict, module: LoadedModule, interpreter) -> None:
        self.node = node
        self.env = env
        self.module = module
        self.interpreter = interpreter
        self.frame = _Frame("closure", module)
        self.active = 0  # calls of this closure under way (it may call itself via a function)
        self.names = tuple(param.name for param in node.params)
        # the body as a function of a scope: a block, or an expression compiled once
        if type(node.body) is ast.Block:
            block, body = interpreter.block, node.body
            self.body = lambda scope: block(body, scope)
        else:
            self.body = interpreter.code(node.body)

    def __call__(self, *args: Value) -> Value:
        return self.interpreter.call_closure(self, args)


class FunctionValue:
    """A named function used as a value (``map(v, double)``)."""

    __slots__ = ("ref", "interpreter")

    def __init__(self, ref: FnRef, interpreter) -> None:
        self.ref = ref
        self.interpreter = interpreter

    def __call__(self, *args: Value) -> Value:
        return self.interpreter.call_function(self.ref, list(args))


_VARIABLE = object()  # a call of a variable holding a closure or function


# ---- values -------------------------------------------------------------------------
def values_equal(a: Value, b: Value) -> bool:
    """Structural equality; records compare by fields whatever their type name."""
    if isinstance(a, Record) and isinstance(b, Record):
        return a.fields.keys() == b.fields.keys() and all(
            values_equal(v, b.fields[k]) for k, v in a.fields.items()
        )
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, Some) and isinstance(b, Some):
        return values_equal(a.value, b.value)
    return a == b


def float_divide(a: float, b: float) -> float:
    """IEEE division, as Rust's f64: ``1.0 / 0.0`` is inf, ``0.0 / 0.0`` NaN."""
    if b == 0.0:
        if a != a or a == 0.0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def float_remainder(a: float, b: float) -> float:
    """Rust's ``%`` on f64 (C's ``fmod``): the sign of ``a``; NaN for ``inf % x`` and
    ``x % 0.0``, ``x % inf`` is ``x``."""
    if math.isinf(a) or b == 0.0 or a != a or b != b:
        return math.nan
    return a if math.isinf(b) else math.fmod(a, b)


def _int_div(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b >= 0) else -quotient


class Interpreter:
    def __init__(
        self,
        modules: list[LoadedModule],
        stdout: TextIO,
        registry_root: Path | str | Callable[[], Path | str],
        record_names: Mapping[ast.RecordLit, str] | None = None,
        check_result=None,
        limits: Limits | None = None,
    ) -> None:
        self.functions = link_functions(modules)
        self.limits = limits or Limits()
        self.steps = 0  # steps counted up to the last checkpoint
        self._deadline = (
            time.monotonic() + self.limits.timeout if self.limits.timeout is not None else None
        )
        self._chunk = self._countdown = self._next_chunk()
        self.captures = check_result.captures if check_result is not None else {}
        self.variable_calls = check_result.variable_calls if check_result is not None else set()
        self.float_sums = check_result.float_sums if check_result is not None else set()
        self.output = _Output(stdout, lambda: self.extern_context().registry_root)
        self._registry_root = registry_root
        self._extern_ctx: ExternContext | None = None
        self.record_names = record_names or {}
        self.frames: list[_Frame] = []
        self._calls: dict[ast.Call, FnRef | Builtin] = {}
        self._code: dict[ast.Expr, Callable[[Scope], Value]] = {}
        self._blocks: dict[ast.Block, tuple] = {}
        self._self_push: dict[ast.Assign, bool] = {}
        self._expr = {
            ast.IntLit: self._literal,
            ast.FloatLit: self._literal,
            ast.StringLit: self._literal,
            ast.BoolLit: self._literal,
            ast.UnitLit: lambda e, s: None,
            ast.NoneLit: lambda e, s: NONE,
            ast.SomeExpr: lambda e, s: Some(self.eval(e.value, s)),
            ast.Name: self._name,
            ast.EnumRef: lambda e, s: EnumValue(e.enum, e.variant),
            ast.VectorLit: lambda e, s: tuple(self.eval(i, s) for i in e.items),
            ast.RecordLit: self._record,
            ast.TupleLit: lambda e, s: TupleValue(self.eval(i, s) for i in e.items),
            ast.Field: self._field,
            ast.TupleField: lambda e, s: self.eval(e.target, s)[e.index],
            ast.Closure: self._closure,
            ast.Index: self._index,
            ast.Call: self._call,
            ast.Unary: self._unary,
            ast.Binary: self._binary,
            ast.If: self._if,
            ast.Match: self._match,
        }
        self._stmt = {
            ast.Let: self._let,
            ast.Assign: self._assign,
            ast.For: self._for,
            ast.While: self._while,
            ast.Break: self._break,
            ast.Continue: self._continue,
            ast.Return: self._return,
            ast.ExprStmt: lambda st, s: self.eval(st.expr, s),
        }

    # -- bounded execution: every step counts down; every _CHUNK steps, a checkpoint
    def _next_chunk(self) -> int:
        limits = self.limits
        if limits.max_steps is None and limits.timeout is None:
            return 1 << 62  # unbounded: never stop to look
        if limits.max_steps is None:
            return _CHUNK
        return max(1, min(_CHUNK, limits.max_steps + 1 - self.steps))

    def _checkpoint(self, span: Span | None) -> None:
        self.steps += self._chunk
        limits = self.limits
        if limits.max_steps is not None and self.steps > limits.max_steps:
            message = f"step limit exceeded: more than {limits.max_steps:,} steps"
            self.fail(message + (f" ({limits.steps_advice})" if limits.steps_advice else ""), span)
        if self._deadline is not None and time.monotonic() >= self._deadline:
            message = f"time limit exceeded: running for more than {limits.timeout:g} s"
            self.fail(message + (f" ({limits.time_advice})" if limits.time_advice else ""), span)
        self._chunk = self._countdown = self._next_chunk()

    # -- entry point
    def call_function(self, ref: FnRef, args: list[Value], span: Span | None = None) -> Value:
        self._countdown -= 1
        if self._countdown <= 0:
            self._checkpoint(span or ref.decl.name_span)
        if len(self.frames) >= MAX_CALL_DEPTH:
            self.fail(f"recursion too deep (more than {MAX_CALL_DEPTH} nested calls)", span)
        decl = ref.decl
        if decl.is_extern:
            return self._call_extern(ref, args, span)
        params = {p.name: a for p, a in zip(decl.params, args, strict=True)}
        self.frames.append(_Frame(decl.name, ref.module))
        try:
            result = self.block(decl.body, Scope(None, params))
        except _Return as ret:
            result = ret.value
        except RecursionError:
            raise  # frames stay in place so the api can say where it happened
        except BaseException:
            self.frames.pop()
            raise
        self.frames.pop()
        return result

    def call_closure(self, closure: Closure, args: tuple) -> Value:
        self._countdown -= 1
        if self._countdown <= 0:
            self._checkpoint(closure.node.span)
        frames = self.frames
        if len(frames) >= MAX_CALL_DEPTH:
            self.fail(f"recursion too deep (more than {MAX_CALL_DEPTH} nested calls)", None)
        names = closure.names
        if len(names) == 1:
            variables = {**closure.env, names[0]: args[0]} if closure.env else {names[0]: args[0]}
        else:
            variables = dict(closure.env)
            variables.update(zip(names, args, strict=True))
        # one frame object per closure, reused; a nested call of the same closure gets its own
        frame = closure.frame if not closure.active else _Frame("closure", closure.module)
        frames.append(frame)
        closure.active += 1
        try:
            result = closure.body(Scope(None, variables))
        except _Return as ret:
            result = ret.value
        except RecursionError:
            closure.active -= 1
            raise
        except BaseException:
            closure.active -= 1
            frames.pop()
            raise
        closure.active -= 1
        frames.pop()
        return result

    def _closure(self, expr: ast.Closure, scope: Scope) -> Value:
        env = {name: scope.lookup(name) for name in self.captures.get(expr, ())}
        return Closure(expr, env, self.frames[-1].module, self)

    def _call_extern(self, ref: FnRef, args: list[Value], span: Span | None) -> Value:
        function = lookup_extern(ref.module.name, ref.decl.name)
        if function is None:
            self.fail(f"extern fn {ref.module.name}::{ref.decl.name} has no implementation", span)
        try:
            return function(self.extern_context(), *args)
        except ExternFailure as failure:
            self.fail(str(failure), span)
        except MedLangRuntimeError:
            raise
        except RegistryError as error:  # one line naming the registry's file
            self.fail(f"{ref.decl.name}: {error}", span)
        except OSError as error:  # the registry's files: the environment, not a bug
            where = f"read {error.filename}" if error.filename else "read the registry"
            self.fail(f"{ref.decl.name}: cannot {where}: {error.strerror or error}", span)
        except Exception as error:  # a bug in a bridge must not become a traceback
            self.fail(f"internal error in {ref.module.name}::{ref.decl.name}: {error!r}", span)

    def extern_context(self) -> ExternContext:
        if self._extern_ctx is None:
            root = self._registry_root
            self._extern_ctx = ExternContext(root() if callable(root) else root)
        return self._extern_ctx

    # -- errors
    def fail(self, message: str, span: Span | None) -> None:
        raise self.error(message, span)

    def error(self, message: str, span: Span | None) -> MedLangRuntimeError:
        span = span or Span(1, 1, 1, 2)
        frames = self.frames
        module = frames[-1].module if frames else None
        path = module.display_path if module else "<program>"
        trace = [
            (f.name, f.module.display_path, f.call_span.line, f.call_span.col)
            for f in frames[:-1]
            if f.call_span is not None
        ]
        if frames:
            trace.append((frames[-1].name, path, span.line, span.col))
        end_col = span.end_col if span.end_line == span.line else None
        return MedLangRuntimeError(
            message,
            path,
            span.line,
            span.col,
            trace,
            end_col=end_col,
            source_line=line_of(module.source, span.line) if module else None,
        )

    # -- statements and blocks
    def block(self, block: ast.Block, scope: Scope) -> Value:
        compiled = self._blocks.get(block)
        if compiled is None:
            compiled = self._compile_block(block)
        declares, statements, tail = compiled
        if declares:  # a block with `let`s gets a scope of its own; others run in place
            scope = Scope(scope)
        for stmt, run in statements:
            self._countdown -= 1
            if self._countdown <= 0:
                self._checkpoint(stmt.span)
            run(scope)
        result = tail(scope) if tail is not None else None
        if declares:
            scope.vars = {}  # the block is over; drop its values early
        return result

    def compiled_block(self, block: ast.Block) -> tuple:
        """(declares a variable?, ((statement, code), ...), tail code or None)."""
        return self._blocks.get(block) or self._compile_block(block)

    def _compile_block(self, block: ast.Block) -> tuple:
        declares = any(type(s) is ast.Let for s in block.stmts)
        statements = tuple((stmt, compile_stmt(self, stmt)) for stmt in block.stmts)
        tail = (lambda scope: self.eval(block.tail, scope)) if block.tail is not None else None
        compiled = self._blocks[block] = (declares, statements, tail)
        return compiled

    def _let(self, stmt: ast.Let, scope: Scope) -> None:
        if stmt.pattern is not None:
            _destructure(stmt.pattern, self.eval(stmt.value, scope), scope.vars)
            return
        scope.vars[stmt.name] = self.eval(stmt.value, scope)

    def _assign(self, stmt: ast.Assign, scope: Scope) -> None:
        try:
            if self.is_self_push(stmt):
                scope.append(stmt.name, self.eval(stmt.value.args[1], scope))
            else:
                scope.assign(stmt.name, self.eval(stmt.value, scope))
        except KeyError:
            self.fail(f"unknown variable '{stmt.name}'", stmt.name_span)

    def is_self_push(self, stmt: ast.Assign) -> bool:
        """Is this ``v = push(v, x)`` with the builtin push?"""
        known = self._self_push.get(stmt)
        if known is None:
            value = stmt.value
            known = (
                type(value) is ast.Call
                and value.name == "push"
                and len(value.args) == 2
                and type(value.args[0]) is ast.Name
                and value.args[0].name == stmt.name
                and "push" not in self.functions.get(self.frames[-1].module, {})
            )
            self._self_push[stmt] = known
        return known

    def _for(self, stmt: ast.For, scope: Scope) -> None:
        items = self.eval(stmt.iterable, scope)
        pattern = stmt.pattern
        if isinstance(items, dict):
            if pattern is not None:  # `for (key, value) in map`, ordered by key as keys() is
                items = [TupleValue((key, items[key])) for key in sorted(items)]
            else:
                items = sorted(items)  # a map's keys, in the order keys() gives them
        for item in items:
            self._countdown -= 1
            if self._countdown <= 0:
                self._checkpoint(stmt.iterable.span)
            if pattern is not None:
                variables: dict = {}
                _destructure(pattern, item, variables)
            else:
                variables = {stmt.var: item}
            with Scope(scope, variables) as inner:
                try:
                    self.block(stmt.body, inner)
                except _Break:
                    break
                except _Continue:
                    continue

    def _while(self, stmt: ast.While, scope: Scope) -> None:
        while self.eval(stmt.condition, scope):
            self._countdown -= 1
            if self._countdown <= 0:
                self._checkpoint(stmt.condition.span)
            try:
                self.block(stmt.body, scope)
            except _Break:
                break
            except _Continue:
                continue

    def _break(self, stmt: ast.Break, scope: Scope) -> None:
        raise _Break

    def _continue(self, stmt: ast.Continue, scope: Scope) -> None:
        raise _Continue

    def _return(self, stmt: ast.Return, scope: Scope) -> None:
        raise _Return(self.eval(stmt.value, scope) if stmt.value is not None else None)

    # -- expressions
    def eval(self, expr: ast.Expr, scope: Scope) -> Value:
        try:
            code = self._code.get(expr)
            if code is None:
                code = self.code(expr)
            return code(scope)
        except MemoryError:  # a value grown too big: the program's doing, shown where
            self.fail("out of memory", expr.span)

    def code(self, expr: ast.Expr) -> Callable[[Scope], Value]:
        """``expr`` compiled to a closure (once; see fast_eval)."""
        code = self._code.get(expr)
        if code is None:
            code = self._code[expr] = compile_expr(self, expr)
        return code

    def handler(self, kind: type) -> Callable[[ast.Expr, Scope], Value]:
        """The tree-walking handler for one kind of expression node."""
        return self._expr[kind]

    def statement_handler(self, kind: type) -> Callable[[ast.Stmt, Scope], None]:
        return self._stmt[kind]

    @staticmethod
    def _literal(expr, scope: Scope) -> Value:
        return expr.value

    def _name(self, expr: ast.Name, scope: Scope) -> Value:
        try:
            return scope.lookup(expr.name)
        except KeyError:
            ref = self.functions.get(self.frames[-1].module, {}).get(expr.name)
            if ref is not None:
                return FunctionValue(ref, self)
            if expr.name in CONSTANTS:
                return CONSTANTS[expr.name][1]
            self.fail(f"unknown variable '{expr.name}'", expr.span)

    def _record(self, expr: ast.RecordLit, scope: Scope) -> Value:
        fields = {name: self.eval(value, scope) for name, value, _ in expr.fields}
        return Record(self.record_names.get(expr, ""), fields)

    def _field(self, expr: ast.Field, scope: Scope) -> Value:
        target = self.eval(expr.target, scope)
        if isinstance(target, Record) and expr.name in target.fields:
            return target.fields[expr.name]
        self.no_field(expr, target)

    def no_field(self, expr: ast.Field, target: Value) -> None:
        self.fail(f"value {show(target, False)} has no field '{expr.name}'", expr.name_span)

    def _index(self, expr: ast.Index, scope: Scope) -> Value:
        target = self.eval(expr.target, scope)
        index = self.eval(expr.index, scope)
        if isinstance(target, dict):
            if index in target:
                return target[index]
            self.fail(f"key {show(index, False)} not in map", expr.index.span)
        if isinstance(target, str | tuple):
            if isinstance(index, int) and 0 <= index < len(target):
                return target[index]
            what = "vector" if isinstance(target, tuple) else "string"
            self.fail(
                f"index {index} out of range for a {what} of length {len(target)}", expr.index.span
            )
        self.fail(f"cannot index {show(target, False)}", expr.span)

    def _call(self, expr: ast.Call, scope: Scope) -> Value:
        target = self._calls.get(expr)
        if target is None:
            target = self._resolve(expr)
        args = [self.eval(arg, scope) for arg in expr.args]
        frame = self.frames[-1] if self.frames else None
        if frame is not None:
            frame.call_span = expr.span
        if isinstance(target, FnRef):
            return self.call_function(target, args, expr.span)
        if target is _VARIABLE:
            return scope.lookup(expr.name)(*args)
        try:
            result = target.function(self.output, *args)
            if type(result) is int and result == 0 and expr in self.float_sums:
                return 0.0  # the sum of no Floats
            return result
        except BuiltinFailure as failure:
            self.fail(f"{expr.name}: {failure}", expr.span)
        except (TypeError, ValueError, OverflowError, ZeroDivisionError) as error:
            self.fail(f"{expr.name}: {error}", expr.span)

    def _resolve(self, expr: ast.Call) -> FnRef | Builtin:
        module = self.frames[-1].module
        if expr in self.variable_calls:
            self._calls[expr] = _VARIABLE
            return _VARIABLE
        target = self.functions.get(module, {}).get(expr.name) or BUILTINS.get(expr.name)
        if target is None:
            self.fail(f"unknown function '{expr.name}'", expr.name_span)
        self._calls[expr] = target
        return target

    def _unary(self, expr: ast.Unary, scope: Scope) -> Value:
        value = self.eval(expr.operand, scope)
        if expr.op == "!":
            return not value
        if value == INT_MIN and type(value) is int:
            self.fail("integer overflow", expr.span)
        return -value

    def _binary(self, expr: ast.Binary, scope: Scope) -> Value:
        op = expr.op
        left = self.eval(expr.left, scope)
        if op == "&&":
            return left and self.eval(expr.right, scope)
        if op == "||":
            return left or self.eval(expr.right, scope)
        right = self.eval(expr.right, scope)
        if op == "+" or op == "-" or op == "*":
            result = left + right if op == "+" else left - right if op == "-" else left * right
            # Int is i64: leaving its range is Rust's debug-build overflow panic.
            if type(result) is int and not INT_MIN <= result <= INT_MAX:
                self.fail("integer overflow", expr.span)
            return result
        if op == "/" or op == "%":
            return self._divide(expr, left, right)
        if op == "==":
            return values_equal(left, right)
        if op == "!=":
            return not values_equal(left, right)
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        if op == ">=":
            return left >= right
        self.fail(f"unknown operator '{op}'", expr.op_span)

    def _divide(self, expr: ast.Binary, left: Value, right: Value) -> Value:
        if isinstance(left, float):
            return float_divide(left, right) if expr.op == "/" else float_remainder(left, right)
        if right == 0:
            what = "division" if expr.op == "/" else "modulo"
            self.fail(f"{what} by zero (Int)", expr.span)
        if left == INT_MIN and right == -1:  # the quotient 2**63 is not an Int
            self.fail("integer overflow", expr.span)
        quotient = _int_div(left, right)
        return quotient if expr.op == "/" else left - right * quotient

    def _if(self, expr: ast.If, scope: Scope) -> Value:
        if self.eval(expr.condition, scope):
            return self.block(expr.then, scope)
        otherwise = expr.otherwise
        if otherwise is None:
            return None
        if isinstance(otherwise, ast.Block):
            return self.block(otherwise, scope)
        return self._if(otherwise, scope)

    def _match(self, expr: ast.Match, scope: Scope) -> Value:
        subject = self.eval(expr.subject, scope)
        for arm in expr.arms:
            bindings: dict[str, Value] = {}
            if not _matches(arm.pattern, subject, bindings):
                continue
            with Scope(scope, bindings) as inner:
                if arm.guard is not None and not self.eval(arm.guard, inner):
                    continue
                if isinstance(arm.body, ast.Block):
                    return self.block(arm.body, inner)
                return self.eval(arm.body, inner)
        self.fail(f"no match arm matches {show(subject, False)}", expr.subject.span)


def _destructure(pattern: ast.Pattern, value: Value, variables: dict[str, Value]) -> None:
    """Bind ``let (a, (b, _)) = value``; the checker has made sure the shapes agree."""
    kind = type(pattern)
    if kind is ast.PBind:
        variables[pattern.name] = value
    elif kind is ast.PTuple:
        for part, item in zip(pattern.items, value, strict=True):
            _destructure(part, item, variables)


def _matches(pattern: ast.Pattern, value: Value, bindings: dict[str, Value]) -> bool:
    kind = type(pattern)
    if kind is ast.PWildcard:
        return True
    if kind is ast.PBind:
        bindings[pattern.name] = value
        return True
    if kind is ast.PVariant:
        if type(value) is JsonValue:
            return value.variant == pattern.variant and (
                pattern.payload is None or _matches(pattern.payload, value.value, bindings)
            )
        return isinstance(value, EnumValue) and value.variant == pattern.variant
    if kind is ast.PNone:
        return value is NONE
    if kind is ast.PSome:
        return isinstance(value, Some) and _matches(pattern.inner, value.value, bindings)
    if kind is ast.PLiteral:
        return type(value) is type(pattern.value) and value == pattern.value
    if kind is ast.POr:
        return any(_matches(alt, value, bindings) for alt in pattern.alternatives)
    if kind is ast.PTuple:
        return all(
            _matches(part, item, bindings) for part, item in zip(pattern.items, value, strict=True)
        )
    return False
