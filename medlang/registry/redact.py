"""Keep secrets out of the registry: config keys that name one get their value replaced.

Keys are split into words (``apiKey``, ``API-KEY`` and ``api_key`` all give
``api key``) and a key is secret when a word, or two adjacent words, name a secret.
Matching words, not substrings, keeps ``max_tokens`` and ``tokenizer`` visible
while ``access_token``, ``githubToken`` and ``db_password`` are hidden.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "***REDACTED***"

_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "token",
        "secret",
        "secrets",
        "apikey",
        "credential",
        "credentials",
        "authorization",
        "cookie",
    }
)
_SECRET_PAIRS = frozenset(
    {("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key"), ("auth", "key")}
)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def is_secret_key(key: str) -> bool:
    words = [word.lower() for word in _WORD.findall(key)]
    if any(word in _SECRET_WORDS for word in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in zip(words, words[1:], strict=False))


def redact(value: Any) -> Any:
    """A copy of ``value`` with the values of secret-looking keys replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if isinstance(key, str) and is_secret_key(key) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


# ``name=value`` arguments (not options) whose name looks like a setting, not a path.
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)=")


def redact_argv(argv: list[str]) -> list[str]:
    """Command-line arguments with the values of secret-looking options hidden:
    ``--token X``, ``--token=X`` and ``token=X`` (a path with ``=`` in it is kept)."""
    cleaned: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            cleaned.append(REDACTED)
            hide_next = False
            continue
        name, equals, _ = arg.partition("=")
        if arg.startswith("-") and is_secret_key(name.lstrip("-")):
            if equals:
                cleaned.append(f"{name}={REDACTED}")
            else:
                cleaned.append(arg)
                hide_next = True
            continue
        assignment = _ASSIGNMENT.match(arg)
        if assignment and is_secret_key(assignment.group(1)):
            cleaned.append(f"{assignment.group(1)}={REDACTED}")
            continue
        cleaned.append(arg)
    return cleaned
