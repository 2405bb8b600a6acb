"""A query that cannot be run: one diagnostic, rendered like MedLang's own.

--where:1:21: error: unknown field 'metrics.rsme'
  kind = SurrogateEval and metrics.rsme < 0.05
                           ^~~~~~~~~~~~
  hint: did you mean 'metrics.rmse'?
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from medlang.query.ast import Span


class QueryError(ValueError):
    def __init__(self, message: str, span: Span, text: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.text = text
        self.hint = hint

    def line_col(self) -> tuple[int, int, int, int]:
        """1-based (line, col, end_line, end_col) of the span."""
        return (*_line_col(self.text, self.span.start), *_line_col(self.text, self.span.end))

    def render(self, origin: str = "<query>") -> str:
        """``origin:line:col: error: ...`` with the line, a caret and the hint."""
        from medlang.lang.diagnostics import Diagnostic, line_of, render

        line, col, end_line, end_col = self.line_col()
        diagnostic = Diagnostic(
            "error",
            self.message,
            origin,
            line,
            col,
            end_line,
            end_col,
            self.hint,
            line_of(self.text, line) or "",
        )
        return render(diagnostic)

    def __str__(self) -> str:
        return self.render()


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """``did you mean 'x'?`` for the closest candidate, if one is close enough."""
    pool = list(candidates)
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not close:
        # a typo in the last segment of a long dotted name: compare last segments
        tail = name.rsplit(".", 1)[-1]
        prefix = name[: len(name) - len(tail)]
        same_prefix = [c for c in pool if c.startswith(prefix)]
        tails = difflib.get_close_matches(tail, [c[len(prefix) :] for c in same_prefix], n=1)
        close = [prefix + tails[0]] if tails else []
    return f"did you mean '{close[0]}'?" if close else None
