"""Static checker, program level: declarations, imports/exports, types, signatures
and externs of every module; function bodies are checked by ``check_body``.

Every problem is reported and checking continues, so a run of ``mlc check``
shows all errors at once. Modules are checked dependencies first, so an import
always finds the names of the module it imports already declared.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from medlang.lang import ast
from medlang.lang.ast import Span
from medlang.lang.diagnostics import Diagnostic, make
from medlang.lang.externs import lookup_extern
from medlang.lang.modules import LoadedModule, ModuleGraph
from medlang.lang.types import (
    ANY,
    GENERICS,
    PRIMITIVES,
    SHADOWABLE,
    STRING,
    UNIT,
    EnumType,
    FnType,
    MapType,
    OptionType,
    RecordType,
    TupleType,
    Type,
    TypeVar,
    VectorType,
    compatible,
)
from medlang.resources import stdlib_dir


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # record literal -> the record type's name, so values carry it at runtime
    record_names: dict[ast.RecordLit, str] = field(default_factory=dict)
    # closure -> the outer variables it captures (copied when the closure is made)
    captures: dict[ast.Closure, tuple[str, ...]] = field(default_factory=dict)
    # calls of a variable holding a closure or function, `f(x)`
    variable_calls: set[ast.Call] = field(default_factory=set)
    # sum/sum_by calls adding Floats: the sum of none is 0.0, not 0
    float_sums: set[ast.Call] = field(default_factory=set)


@dataclass(frozen=True)
class FnSig:
    name: str
    params: tuple[tuple[str, Type], ...]
    result: Type
    decl: ast.FnDecl | None  # None for a closure's pseudo-signature
    module: LoadedModule
    type_params: tuple[TypeVar, ...] = ()


@dataclass
class ModuleScope:
    """What one module can see by name, and where it reports problems."""

    module: LoadedModule
    result: CheckResult
    types: dict[str, Type] = field(default_factory=dict)
    functions: dict[str, FnSig] = field(default_factory=dict)
    # own declarations: name -> (kind, span), kind in "enum" | "type" | "fn"
    declared: dict[str, tuple[str, Span]] = field(default_factory=dict)
    # names promised by imports that failed: used silently as "unknown", so a
    # missing module is reported once, not at every use
    poisoned: set[str] = field(default_factory=set)
    star_import_failed: bool = False
    _pending_aliases: dict[str, ast.TypeDecl] = field(default_factory=dict)
    _resolving: set[str] = field(default_factory=set)
    # the type parameters of the generic function being declared or checked
    type_vars: dict[str, TypeVar] = field(default_factory=dict)

    def error(self, span: Span, message: str, hint: str | None = None) -> None:
        self.report("error", span, message, hint)

    def report(self, severity: str, span: Span, message: str, hint: str | None = None) -> None:
        self.result.diagnostics.append(
            make(severity, message, self.module.display_path, span, self.module.source, hint)
        )

    # -- types as written -> types
    def resolve_type(self, written: ast.TypeExpr) -> Type:
        if isinstance(written, ast.RecordTypeExpr):
            return RecordType(None, self._record_fields(written))
        if isinstance(written, ast.FnTypeExpr):
            params = tuple(self.resolve_type(p) for p in written.params)
            result = self.resolve_type(written.result) if written.result is not None else UNIT
            return FnType(params, result)
        if isinstance(written, ast.TupleTypeExpr):
            return TupleType(tuple(self.resolve_type(t) for t in written.items))
        name, args = written.name, written.args
        if name in self.type_vars and not args:
            return self.type_vars[name]
        if name in GENERICS:
            return self._generic(written)
        if args:
            self.error(written.span, f"type '{name}' takes no type arguments")
        shadowed = name in SHADOWABLE and (name in self._pending_aliases or name in self.types)
        if name in PRIMITIVES and not shadowed:
            return PRIMITIVES[name]
        if name in self._pending_aliases:
            return self._resolve_alias(name)
        if name in self.types:
            return self.types[name]
        if self.is_poisoned(name):
            return ANY
        known = [*PRIMITIVES, *GENERICS, *self.types, *self._pending_aliases]
        self.error(written.span, f"unknown type '{name}'", did_you_mean(name, known))
        return ANY

    def is_poisoned(self, name: str) -> bool:
        return name in self.poisoned or self.star_import_failed

    def _generic(self, written: ast.TypeName) -> Type:
        name, args = written.name, written.args
        if len(args) != GENERICS[name]:
            wanted = GENERICS[name]
            self.error(
                written.span,
                f"{name} takes {wanted} type argument{'s' if wanted > 1 else ''}, got {len(args)}",
                "write Map<String, T>" if name == "Map" else f"write {name}<T>",
            )
            return ANY
        resolved = [self.resolve_type(a) for a in args]
        if name == "Vector":
            return VectorType(resolved[0])
        if name == "Option":
            return OptionType(resolved[0])
        if not compatible(STRING, resolved[0]):
            self.error(args[0].span, "Map keys must be String", "write Map<String, T>")
        return MapType(resolved[1])

    def _record_fields(self, written: ast.RecordTypeExpr) -> tuple[tuple[str, Type], ...]:
        fields: list[tuple[str, Type]] = []
        seen: set[str] = set()
        for name, type_expr, span in written.fields:
            if name in seen:
                self.error(span, f"duplicate field '{name}' in record type")
                continue
            seen.add(name)
            fields.append((name, self.resolve_type(type_expr)))
        return tuple(fields)

    def _resolve_alias(self, name: str) -> Type:
        decl = self._pending_aliases[name]
        if name in self._resolving:
            self.error(
                decl.name_span,
                f"type '{name}' refers to itself",
                "recursive types are not supported",
            )
            return ANY
        self._resolving.add(name)
        resolved = self.resolve_type(decl.type)
        self._resolving.discard(name)
        if isinstance(resolved, RecordType) and resolved.name is None:
            resolved = RecordType(name, resolved.fields)
        del self._pending_aliases[name]
        self.types[name] = resolved
        return resolved


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, list(dict.fromkeys(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


# ---- the program --------------------------------------------------------------------
def check_program(graph: ModuleGraph) -> CheckResult:
    from medlang.lang.check_body import check_function

    result = CheckResult(list(graph.diagnostics))
    scopes: dict[LoadedModule, ModuleScope] = {}
    for module in graph.modules:  # dependencies first
        scope = ModuleScope(module, result)
        scopes[module] = scope
        _declare(scope)
        _import(scope, scopes)
        _resolve_declarations(scope)
        _check_exports(scope)
    for module in graph.modules:
        scope = scopes[module]
        for item in module.tree.items:
            if isinstance(item, ast.FnDecl) and not item.is_extern:
                sig = scope.functions.get(item.name)
                if sig is not None and sig.decl is item:
                    check_function(scope, sig)
    result.diagnostics.sort(key=lambda d: (d.path, d.line, d.col))
    return result


def _declare(scope: ModuleScope) -> None:
    for item in scope.module.tree.items:
        kind = {ast.EnumDecl: "enum", ast.TypeDecl: "type", ast.FnDecl: "fn"}[type(item)]
        if item.name in scope.declared:
            first = scope.declared[item.name][1]
            scope.error(
                item.name_span,
                f"duplicate definition of '{item.name}'",
                f"'{item.name}' is already defined at line {first.line}",
            )
            continue
        if kind != "fn" and item.name in PRIMITIVES | GENERICS and item.name not in SHADOWABLE:
            scope.error(item.name_span, f"cannot redefine the built-in type '{item.name}'")
            continue
        scope.declared[item.name] = (kind, item.name_span)
        if isinstance(item, ast.EnumDecl):
            scope.types[item.name] = _enum_type(scope, item)
        elif isinstance(item, ast.TypeDecl):
            scope._pending_aliases[item.name] = item


def _enum_type(scope: ModuleScope, decl: ast.EnumDecl) -> EnumType:
    variants: list[str] = []
    for name, span in decl.variants:
        if name in variants:
            scope.error(span, f"duplicate variant '{name}' in enum {decl.name}")
        else:
            variants.append(name)
    if not variants:
        scope.error(decl.name_span, f"enum {decl.name} has no variants")
    return EnumType(decl.name, scope.module.name, tuple(variants))


def exported_names(module: LoadedModule) -> list[str]:
    """Names a module exports: everything unless it has export lines."""
    declared = [item.name for item in module.tree.items]
    exports = module.tree.exports
    if not exports or any(e.names is None for e in exports):
        return declared
    return [name for e in exports for name, _ in e.names or () if name in declared]


def _import(scope: ModuleScope, scopes: dict[LoadedModule, ModuleScope]) -> None:
    for node in scope.module.tree.imports:
        target = scope.module.imports.get(node)
        if target is None or target not in scopes:  # already reported by the loader
            if node.names is None:
                scope.star_import_failed = True
            else:
                scope.poisoned.update(name for name, _ in node.names)
            continue
        source = scopes[target]
        exports = exported_names(target)
        wanted = node.names if node.names is not None else [(n, node.span) for n in exports]
        for name, span in wanted:
            if name not in exports:
                _unknown_import(scope, target, name, span, exports)
                scope.poisoned.add(name)
                continue
            if name in scope.declared:
                scope.error(
                    span,
                    f"imported name '{name}' clashes with a definition in this module",
                    f"'{name}' is defined at line {scope.declared[name][1].line}",
                )
                continue
            _bring_in(scope, source, name)


def _unknown_import(
    scope: ModuleScope, target: LoadedModule, name: str, span: Span, exports: list[str]
) -> None:
    listed = ", ".join(exports) if exports else "nothing"
    hint = f"module '{target.name}' exports: {listed}"
    if any(item.name == name for item in target.tree.items):
        scope.error(span, f"'{name}' is not exported by module '{target.name}'", hint)
        return
    close = did_you_mean(name, exports)
    message = f"module '{target.name}' has no exported name '{name}'"
    scope.error(span, message + (f"; {close}" if close else ""), hint)


def _bring_in(scope: ModuleScope, source: ModuleScope, name: str) -> None:
    if name in source.functions:
        scope.functions[name] = source.functions[name]
    elif name in source.types:
        scope.types[name] = source.types[name]


def _resolve_declarations(scope: ModuleScope) -> None:
    for name in list(scope._pending_aliases):
        if name in scope._pending_aliases:
            scope._resolve_alias(name)
    for item in scope.module.tree.items:
        if (
            not isinstance(item, ast.FnDecl)
            or scope.declared.get(item.name, ("", None))[1] != item.name_span
        ):
            continue
        type_params = declare_type_params(scope, item)
        params: list[tuple[str, Type]] = []
        seen: set[str] = set()
        for param in item.params:
            if param.name in seen:
                scope.error(param.span, f"duplicate parameter '{param.name}'")
            seen.add(param.name)
            params.append((param.name, scope.resolve_type(param.type)))
        result = scope.resolve_type(item.return_type) if item.return_type else UNIT
        scope.type_vars = {}
        scope.functions[item.name] = FnSig(
            item.name, tuple(params), result, item, scope.module, type_params
        )
        if item.is_extern:
            _check_extern(scope, item)


def declare_type_params(scope: ModuleScope, decl: ast.FnDecl) -> tuple[TypeVar, ...]:
    """Make ``decl``'s type parameters visible to ``resolve_type`` (until reset)."""
    scope.type_vars = {}
    for name, span in decl.type_params:
        if name in scope.type_vars:
            scope.error(span, f"duplicate type parameter '{name}'")
        elif name in PRIMITIVES or name in GENERICS:
            scope.error(span, f"type parameter '{name}' hides the built-in type '{name}'")
        scope.type_vars[name] = TypeVar(name, decl.name)
    return tuple(scope.type_vars.values())


