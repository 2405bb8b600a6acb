"""Static checks of ``match``: each pattern against the subject's type, and
exhaustiveness (enums: every variant; Option: Some and None; Bool: true and
false; anything else: a ``_`` or binding arm). Guarded arms never count as
covering anything, since the guard may be false."""

from __future__ import annotations

from collections.abc import Callable

from medlang.lang import ast
from medlang.lang.check import ModuleScope, did_you_mean
from medlang.lang.types import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    JSON,
    JSON_VARIANTS,
    STRING,
    AnyType,
    EnumType,
    OptionType,
    TupleType,
    Type,
)


def check_pattern(
    m: ModuleScope, pattern: ast.Pattern, subject: Type, bindings: dict, make_var: Callable
) -> None:
    """Report patterns that cannot match ``subject``; add bindings to ``bindings``."""
    if isinstance(pattern, ast.PWildcard):
        return
    if isinstance(pattern, ast.PBind):
        bindings[pattern.name] = make_var(subject, False, pattern.span, "match binding")
        return
    if isinstance(pattern, ast.POr):
        for alternative in pattern.alternatives:
            if _binds(alternative):
                m.error(
                    alternative.span,
                    "a `|` pattern cannot bind names",
                    "bind in a separate arm, or use `_`",
                )
            check_pattern(m, alternative, subject, {}, make_var)
        return
    if isinstance(subject, AnyType):
        if isinstance(pattern, ast.PSome):
            check_pattern(m, pattern.inner, ANY, bindings, make_var)
        elif isinstance(pattern, ast.PTuple):
            for item in pattern.items:
                check_pattern(m, item, ANY, bindings, make_var)
        return
    if isinstance(pattern, ast.PTuple):
        if not isinstance(subject, TupleType) or len(subject.items) != len(pattern.items):
            m.error(
                pattern.span,
                f"a pattern of {len(pattern.items)} parts cannot match a value of type {subject}",
            )
            return
        for item, item_type in zip(pattern.items, subject.items, strict=True):
            check_pattern(m, item, item_type, bindings, make_var)
        return
    if isinstance(pattern, ast.PVariant) and pattern.enum == "Json" and "Json" not in m.types:
        _check_json_variant(m, pattern, subject, bindings, make_var)
    elif isinstance(pattern, ast.PVariant):
        _check_variant(m, pattern, subject)
    elif isinstance(pattern, ast.PSome | ast.PNone):
        if not isinstance(subject, OptionType):
            m.error(
                pattern.span,
                f"pattern {_show(pattern)} needs an Option, but the value is {subject}",
            )
        elif isinstance(pattern, ast.PSome):
            check_pattern(m, pattern.inner, subject.inner, bindings, make_var)
    elif isinstance(pattern, ast.PLiteral):
        literal_type = _literal_type(pattern.value)
        if literal_type != subject:
            m.error(
                pattern.span,
                f"pattern of type {literal_type} cannot match a value of type {subject}",
            )


def _check_json_variant(
    m: ModuleScope, pattern: ast.PVariant, subject: Type, bindings: dict, make_var: Callable
) -> None:
    if pattern.variant not in JSON_VARIANTS:
        close = did_you_mean(pattern.variant, list(JSON_VARIANTS))
        m.error(
            pattern.span,
            f"Json has no variant '{pattern.variant}'" + (f"; {close}" if close else ""),
            f"variants: {', '.join(JSON_VARIANTS)}",
        )
        return
    if subject != JSON:
        m.error(
            pattern.span, f"pattern Json::{pattern.variant} cannot match a value of type {subject}"
        )
    held = JSON_VARIANTS[pattern.variant]
    if held is None and pattern.payload is not None:
        m.error(pattern.span, "Json::Null holds no value", "write Json::Null")
    elif held is not None and pattern.payload is None:
        m.error(
            pattern.span,
            f"Json::{pattern.variant} holds a value of type {held}",
            f"bind it, e.g. Json::{pattern.variant}(x), or ignore it: Json::{pattern.variant}(_)",
        )
    elif held is not None and pattern.payload is not None:
        check_pattern(m, pattern.payload, held, bindings, make_var)


