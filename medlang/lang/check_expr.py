"""Static checker, expressions: names, literals, operators, calls (with
``println`` formats), fields, indexing, ``if`` and ``match``.

Expressions get a type; anything that already failed gets ``ANY`` so one mistake
is reported once. ``expected`` carries the type the context wants, which types
``None``, ``[]`` and record literals; ``DISCARD`` marks a value nobody uses (an
expression statement), where ``if``/``match`` branches need not agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from medlang.lang import ast
from medlang.lang.ast import Span
from medlang.lang.builtins import BUILTINS, CONSTANTS, BuiltinTypeError
from medlang.lang.check import FnSig, ModuleScope, did_you_mean
from medlang.lang.check_match import check_exhaustive, check_pattern
from medlang.lang.formatting import FormatError, parse_format, placeholders, spec_problem
from medlang.lang.types import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    STRING,
    UNIT,
    AnyType,
    EnumType,
    FnType,
    MapType,
    OptionType,
    Prim,
    RecordType,
    TupleType,
    Type,
    VectorType,
    compatible,
    has_type_vars,
    is_numeric,
    is_ordered,
    join,
    substitute,
    unify,
)

DISCARD = Prim("<discarded>")


@dataclass
class Var:
    type: Type
    mutable: bool
    span: Span
    kind: str = "let"  # "let" | "var" | "parameter" | "loop variable" | "match binding"


class Scope:
    __slots__ = ("vars", "parent", "captures")

    def __init__(self, parent: Scope | None = None, captures: set[str] | None = None) -> None:
        self.parent = parent
        self.vars: dict[str, Var] = {}
        # set on a closure's own scope: names found beyond it are captured
        self.captures = captures

    def __enter__(self) -> Scope:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def child(self) -> Scope:
        return Scope(self)

    def lookup(self, name: str) -> Var | None:
        return self.lookup_capture(name)[0]

    def lookup_capture(self, name: str) -> tuple[Var | None, bool]:
        """The variable, and whether it lives outside the innermost closure;
        each closure crossed on the way out records it as captured."""
        scope: Scope | None = self
        crossed: list[set[str]] = []
        while scope is not None:
            var = scope.vars.get(name)
            if var is not None:
                for captures in crossed:
                    captures.add(name)
                return var, bool(crossed)
            if scope.captures is not None:
                crossed.append(scope.captures)
            scope = scope.parent
        return None, False

    def names(self) -> list[str]:
        out: list[str] = []
        scope: Scope | None = self
        while scope is not None:
            out.extend(scope.vars)
            scope = scope.parent
        return out


class ExprChecker:
    """Types expressions; ``check_body.BodyChecker`` adds statements and blocks."""

    def __init__(self, module: ModuleScope, sig: FnSig) -> None:
        self.m = module
        self.sig = sig
        self._expr = {
            ast.IntLit: lambda e, s, x: INT,
            ast.FloatLit: lambda e, s, x: FLOAT,
            ast.StringLit: lambda e, s, x: STRING,
            ast.BoolLit: lambda e, s, x: BOOL,
            ast.UnitLit: lambda e, s, x: UNIT,
            ast.NoneLit: self._none,
            ast.SomeExpr: self._some,
            ast.Name: self._name,
            ast.EnumRef: self._enum_ref,
            ast.VectorLit: self._vector,
            ast.RecordLit: self._record,
            ast.TupleLit: self._tuple,
            ast.Field: self._field,
            ast.TupleField: self._tuple_field,
            ast.Closure: self._closure,
            ast.Index: self._index,
            ast.Call: self._call,
            ast.Unary: self._unary,
            ast.Binary: self._binary,
            ast.If: self._if,
            ast.Match: self._match,
        }

    def error(self, span: Span, message: str, hint: str | None = None) -> None:
        self.m.error(span, message, hint)

    def block(self, block: ast.Block, scope: Scope, expected: Type | None = None) -> Type:
        raise NotImplementedError  # statements and blocks: check_body.BodyChecker

    def _condition(self, expr: ast.Expr, scope: Scope, keyword: str) -> None:
        actual = self.expr(expr, scope, BOOL)
        if not compatible(BOOL, actual):
            self.error(expr.span, f"`{keyword}` condition must be Bool, found {actual}")

    # -- expressions
    def expr(self, expr: ast.Expr, scope: Scope, expected: Type | None = None) -> Type:
        return self._expr[type(expr)](expr, scope, expected)

    def _none(self, expr: ast.NoneLit, scope: Scope, expected: Type | None) -> Type:
        return expected if isinstance(expected, OptionType) else OptionType(ANY)

    def _some(self, expr: ast.SomeExpr, scope: Scope, expected: Type | None) -> Type:
        inner = expected.inner if isinstance(expected, OptionType) else None
        return OptionType(self.expr(expr.value, scope, inner))

    def _name(self, expr: ast.Name, scope: Scope, expected: Type | None) -> Type:
        var = scope.lookup(expr.name)
        if var is not None:
            return var.type
        if expr.name in CONSTANTS and expr.name not in self.m.functions:
            return CONSTANTS[expr.name][0]
        sig = self.m.functions.get(expr.name)
        if sig is not None and not sig.type_params:
            return FnType(tuple(t for _, t in sig.params), sig.result)  # a function as a value
        if sig is not None or expr.name in BUILTINS:
            what = "a generic function" if sig is not None else "a builtin"
            self.error(
                expr.span,
                f"'{expr.name}' is {what}: call it, or wrap it in a closure to pass it",
                f"e.g. |x| {expr.name}(x)",
            )
        elif expr.name in self.m.types:
            self.error(
                expr.span,
                f"'{expr.name}' is a type, not a value",
                f"enum variants are written {expr.name}::Variant",
            )
        elif not self.m.is_poisoned(expr.name):
            self.error(
                expr.span, f"unknown name '{expr.name}'", did_you_mean(expr.name, scope.names())
            )
        return ANY

    def _enum_ref(self, expr: ast.EnumRef, scope: Scope, expected: Type | None) -> Type:
        enum = self.m.types.get(expr.enum)
        if enum is None and self.m.is_poisoned(expr.enum):
            return ANY
        if not isinstance(enum, EnumType):
            enums = [n for n, t in self.m.types.items() if isinstance(t, EnumType)]
            hint = (
                did_you_mean(expr.enum, enums)
                or "import the enum, e.g. import med.registry::RunKind;"
            )
            self.error(expr.span, f"unknown enum '{expr.enum}'", hint)
            return ANY
        if expr.variant not in enum.variants:
            close = did_you_mean(expr.variant, enum.variants)
            self.error(
                expr.span,
                f"enum {enum.name} has no variant '{expr.variant}'"
                + (f"; {close}" if close else ""),
                f"variants: {', '.join(enum.variants)}",
            )
        return enum

    def _vector(self, expr: ast.VectorLit, scope: Scope, expected: Type | None) -> Type:
        element: Type = expected.element if isinstance(expected, VectorType) else ANY
        for item in expr.items:
            actual = self.expr(item, scope, element if not isinstance(element, AnyType) else None)
            if not compatible(element, actual):
                self.error(
                    item.span,
                    f"vector elements must all have one type: expected {element}, found {actual}",
                )
                continue
            element = join(element, actual)
        return VectorType(element)

    def _record(self, expr: ast.RecordLit, scope: Scope, expected: Type | None) -> Type:
        wanted = expected if isinstance(expected, RecordType) else None
        fields: list[tuple[str, Type]] = []
        seen: set[str] = set()
        for name, value, span in expr.fields:
            if name in seen:
                self.error(span, f"field '{name}' given twice")
                continue
            seen.add(name)
            field_wanted = wanted.field(name) if wanted else None
            actual = self.expr(value, scope, field_wanted)
            fields.append((name, actual))
            if wanted is None:
                continue
            if field_wanted is None:
                close = did_you_mean(name, [n for n, _ in wanted.fields])
                self.error(
                    span, f"{wanted} has no field '{name}'" + (f"; {close}" if close else "")
                )
            elif not compatible(field_wanted, actual):
                self.error(
                    value.span, f"field '{name}' of {wanted} is {field_wanted}, found {actual}"
                )
        if wanted is None:
            return RecordType(None, tuple(fields))
        missing = [n for n, _ in wanted.fields if n not in seen]
        if missing:
            listed = ", ".join(f"'{n}'" for n in missing)
            self.error(
                expr.span, f"missing field{'s' if len(missing) > 1 else ''} {listed} for {wanted}"
            )
        if wanted.name:
            self.m.result.record_names[expr] = wanted.name
        return wanted

    def _tuple(self, expr: ast.TupleLit, scope: Scope, expected: Type | None) -> Type:
        wanted: tuple[Type | None, ...] = (None,) * len(expr.items)
        if isinstance(expected, TupleType) and len(expected.items) == len(expr.items):
            wanted = expected.items
        return TupleType(
            tuple(self.expr(item, scope, w) for item, w in zip(expr.items, wanted, strict=True))
        )

    def _tuple_field(self, expr: ast.TupleField, scope: Scope, expected: Type | None) -> Type:
        target = self.expr(expr.target, scope)
        if isinstance(target, AnyType):
            return ANY
        if not isinstance(target, TupleType):
            self.error(expr.index_span, f"type {target} is not a tuple (looking for .{expr.index})")
            return ANY
        if expr.index >= len(target.items):
            self.error(
                expr.index_span,
                f"tuple {target} has no field .{expr.index}",
                f"its fields are .0 to .{len(target.items) - 1}",
            )
            return ANY
        return target.items[expr.index]

    def _closure(self, expr: ast.Closure, scope: Scope, expected: Type | None) -> Type:
        from medlang.lang.check import FnSig

        wanted = expected if isinstance(expected, FnType) else None
        if wanted is not None and len(wanted.params) != len(expr.params):
            self.error(
                expr.span,
                f"this closure takes {_n(len(expr.params), 'parameter')}, "
                f"but {_n(len(wanted.params), 'parameter')} {wanted} is wanted here",
            )
            wanted = None
        captures: set[str] = set()
        inner = Scope(scope, captures)
        params: list[tuple[str, Type]] = []
        for index, param in enumerate(expr.params):
            if param.type is not None:
                param_type = self.m.resolve_type(param.type)
            elif wanted is not None and not isinstance(wanted.params[index], AnyType):
                param_type = wanted.params[index]
            else:
                self.error(
                    param.span,
                    f"cannot infer the type of closure parameter '{param.name}'",
                    f"annotate it: |{param.name}: Int| ...",
                )
                param_type = ANY
            if param.name in inner.vars:
                self.error(param.span, f"duplicate parameter '{param.name}'")
            inner.vars[param.name] = Var(param_type, False, param.span, "closure parameter")
            params.append((param.name, param_type))
        if expr.return_type is not None:
            result: Type = self.m.resolve_type(expr.return_type)
        elif wanted is not None:
            result = wanted.result
        else:
            result = ANY
        outer_sig, outer_loops = self.sig, self.loops
        self.sig = FnSig("closure", tuple(params), result, None, self.m.module)
        self.loops = 0  # `break` cannot leave a closure
        try:
            if isinstance(expr.body, ast.Block) and expr.return_type is not None:
                body = self.function_body(expr.body, inner)
            elif isinstance(expr.body, ast.Block):
                body = self.block(expr.body, inner, None if isinstance(result, AnyType) else result)
            else:
                want = (
                    DISCARD if result == UNIT else None if isinstance(result, AnyType) else result
                )
                body = self.expr(expr.body, inner, want)
                if want is DISCARD:
                    body = UNIT
        finally:
            self.sig, self.loops = outer_sig, outer_loops
        self.m.result.captures[expr] = tuple(sorted(captures))
        if expr.return_type is not None:
            body = result
        return FnType(tuple(t for _, t in params), body)

    def _field(self, expr: ast.Field, scope: Scope, expected: Type | None) -> Type:
        target = self.expr(expr.target, scope)
        if isinstance(target, AnyType):
            return ANY
        if not isinstance(target, RecordType):
            hint = _option_hint(target) or (
                "tuple parts are numbered: .0, .1, ..." if isinstance(target, TupleType) else None
            )
            self.error(
                expr.name_span, f"type {target} has no fields (looking for '{expr.name}')", hint
            )
            return ANY
        field_type = target.field(expr.name)
        if field_type is None:
            names = [n for n, _ in target.fields]
            close = did_you_mean(expr.name, names)
            self.error(
                expr.name_span,
                f"{target} has no field '{expr.name}'" + (f"; {close}" if close else ""),
                f"{target} fields: {', '.join(names)}",
            )
            return ANY
        return field_type

    def _index(self, expr: ast.Index, scope: Scope, expected: Type | None) -> Type:
        target = self.expr(expr.target, scope)
        index = self.expr(expr.index, scope)
        if isinstance(target, VectorType):
            key, result = INT, target.element
        elif isinstance(target, MapType):
            key, result = STRING, target.value
        elif target == STRING:
            key, result = INT, STRING
        elif isinstance(target, AnyType):
            return ANY
        else:
            self.error(
                expr.target.span,
                f"cannot index a value of type {target}",
                "only Vector, Map and String values can be indexed",
            )
            return ANY
        if not compatible(key, index):
            self.error(expr.index.span, f"index into {target} must be {key}, found {index}")
        return result

    def _call(self, expr: ast.Call, scope: Scope, expected: Type | None) -> Type:
        var = None if expr.method else scope.lookup(expr.name)
        if var is not None and isinstance(var.type, FnType | AnyType):
            self.m.result.variable_calls.add(expr)
            if isinstance(var.type, AnyType):
                self._args(expr, scope)
                return ANY
            params = [(f"#{i + 1}", t) for i, t in enumerate(var.type.params)]
            return self._call_generic(expr, scope, expr.name, params, var.type.result)
        if var is not None:
            self.error(
                expr.name_span, f"'{expr.name}' is a variable of type {var.type}, not a function"
            )
            self._args(expr, scope)
            return ANY
        sig = self.m.functions.get(expr.name)
        if sig is not None:
            if sig.module.name == "med.registry" and sig.name == "query_runs":
                self._check_query_literals(expr)
            return self._call_generic(expr, scope, sig.name, list(sig.params), sig.result)
        builtin = BUILTINS.get(expr.name)
        if builtin is not None and builtin.signature is not None:
            sig = builtin.signature
            result = self._call_generic(expr, scope, expr.name, list(sig.params), sig.result)
            problem = sig.constraint(self._bindings) if sig.constraint else None
            if problem is not None:
                index, message = problem
                self.error(expr.args[index].span, f"{expr.name} {message}")
            if result == FLOAT:
                self.m.result.float_sums.add(expr)
            return result
        if builtin is not None:
            result = self._call_builtin(expr, scope, builtin)
            if result == FLOAT and expr.name == "sum":
                self.m.result.float_sums.add(expr)
            return result
        if self.m.is_poisoned(expr.name):
            self._args(expr, scope)
            return ANY
        candidates = [*self.m.functions, *BUILTINS]
        self.error(
            expr.name_span, f"unknown function '{expr.name}'", did_you_mean(expr.name, candidates)
        )
        self._args(expr, scope)
        return ANY

    def _args(
        self, expr: ast.Call, scope: Scope, wanted: list[Type | None] | None = None
    ) -> list[Type]:
        wanted = wanted or []
        return [
            self.expr(arg, scope, wanted[i] if i < len(wanted) else None)
            for i, arg in enumerate(expr.args)
        ]

    def _call_generic(
        self,
        expr: ast.Call,
        scope: Scope,
        name: str,
        params: list[tuple[str, Type]],
        result: Type,
    ) -> Type:
        """A call of a function whose parameters may mention type variables.

        Arguments other than closures go first and bind the type variables; then
        each closure is checked knowing its parameter types (``map(v, |x| ...)``
        learns x's type from v); finally every argument is compared with its
        parameter, the variables replaced by what they were bound to.
        """
        generic = any(has_type_vars(t) for _, t in params) or has_type_vars(result)
        if len(expr.args) != len(params):
            self._args(expr, scope)
            shown = ", ".join(f"{n}: {t}" for n, t in params)
            self.error(
                expr.span,
                f"'{name}' takes {_n(len(params), 'argument')}, but {_given(len(expr.args))}",
                f"signature: {name}({shown})",
            )
            return substitute(result, {}) if generic else result
        bindings: dict = {}
        self._bindings = {}
        actual: list[Type] = [ANY] * len(params)
        order = sorted(range(len(params)), key=lambda i: isinstance(expr.args[i], ast.Closure))
        for index in order:
            wanted = params[index][1]
            hint = substitute(wanted, bindings) if generic else wanted
            actual[index] = self.expr(expr.args[index], scope, hint)
            if generic:
                unify(wanted, actual[index], bindings)
        for index, ((param_name, wanted), got) in enumerate(zip(params, actual, strict=True)):
            concrete = substitute(wanted, bindings) if generic else wanted
            if compatible(concrete, got):
                continue
            hint = None
            if isinstance(concrete, OptionType) and compatible(concrete.inner, got):
                hint = "wrap the value in Some(...), or pass None"
            else:
                hint = _option_hint(got, concrete)
            where = f"argument '{param_name}'" if not param_name.startswith("#") else "argument"
            message = f"{where} of '{name}' must be {concrete}, found {got}"
            if concrete != wanted:
                bound = ", ".join(
                    f"{v} = {t}" for v, t in bindings.items() if str(v) in str(wanted)
                )
                message += f" (it is declared {wanted}; here {bound})" if bound else ""
            self.error(expr.args[index].span, message, hint)
        self._bindings = {var.name: t for var, t in bindings.items()}
        return substitute(result, bindings) if generic else result

    def _call_builtin(self, expr: ast.Call, scope: Scope, builtin) -> Type:
        actual = self._args(expr, scope)
        if builtin.formats and expr.args and isinstance(expr.args[0], ast.StringLit):
            self._check_format(expr, actual)
        try:
            return builtin.rule(actual)
        except BuiltinTypeError as problem:
            span = expr.args[problem.arg].span if problem.arg is not None else expr.span
            self.error(span, f"{expr.name} {problem.message}", problem.hint)
            return ANY

    def _check_query_literals(self, expr: ast.Call) -> None:
        """``query_runs("metrics.rmse < 'a'", ...)``: a query (and order) written as a
        literal is parsed now; its problems are diagnostics inside the literal."""
        from medlang.lang.query_check import query_literal_problems

        for problem in query_literal_problems(expr.args):
            self.error(problem.span, problem.message, problem.hint)

    def _check_format(self, expr: ast.Call, actual: list[Type]) -> None:
        """Placeholders against arguments: their number, and each spec against
        its argument's type; problems in the string point into the literal."""
        literal = expr.args[0]
        assert isinstance(literal, ast.StringLit)
        try:
            specs = placeholders(parse_format(literal.value))
        except FormatError as error:
            self.error(_inside(literal, error.offset, error.length), error.message, error.hint)
            return
        given = len(expr.args) - 1
        if len(specs) != given:
            self.error(
                expr.span,
                f"format string has {_n(len(specs), 'placeholder')}, but {_given(given)}",
            )
            return
        for spec, arg_type in zip(specs, actual[1:], strict=True):
            problem = spec_problem(
                spec, str(arg_type) if not isinstance(arg_type, AnyType) else "_"
            )
            if problem is not None:
                severity, message, hint = problem
                hint = hint or _option_hint(arg_type)
                self.m.report(severity, _inside(literal, spec.offset, spec.length), message, hint)

    def _unary(self, expr: ast.Unary, scope: Scope, expected: Type | None) -> Type:
        operand = self.expr(expr.operand, scope)
        if expr.op == "!":
            if not compatible(BOOL, operand):
                self.error(expr.span, f"operator '!' needs a Bool, found {operand}")
            return BOOL
        if not (is_numeric(operand) or isinstance(operand, AnyType)):
            self.error(expr.span, f"operator '-' needs an Int or a Float, found {operand}")
            return ANY
        return operand

    def _binary(self, expr: ast.Binary, scope: Scope, expected: Type | None) -> Type:
        op = expr.op
        left = self.expr(expr.left, scope)
        right = self.expr(expr.right, scope, left if op in ("==", "!=") else None)
        if isinstance(left, AnyType) or isinstance(right, AnyType):
            return BOOL if op in _COMPARISONS or op in ("&&", "||") else join(left, right)
        if op in ("&&", "||"):
            for side, t in ((expr.left, left), (expr.right, right)):
                if t != BOOL:
                    self.error(side.span, f"operator '{op}' needs Bool operands, found {t}")
            return BOOL
        if op in ("==", "!="):
            if not (compatible(left, right) or compatible(right, left)):
                self.error(
                    expr.span,
                    f"cannot compare {left} with {right} using '{op}'",
                    _mix_hint(left, right),
                )
            return BOOL
        if op in _COMPARISONS:
            if not (left == right and is_ordered(left)):
                self.error(
                    expr.span,
                    f"operator '{op}' cannot compare {left} and {right}",
                    _mix_hint(left, right)
                    or _option_hint(left, right)
                    or _option_hint(right, left)
                    or "ordering works on Int, Float and String",
                )
            return BOOL
        if op == "+" and left == STRING and right == STRING:
            return STRING
        if left == right and is_numeric(left):
            return left
        verb = _VERBS.get(op, f"apply '{op}' to")
        hint = _mix_hint(left, right) or _option_hint(left, right) or _option_hint(right, left)
        self.error(expr.span, f"cannot {verb} {left} and {right}", hint)
        return ANY

    def _if(self, expr: ast.If, scope: Scope, expected: Type | None) -> Type:
        self._condition(expr.condition, scope, "if")
        discard = expected is DISCARD or expr.otherwise is None
        branch_expected = DISCARD if discard else expected
        then = self.block(expr.then, scope, branch_expected)
        if expr.otherwise is None:
            return UNIT
        if isinstance(expr.otherwise, ast.Block):
            other = self.block(expr.otherwise, scope, branch_expected)
        else:
            other = self._if(expr.otherwise, scope, branch_expected)
        if discard:
            return UNIT
        if not (compatible(then, other) or compatible(other, then)):
            where = _branch_value_span(expr.otherwise)
            self.error(where, f"`if` branches have different types: {then} and {other}")
            return ANY
        return join(then, other)

    def _match(self, expr: ast.Match, scope: Scope, expected: Type | None) -> Type:
        subject = self.expr(expr.subject, scope)
        discard = expected is DISCARD
        result: Type | None = None
        mismatched = False
        for arm in expr.arms:
            with scope.child() as inner:
                check_pattern(self.m, arm.pattern, subject, inner.vars, Var)
                if arm.guard is not None:
                    self._condition(arm.guard, inner, "match guard")
                if isinstance(arm.body, ast.Block):
                    body = self.block(arm.body, inner, expected)
                else:
                    body = self.expr(arm.body, inner, expected)
            if discard or mismatched:
                continue
            if result is None or isinstance(result, AnyType):
                result = body if result is None else join(result, body)
            elif compatible(result, body) or compatible(body, result):
                result = join(result, body)
            else:
                span = (
                    arm.body.tail.span
                    if isinstance(arm.body, ast.Block) and arm.body.tail
                    else arm.body.span
                )
                self.error(span, f"match arms have different types: {result} and {body}")
                mismatched = True
        check_exhaustive(self.m, expr, subject)
        if discard:
            return UNIT
        # After a mismatch the match's type is unknown: one mistake, one error.
        return ANY if mismatched or result is None else result


_COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}
_VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "%": "take the remainder of"}