def _check_extern(scope: ModuleScope, decl: ast.FnDecl) -> None:
    module_name = scope.module.name
    try:
        implementation = lookup_extern(module_name, decl.name)
        problem = None
    except Exception as error:  # a broken bridge module is reported, not raised
        implementation, problem = None, f"loading its implementation failed: {error}"
    if implementation is None:
        scope.error(
            decl.name_span,
            f"extern fn '{decl.name}' has no Python implementation for module '{module_name}'",
            problem or "register one with @extern(module, name) in medlang.lang.externs",
        )
    elif _poses_as_stdlib(scope.module.path, module_name):
        scope.error(
            decl.name_span,
            f"extern fn '{decl.name}': only the stdlib's own {module_name} may declare it",
            f"import it instead: import {module_name}::{decl.name};",
        )


def _poses_as_stdlib(path: Path, module_name: str) -> bool:
    """A file other than the stdlib's own declaring a stdlib module: its extern
    signatures would bind Python code written for the stdlib's."""
    try:
        own = stdlib_dir().joinpath(*module_name.split(".")).with_suffix(".medlang")
    except FileNotFoundError:
        return False
    return own.is_file() and path.resolve() != own.resolve()


def _check_exports(scope: ModuleScope) -> None:
    for export in scope.module.tree.exports:
        for name, span in export.names or ():
            if name not in scope.declared:
                scope.error(
                    span,
                    f"cannot export '{name}': it is not defined in this module",
                    did_you_mean(name, scope.declared),
                )
