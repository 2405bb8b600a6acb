"""Diagnostics are data; ``render`` is the one place that turns them into text.

Rendered form::

    path:line:col: error: message
      source line
      ^~~~~
      hint: ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from medlang.lang.ast import Span


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning"
    message: str
    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    hint: str | None = None
    # The offending source line, captured when the diagnostic is made so that
    # rendering never has to re-read a file that may have changed or vanished.
    source_line: str | None = field(default=None, compare=False, repr=False)

    def render(self) -> str:
        return render(self)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def make(
    severity: str,
    message: str,
    path: str,
    span: Span,
    source: str | None,
    hint: str | None = None,
) -> Diagnostic:
    return Diagnostic(
        severity=severity,
        message=message,
        path=path,
        line=span.line,
        col=span.col,
        end_line=span.end_line,
        end_col=span.end_col,
        hint=hint,
        source_line=line_of(source, span.line),
    )


def line_of(source: str | None, line: int) -> str | None:
    if source is None:
        return None
    lines = source.splitlines()
    if 1 <= line <= len(lines):
        return lines[line - 1]
    return None


def render(diagnostic: Diagnostic) -> str:
    label = "runtime error" if diagnostic.severity == "runtime" else diagnostic.severity
    head = f"{diagnostic.path}:{diagnostic.line}:{diagnostic.col}: {label}: {diagnostic.message}"
    parts = [head]
    source_line = diagnostic.source_line
    if source_line is None:
        source_line = _read_line(diagnostic.path, diagnostic.line)
    if source_line is not None:
        parts.append("  " + source_line)
        parts.append("  " + caret_line(diagnostic, source_line))
    if diagnostic.hint:
        parts.append(f"  hint: {diagnostic.hint}")
    return "\n".join(parts)


def caret_line(diagnostic: Diagnostic, source_line: str) -> str:
    """``^`` under the first character of the span, ``~`` under the rest of it
    (to the end of the line when the span continues on later lines)."""
    start = max(diagnostic.col - 1, 0)
    if diagnostic.end_line == diagnostic.line:
        end = max(diagnostic.end_col - 1, start + 1)
    else:
        end = max(len(source_line.rstrip()), start + 1)
    # Keep tabs so the caret lines up under tab-indented source.
    prefix = "".join("\t" if ch == "\t" else " " for ch in source_line[:start])
    return prefix + "^" + "~" * (end - start - 1)


def _read_line(path: str, line: int) -> str | None:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return line_of(text, line)


def render_all(diagnostics: list[Diagnostic]) -> str:
    """All diagnostics separated by blank lines, then an ``N errors`` summary."""
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    summary = _count(errors, "error")
    if warnings:
        summary += ", " + _count(warnings, "warning")
    return "\n\n".join(d.render() for d in diagnostics) + "\n\n" + summary


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class MedLangError(Exception):
    """Static problems (syntax, names, types, modules); carries every diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__(render_all(self.diagnostics))

    def __str__(self) -> str:
        return render_all(self.diagnostics)


class MedLangRuntimeError(Exception):
    """A runtime error in a MedLang program, located in the source, with the
    MedLang call trace (outermost call first, innermost last)."""

    def __init__(
        self,
        message: str,
        path: str,
        line: int,
        col: int,
        trace: list[tuple[str, str, int, int]] | None = None,
        *,
        end_col: int | None = None,
        source_line: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.col = col
        self.end_col = end_col if end_col is not None else col + 1
        self.trace = list(trace or [])
        self.source_line = source_line

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        located = Diagnostic(
            "runtime",
            self.message,
            self.path,
            self.line,
            self.col,
            self.line,
            self.end_col,
            None,
            self.source_line,
        )
        text = render(located)
        if self.trace:
            text += "\ncall trace:\n" + "\n".join(_trace_lines(self.trace))
        return text


def _trace_lines(trace: list[tuple[str, str, int, int]]) -> list[str]:
    """One line per frame, runs of identical frames (deep recursion) folded."""
    lines: list[str] = []
    index = 0
    while index < len(trace):
        run = 1
        while index + run < len(trace) and trace[index + run] == trace[index]:
            run += 1
        name, path, line, col = trace[index]
        lines.append(f"  {name} at {path}:{line}:{col}")
        if run > 1:
            lines.append(f"  ... the same call {run - 1} more time(s)")
        index += run
    return lines
