"""What a query can ask about a record, computed in one place from the record.

The SQLite index stores these facts in its query tables, and the in-memory
evaluation of a query (``medlang.query.evaluate``) reads the same facts, so both
see exactly the same values. Kept free of pydantic: it accepts a validated model
or the stored JSON object alike.

- *Columns*: one value per record (``status``, ``finished_at`` ...).
- *Keyed values*: every path into the record's nested objects (``metrics.rmse``,
  ``config.hybrid.threshold``, ``env.python``, an artifact's ``metadata.n``). A
  number or boolean is stored as a number (true = 1), a string as text; null,
  NaN, objects and lists are stored as present without a value, so ``exists``
  finds them and no comparison matches them.
"""

from __future__ import annotations

import math
from typing import Any

from medlang.registry.storage import Table
from medlang.registry.timestamps import parse_timestamp, to_micros

# Type bits of a keyed value, ORed together per key over the whole registry.
NUMBER, STRING, BOOL, NULL, OBJECT = 1, 2, 4, 8, 16
MAX_DEPTH = 16  # deeper paths are not indexed (configs are shallow; see the config limits)
_INT64 = 2**63

# column name -> type, per table ("time" columns hold microseconds since the epoch)
COLUMNS: dict[Table, dict[str, str]] = {
    Table.RUNS: {
        "status": "text",
        "finished_at": "time",
        "duration_s": "number",
        "project_root": "text",
        "module_path": "text",
        "evidence_program": "text",
        "git_commit": "text",
        "git_dirty": "bool",
    },
    Table.ARTIFACTS: {
        "path": "text",
        "sha256": "text",
        "size_bytes": "number",
    },
}
NAMESPACES: dict[Table, tuple[str, ...]] = {
    Table.RUNS: ("metrics", "config", "env"),
    Table.ARTIFACTS: ("metadata",),
}

# (key, number or None, text or None, type bit)
KeyedValue = tuple[str, int | float | None, str | None, int]


def _get(record: Any, name: str) -> Any:
    if isinstance(record, dict):
        return record.get(name)
    return getattr(record, name, None)


def time_of(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return to_micros(parse_timestamp(value))
    except (ValueError, OverflowError):
        return None


def columns(table: Table, record: Any) -> tuple[Any, ...]:
    """The column values of ``record``, in ``COLUMNS[table]`` order."""
    if table is Table.ARTIFACTS:
        size = _get(record, "size_bytes")
        return (_text(_get(record, "path")), _text(_get(record, "sha256")), _number(size))
    started = time_of(_get(record, "started_at"))
    finished = time_of(_get(record, "finished_at"))
    duration = (finished - started) / 1e6 if started is not None and finished is not None else None
    status = _get(record, "status")
    return (
        str(status) if status is not None else "finished",  # lines before `status` finished
        finished,
        duration,
        _text(_get(record, "project_root")),
        _text(_get(record, "module_path")),
        _text(_get(record, "evidence_program")),
        _text(_get(record, "git_commit")),
        1 if _get(record, "git_dirty") is True else 0,
    )


def keyed(table: Table, record: Any) -> list[KeyedValue]:
    """Every path into the record's namespaces with its value; the first of a repeated
    path wins (``{"a.b": 1, "a": {"b": 2}}`` both spell ``a.b``). Called for every
    record the index takes in, so it dispatches on exact types."""
    found: dict[str, KeyedValue] = {}
    for namespace in NAMESPACES[table]:
        value = _get(record, namespace)
        if isinstance(value, dict):
            _walk(namespace, value, 1, found)
    return list(found.values())


def _walk(prefix: str, obj: dict[str, Any], depth: int, found: dict[str, KeyedValue]) -> None:
    for name, value in obj.items():
        key = f"{prefix}.{name}"
        if key in found:
            continue
        kind = type(value)
        if kind is float:
            found[key] = (key, value, None, NUMBER) if value == value else (key, None, None, NULL)
        elif kind is str:
            found[key] = (key, None, value, STRING)
        elif kind is dict:
            found[key] = (key, None, None, OBJECT)
            if depth < MAX_DEPTH:
                _walk(key, value, depth + 1, found)
        else:
            found[key] = scalar(key, value)


def scalar(key: str, value: Any) -> KeyedValue:
    if isinstance(value, bool):
        return key, int(value), None, BOOL
    if isinstance(value, int):
        # SQLite integers are 64-bit: a larger one is kept as the nearest float
        return key, value if -_INT64 <= value < _INT64 else float(value), None, NUMBER
    if isinstance(value, float):
        return (key, None, None, NULL) if math.isnan(value) else (key, value, None, NUMBER)
    if isinstance(value, str):
        return key, None, value, STRING
    if value is None:
        return key, None, None, NULL
    return key, None, None, OBJECT  # a list


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if isinstance(value, float) and math.isnan(value) else value
