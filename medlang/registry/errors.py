"""Registry errors and warnings (no heavy imports: the fast CLI path uses these)."""

from __future__ import annotations

import sys


class RegistryError(Exception):
    """A user-facing registry problem; the message is shown as is."""


class InvalidIdError(RegistryError, ValueError):
    """A run or artifact id that is not a UUID v4 (or not a usable id prefix)."""


def note(message: str) -> None:
    """One informational line on stderr (never on stdout: that may be piped to jq)."""
    print(f"medlang: {message}", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    """One warning line on stderr; looked up at call time so tests can capture it."""
    print(f"medlang: warning: {message}", file=sys.stderr, flush=True)


class UnknownKindError(RegistryError, ValueError):
    """A run or artifact kind name that is not one of the fixed variants."""