def _mix_hint(left: Type, right: Type) -> str | None:
    if {left, right} == {INT, FLOAT}:
        return "Int and Float do not mix; convert with to_float(...) or to_int(...)"
    if STRING in (left, right):
        return "'+' joins two Strings; convert the other side with to_string(...)"
    return None


def _inside(literal: ast.StringLit, offset: int, length: int) -> Span:
    """The span of ``length`` characters at ``offset`` in a string literal's value;
    the whole literal when escapes make columns uncertain."""
    span = literal.span
    if span.line != span.end_line or span.end_col - span.col != len(literal.value) + 2:
        return span
    col = span.col + 1 + offset
    return Span(span.line, col, span.line, col + max(length, 1))


def _option_hint(found: Type, wanted: Type | None = None) -> str | None:
    """``Option<Float>`` where a Float is wanted: say how to get at the value."""
    if not isinstance(found, OptionType):
        return None
    wants_other = wanted is not None and not isinstance(wanted, AnyType | TupleType)
    if wants_other and not compatible(wanted, found.inner):
        return None
    return (
        f"the value is an {found}: take it out with unwrap_or(x, default), "
        "or match on Some(v) / None"
    )


def _given(count: int) -> str:
    return f"{_n(count, 'argument')} {'was' if count == 1 else 'were'} given"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _branch_value_span(branch: ast.Block | ast.If) -> Span:
    if isinstance(branch, ast.Block) and branch.tail is not None:
        return branch.tail.span
    return branch.span
