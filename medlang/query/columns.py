"""The value of a named field in a stored record, for display (``--columns``, CSV,
compare, the web UI). Pydantic-free.

Fields are named as in the query language: ``id``, ``kind``, ``started_at``,
``duration_s``, ``metrics.rmse``, ``config.model.layers``, ``env.python``,
``tags.paper`` (from a run view, see ``medlang.registry.views``).
"""

from __future__ import annotations

from typing import Any

from medlang.registry import facts
from medlang.registry.storage import JsonObject

MISSING = object()


def field_value(record: JsonObject, name: str) -> Any:
    """The value of ``name`` in ``record``, or ``MISSING``."""
    if name == "duration_s":
        started = facts.time_of(record.get("started_at"))
        finished = facts.time_of(record.get("finished_at"))
        if started is None or finished is None:
            return MISSING
        return (finished - started) / 1e6
    if name == "status" and "started_at" in record:
        return record.get("status") or "finished"
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``: the dotted paths to every non-object value."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    if not value and prefix:
        flat[prefix] = {}
    for key, item in value.items():
        flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return flat
