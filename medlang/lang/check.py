"""Static checker entry point (filled in by the following commits)."""

from __future__ import annotations

from dataclasses import dataclass, field

from medlang.lang import ast
from medlang.lang.diagnostics import Diagnostic
from medlang.lang.modules import ModuleGraph


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # record literal -> the record type's name, so values carry it at runtime
    record_names: dict[ast.RecordLit, str] = field(default_factory=dict)


def check_program(graph: ModuleGraph) -> CheckResult:
    return CheckResult(list(graph.diagnostics))
