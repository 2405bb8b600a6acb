"""Timestamps: instants in UTC with the registry's microsecond precision.

``timestamp(text)`` and ``parse_timestamp(text)`` read RFC 3339 as the registry
does (``Z`` or a numeric offset, up to nanoseconds, truncated to microseconds); a
Timestamp shows as the registry writes it (``2026-03-01T09:30:00.000000Z``), and
Timestamps compare with ``<``, ``==`` ... and sort. A run's ``started``/``finished``
(``med.registry``) are Timestamps; its ``started_at``/``finished_at`` stay the
stored text, so programs that print or slice them keep working.
"""

from __future__ import annotations

from medlang.lang.builtin_rules import BuiltinFailure, _arity, _entry, _fixed
from medlang.lang.types import FLOAT, STRING, TIMESTAMP, OptionType
from medlang.lang.values import NONE, Some, Timestamp


def to_timestamp(text: str) -> Timestamp | None:
    """The instant an RFC 3339 string names, or None if it names none."""
    from medlang.registry.timestamps import parse_timestamp, to_micros

    try:
        return Timestamp(to_micros(parse_timestamp(text)))
    except (ValueError, OverflowError):
        return None


def _timestamp(ctx, text: str) -> Timestamp:
    parsed = to_timestamp(text)
    if parsed is None:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise BuiltinFailure(
            f"{shown!r} is not an RFC 3339 timestamp like '2026-03-01T09:30:00Z' "
            "(use parse_timestamp for text that may not be one)"
        )
    return parsed


def _parse_timestamp(ctx, text: str):
    parsed = to_timestamp(text)
    return NONE if parsed is None else Some(parsed)


def _duration_s(ctx, start: Timestamp, end: Timestamp) -> float:
    return (end.micros - start.micros) / 1_000_000


def _date(ctx, instant: Timestamp) -> str:
    return str(instant)[:10]


def _now(ctx) -> Timestamp:
    from medlang.registry.timestamps import to_micros, utc_now

    return Timestamp(to_micros(utc_now()))


ENTRIES = dict(
    [
        _entry("timestamp", _fixed((STRING,), TIMESTAMP), _timestamp),
        _entry("parse_timestamp", _fixed((STRING,), OptionType(TIMESTAMP)), _parse_timestamp),
        _entry("duration_s", _fixed((TIMESTAMP, TIMESTAMP), FLOAT), _duration_s),
        _entry("date", _fixed((TIMESTAMP,), STRING), _date),
        _entry("now", lambda args: (_arity(args, 0), TIMESTAMP)[1], _now),
    ]
)