def _check_variant(m: ModuleScope, pattern: ast.PVariant, subject: Type) -> None:
    if pattern.payload is not None:
        m.error(pattern.span, f"enum variant {pattern.enum}::{pattern.variant} holds no value")
    enum = m.types.get(pattern.enum)
    if enum is None and m.is_poisoned(pattern.enum):
        return
    if not isinstance(enum, EnumType):
        m.error(pattern.span, f"unknown enum '{pattern.enum}'")
        return
    if pattern.variant not in enum.variants:
        close = did_you_mean(pattern.variant, enum.variants)
        m.error(
            pattern.span,
            f"enum {enum.name} has no variant '{pattern.variant}'"
            + (f"; {close}" if close else ""),
            f"variants: {', '.join(enum.variants)}",
        )
    if not isinstance(subject, EnumType) or subject.name != enum.name:
        m.error(
            pattern.span,
            f"pattern {enum.name}::{pattern.variant} cannot match a value of type {subject}",
        )


def _binds(pattern: ast.Pattern) -> bool:
    if isinstance(pattern, ast.PBind):
        return True
    if isinstance(pattern, ast.PSome):
        return _binds(pattern.inner)
    if isinstance(pattern, ast.PVariant) and pattern.payload is not None:
        return _binds(pattern.payload)
    if isinstance(pattern, ast.PTuple):
        return any(_binds(item) for item in pattern.items)
    return False


def _literal_type(value) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    return STRING


def _show(pattern: ast.Pattern) -> str:
    return "None" if isinstance(pattern, ast.PNone) else "Some(...)"


# ---- exhaustiveness ----------------------------------------------------------------------
def check_exhaustive(m: ModuleScope, match: ast.Match, subject: Type) -> None:
    if isinstance(subject, AnyType):
        return
    patterns = [_flatten(arm.pattern) for arm in match.arms if arm.guard is None]
    covered = [p for alternatives in patterns for p in alternatives]
    if any(_irrefutable(p) for p in covered):
        return
    if not isinstance(subject, EnumType | OptionType) and subject not in (BOOL, JSON):
        m.error(
            match.subject.span,
            f"non-exhaustive match on {subject}: not every value is listed",
            "add a `_ => ...` arm",
        )
        return
    missing = _missing(subject, covered)
    if not missing:
        return
    listed = ", ".join(missing)
    m.error(
        match.subject.span,
        f"non-exhaustive match on {subject}: {listed} not covered",
        "add the missing arms or a `_ => ...` arm",
    )


def _flatten(pattern: ast.Pattern) -> list[ast.Pattern]:
    if isinstance(pattern, ast.POr):
        return [p for alternative in pattern.alternatives for p in _flatten(alternative)]
    return [pattern]


def _irrefutable(pattern: ast.Pattern) -> bool:
    if isinstance(pattern, ast.PTuple):
        return all(_irrefutable(item) for item in pattern.items)
    return isinstance(pattern, ast.PWildcard | ast.PBind)


def _missing(subject: Type, covered: list[ast.Pattern]) -> list[str]:
    if subject == JSON:
        seen = {
            p.variant
            for p in covered
            if isinstance(p, ast.PVariant) and (p.payload is None or _irrefutable(p.payload))
        }
        return [f"Json::{v}" for v in JSON_VARIANTS if v not in seen]
    if isinstance(subject, EnumType):
        seen = {p.variant for p in covered if isinstance(p, ast.PVariant)}
        return [f"{subject.name}::{v}" for v in subject.variants if v not in seen]
    if isinstance(subject, OptionType):
        missing = []
        if not any(isinstance(p, ast.PSome) and _irrefutable(p.inner) for p in covered):
            missing.append("Some(_)")
        if not any(isinstance(p, ast.PNone) for p in covered):
            missing.append("None")
        return missing
    seen_bools = {p.value for p in covered if isinstance(p, ast.PLiteral)}
    return [str(b).lower() for b in (True, False) if b not in seen_bools]
