"""Did-you-mean suggestions for names a user typed (kinds, fields, commands, config keys).

Pydantic-free and cheap to import: the fast ``mlc runs`` path uses it.
"""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` most likely meant, ignoring case: the fewest edits (a typo,
    ``runz`` -> ``runs``), else the one choice that contains it (``hybrid`` ->
    ``EvidenceHybrid``). None when nothing is close."""
    by_lower = {choice.lower(): choice for choice in choices}
    lowered = word.strip().lower()
    if not lowered or not by_lower:
        return None
    allowed = max(1, len(lowered) // 3)
    scored = sorted(
        (_edits(lowered, lower), abs(len(lower) - len(lowered)), lower) for lower in by_lower
    )
    distance, _, best = scored[0]
    if distance <= allowed:
        return by_lower[best]
    containing = [choice for lower, choice in by_lower.items() if lowered in lower]
    return containing[0] if len(containing) == 1 else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'X'?"`` to append to an error message, or ``""``."""
    match = closest(word, choices)
    return f"; did you mean '{match}'?" if match else ""


def _edits(a: str, b: str) -> int:
    """Levenshtein distance with adjacent transpositions (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        previous2, previous = previous, current
    return previous[-1]
