"""One error type for every user mistake in the run-producing commands."""

from __future__ import annotations

from pathlib import Path


class EvidenceError(Exception):
    """Bad input (program, config, model file): the message is one readable line
    naming the file and the field; the CLI prints it and exits 1."""


def describe_validation_error(error) -> str:
    """First problem of a pydantic ValidationError as ``field.path: message``;
    ``(and N more problems)`` when there are several."""
    problems = error.errors()
    first = problems[0]
    location = _location(first.get("loc", ()))
    message = first.get("msg", "invalid value")
    if first.get("type") == "extra_forbidden":
        message = "unknown key"
    elif first.get("type") == "missing":
        message = "missing required field"
    elif "input" in first and first.get("type") not in ("model_type", "dict_type"):
        message = f"{message} (got {_short(repr(first['input']))})"
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return f"field '{location}': {message}{more}" if location else f"{message}{more}"


def _location(loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            part = printable(str(part))
            text += f".{part}" if text else part
    return text


def is_file(path: Path) -> bool:
    """``path.is_file()``, but a name the system cannot even look up (too long) is no file."""
    try:
        return path.is_file()
    except OSError:
        return False


def is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _short(text: str, limit: int = 80) -> str:
    """A value as shown in an error: a 4,000-digit number or a deep list stays one line."""
    return text if len(text) <= limit else f"{text[: limit - 20]}... ({len(text)} characters)"


def printable(text: str) -> str:
    """``text`` with control characters escaped: a key holding a newline must not
    split an error message over two lines."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
