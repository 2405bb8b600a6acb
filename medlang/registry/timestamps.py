"""UTC timestamps: written as RFC 3339 with a ``Z``; read from Python or Rust (chrono) lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Python writes microseconds; MedLang's Rust toolchain (chrono) writes nanoseconds,
# which datetime cannot hold, so the fraction is parsed by hand and truncated to
# microseconds.
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$"
)
_CANONICAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_timestamp(value: object) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamp has no time zone")
        return value.astimezone(UTC)
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC 3339 timestamp string, got {type(value).__name__}")
    if _CANONICAL.fullmatch(value):  # what we write: fromisoformat reads it directly
        return datetime.fromisoformat(value)
    match = _TIMESTAMP.match(value)
    if match is None:
        raise ValueError(
            f"invalid timestamp {value!r}: expected RFC 3339 like '2025-01-23T14:32:10.123456Z'"
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0").ljust(6, "0")[:6])
    parsed = datetime.fromisoformat(
        f"{year}-{month}-{day}T{hour}:{minute}:{second}.{micros:06d}"
        f"{'+00:00' if zone in ('Z', 'z') else zone}"
    )
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """UTC, RFC 3339, microseconds, ``Z`` suffix: ``2025-01-23T14:32:10.123456Z``."""
    # not strftime: its %Y drops the leading zeros of years before 1000, and the
    # reader (rightly) refuses such a line
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch: an exact, sortable integer for the index."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    seconds, rest = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)
