"""The run & artifact registry: data model, durable JSONL store and RunLogger.

Names are imported on first use (module ``__getattr__``): ``mlc runs show`` must
not pay for pydantic, which only the model needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "RegistryError": "medlang.registry.errors",
    "InvalidIdError": "medlang.registry.errors",
    "UnknownKindError": "medlang.registry.errors",
    "RunKind": "medlang.registry.kinds",
    "ArtifactKind": "medlang.registry.kinds",
    "parse_uuid4": "medlang.registry.ids",
    "new_id": "medlang.registry.ids",
    "parse_timestamp": "medlang.registry.timestamps",
    "format_timestamp": "medlang.registry.timestamps",
    "utc_now": "medlang.registry.timestamps",
    "default_registry_root": "medlang.registry.paths",
    "Registry": "medlang.registry.store",
    "Order": "medlang.registry.storage",
    "RecordStore": "medlang.registry.storage",
    "Table": "medlang.registry.storage",
    "JsonlStore": "medlang.registry.jsonl_store",
    "MemoryStore": "medlang.registry.memory_store",
    "RunId": "medlang.registry.model",
    "ArtifactId": "medlang.registry.model",
    "RunRecord": "medlang.registry.model",
    "ArtifactRecord": "medlang.registry.model",
    "RunLogger": "medlang.registry.logger",
    "TimedRun": "medlang.registry.logger",
    "log_evidence_run": "medlang.registry.helpers",
    "log_surrogate_train": "medlang.registry.helpers",
    "log_surrogate_eval": "medlang.registry.helpers",
    "log_rl_train": "medlang.registry.helpers",
    "log_rl_eval": "medlang.registry.helpers",
}

__all__ = [
    "ArtifactId",
    "ArtifactKind",
    "ArtifactRecord",
    "InvalidIdError",
    "JsonlStore",
    "MemoryStore",
    "Order",
    "RecordStore",
    "Registry",
    "RegistryError",
    "RunId",
    "RunKind",
    "RunLogger",
    "RunRecord",
    "Table",
    "TimedRun",
    "UnknownKindError",
    "default_registry_root",
    "format_timestamp",
    "log_evidence_run",
    "log_rl_eval",
    "log_rl_train",
    "log_surrogate_eval",
    "log_surrogate_train",
    "new_id",
    "parse_timestamp",
    "parse_uuid4",
    "utc_now",
]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # next time: a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from medlang.registry.errors import InvalidIdError, RegistryError, UnknownKindError
    from medlang.registry.helpers import (
        log_evidence_run,
        log_rl_eval,
        log_rl_train,
        log_surrogate_eval,
        log_surrogate_train,
    )
    from medlang.registry.ids import new_id, parse_uuid4
    from medlang.registry.jsonl_store import JsonlStore
    from medlang.registry.kinds import ArtifactKind, RunKind
    from medlang.registry.logger import RunLogger, TimedRun
    from medlang.registry.memory_store import MemoryStore
    from medlang.registry.model import ArtifactId, ArtifactRecord, RunId, RunRecord
    from medlang.registry.paths import default_registry_root
    from medlang.registry.storage import Order, RecordStore, Table
    from medlang.registry.store import Registry
    from medlang.registry.timestamps import format_timestamp, parse_timestamp, utc_now
