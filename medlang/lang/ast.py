"""The typed AST: frozen dataclasses, one per construct, each with a source Span.

Nodes compare by identity (``eq=False``) so the checker can key side tables on
them cheaply; structural comparison is never needed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """1-based line/column of the first character and of one past the last."""

    line: int
    col: int
    end_line: int
    end_col: int


NO_SPAN = Span(1, 1, 1, 2)

node = dataclass(frozen=True, slots=True, eq=False)


# ---- types as written -----------------------------------------------------------
@node
class TypeName:
    name: str
    args: tuple[TypeExpr, ...]
    span: Span


@node
class RecordTypeExpr:
    fields: tuple[tuple[str, TypeExpr, Span], ...]
    span: Span


@node
class FnTypeExpr:
    params: tuple[TypeExpr, ...]
    result: TypeExpr | None  # None: `fn(T)` returns Unit
    span: Span


@node
class TupleTypeExpr:
    items: tuple[TypeExpr, ...]
    span: Span


TypeExpr = TypeName | RecordTypeExpr | FnTypeExpr | TupleTypeExpr


def type_text(type_expr: TypeExpr | None) -> str:
    """The type as the user wrote it (normalised spacing)."""
    if type_expr is None:
        return "Unit"
    if isinstance(type_expr, TypeName):
        if not type_expr.args:
            return type_expr.name
        return f"{type_expr.name}<{', '.join(type_text(a) for a in type_expr.args)}>"
    if isinstance(type_expr, FnTypeExpr):
        params = ", ".join(type_text(p) for p in type_expr.params)
        result = f" -> {type_text(type_expr.result)}" if type_expr.result is not None else ""
        return f"fn({params}){result}"
    if isinstance(type_expr, TupleTypeExpr):
        return "(" + ", ".join(type_text(t) for t in type_expr.items) + ")"
    inner = "; ".join(f"{name}: {type_text(t)}" for name, t, _ in type_expr.fields)
    return "{ " + inner + " }"


# ---- patterns -------------------------------------------------------------------
@node
class PWildcard:
    span: Span


@node
class PBind:
    name: str
    span: Span


@node
class PVariant:
    enum: str
    variant: str
    span: Span
    payload: Pattern | None = None  # Json::Int(n): the pattern for the variant's value


@node
class PSome:
    inner: Pattern
    span: Span


@node
class PNone:
    span: Span


@node
class PLiteral:
    value: int | float | str | bool
    span: Span


@node
class POr:
    alternatives: tuple[Pattern, ...]
    span: Span


@node
class PTuple:
    items: tuple[Pattern, ...]
    span: Span


Pattern = PWildcard | PBind | PVariant | PSome | PNone | PLiteral | POr | PTuple


# ---- expressions ----------------------------------------------------------------
@node
class IntLit:
    value: int
    span: Span


@node
class FloatLit:
    value: float
    span: Span


@node
class StringLit:
    value: str
    span: Span


@node
class BoolLit:
    value: bool
    span: Span


@node
class UnitLit:
    span: Span


@node
class NoneLit:
    span: Span


@node
class SomeExpr:
    value: Expr
    span: Span


@node
class Name:
    name: str
    span: Span


@node
class EnumRef:
    enum: str
    variant: str
    span: Span


@node
class VectorLit:
    items: tuple[Expr, ...]
    span: Span


@node
class RecordLit:
    fields: tuple[tuple[str, Expr, Span], ...]
    span: Span


@node
class TupleLit:
    items: tuple[Expr, ...]
    span: Span


@node
class Field:
    target: Expr
    name: str
    name_span: Span
    span: Span


@node
class TupleField:
    target: Expr
    index: int  # `pair.0`
    index_span: Span
    span: Span


@node
class Index:
    target: Expr
    index: Expr
    span: Span


@node
class Call:
    name: str
    args: tuple[Expr, ...]
    name_span: Span
    span: Span
    method: bool = False  # written `args[0].name(args[1:])`


@node
class Unary:
    op: str  # "-" or "!"
    operand: Expr
    span: Span


@node
class Binary:
    op: str
    left: Expr
    right: Expr
    op_span: Span
    span: Span


@node
class If:
    condition: Expr
    then: Block
    otherwise: Block | If | None
    span: Span


@node
class MatchArm:
    pattern: Pattern
    guard: Expr | None
    body: Expr | Block
    span: Span


@node
class Match:
    subject: Expr
    arms: tuple[MatchArm, ...]
    span: Span


@node
class ClosureParam:
    name: str
    type: TypeExpr | None  # None: inferred from where the closure is used
    span: Span


@node
class Closure:
    """``|x| x + 1`` or ``|x: Int| -> Int { ... }``; captures by value."""

    params: tuple[ClosureParam, ...]
    return_type: TypeExpr | None
    body: Expr | Block
    span: Span


Expr = (
    IntLit
    | FloatLit
    | StringLit
    | BoolLit
    | UnitLit
    | NoneLit
    | SomeExpr
    | Name
    | EnumRef
    | VectorLit
    | RecordLit
    | TupleLit
    | Field
    | TupleField
    | Index
    | Call
    | Unary
    | Binary
    | If
    | Match
    | Closure
)


# ---- statements -----------------------------------------------------------------
@node
class Let:
    name: str
    mutable: bool  # `var` rather than `let`
    declared_type: TypeExpr | None
    value: Expr
    name_span: Span
    span: Span
    pattern: PTuple | None = None  # `let (a, b) = ...`; then name is ""


@node
class Assign:
    name: str
    value: Expr
    name_span: Span
    span: Span


@node
class For:
    var: str
    iterable: Expr
    body: Block
    var_span: Span
    span: Span
    pattern: PTuple | None = None  # `for (k, v) in ...`; then var is ""


@node
class While:
    condition: Expr
    body: Block
    span: Span


@node
class Break:
    span: Span


@node
class Continue:
    span: Span


@node
class Return:
    value: Expr | None
    span: Span


@node
class ExprStmt:
    expr: Expr
    span: Span


Stmt = Let | Assign | For | While | Break | Continue | Return | ExprStmt


@node
class Block:
    stmts: tuple[Stmt, ...]
    tail: Expr | None  # the block's value; None means Unit
    span: Span


# ---- items ----------------------------------------------------------------------
@node
class Param:
    name: str
    type: TypeExpr
    span: Span


@node
class FnDecl:
    name: str
    params: tuple[Param, ...]
    return_type: TypeExpr | None
    body: Block | None  # None for `extern fn`
    name_span: Span
    span: Span
    type_params: tuple[tuple[str, Span], ...] = ()  # `fn first<T>(...)`

    @property
    def is_extern(self) -> bool:
        return self.body is None


@node
class EnumDecl:
    name: str
    variants: tuple[tuple[str, Span], ...]
    name_span: Span
    span: Span


@node
class TypeDecl:
    name: str
    type: TypeExpr
    name_span: Span
    span: Span


@node
class Import:
    module: str
    names: tuple[tuple[str, Span], ...] | None  # None: `import m::*;`
    module_span: Span
    span: Span


@node
class Export:
    names: tuple[tuple[str, Span], ...] | None  # None: `export *;`
    span: Span


Item = FnDecl | EnumDecl | TypeDecl


@node
class Module:
    name: str | None
    imports: tuple[Import, ...]
    exports: tuple[Export, ...]
    items: tuple[Item, ...]
    span: Span
