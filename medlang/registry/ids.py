"""Run and artifact ids: UUID v4, lowercase and hyphenated on disk."""

from __future__ import annotations

import re
import uuid

from medlang.registry.errors import InvalidIdError

MIN_PREFIX = 4
_PREFIX = re.compile(r"^[0-9a-f-]+$")
# The form every id is stored in; checked first because it is 10x cheaper than
# uuid.UUID and validating ids dominates indexing a large registry.
_CANONICAL_V4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def parse_uuid4(value: object, what: str = "id") -> str:
    """Return ``value`` as a lowercase hyphenated UUID v4 string, or raise ``InvalidIdError``.

    ``InvalidIdError`` is a ``ValueError``, so pydantic reports it as a validation error.
    """
    if isinstance(value, str) and _CANONICAL_V4.fullmatch(value):
        return value
    if isinstance(value, uuid.UUID):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = uuid.UUID(value.strip())
        except ValueError:
            raise InvalidIdError(
                f"invalid {what} {value!r}: expected a UUID v4 like "
                "'6a14c8a2-0b5e-4c1d-9f3a-2b7c9d1e4f50'"
            ) from None
    else:
        raise InvalidIdError(f"invalid {what}: expected a UUID string, got {type(value).__name__}")
    if parsed.version != 4:
        raise InvalidIdError(f"invalid {what} {value!r}: not a version-4 UUID")
    return str(parsed)


def new_id() -> str:
    return str(uuid.uuid4())


def normalize_prefix(prefix: str, what: str = "run id") -> str:
    """Lowercase an id prefix and check it could start an id (git-style abbreviation)."""
    cleaned = prefix.strip().lower()
    if len(cleaned) < MIN_PREFIX:
        raise InvalidIdError(
            f"{what} prefix {prefix!r} is too short: give at least {MIN_PREFIX} characters"
        )
    if not _PREFIX.match(cleaned) or len(cleaned) > 36:
        raise InvalidIdError(
            f"invalid {what} {prefix!r}: expected a UUID or a prefix of one (hex digits and '-')"
        )
    return cleaned
