"""The one JSON shape of a run (and of an artifact) that every ``--json`` prints.

``mlc runs show --json`` prints one of these, ``mlc runs list --json`` one a line,
and any other tool that prints runs (query, compare) uses the same functions, so a
script written against one command reads the output of all of them:

- the stored run, field for field, except ``artifacts``, which holds the artifact
  *records* (not just their ids); an id that has no record in artifacts.jsonl
  stays as ``{"id": ..., "missing": true}``;
- ``tags`` (an object of strings), ``notes`` (``[{"at", "text"}]``, oldest first)
  and ``hidden`` (null, ``"deleted"`` or ``"archived"``), folded from annotations.jsonl.

An artifact is its stored record plus ``runs``: the ids of the runs it was logged with.
Pydantic-free: the fast ``mlc runs`` path uses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from medlang.registry.storage import JsonObject, Table

if TYPE_CHECKING:
    from medlang.registry.store import Registry

ANNOTATION_KEYS = ("tags", "notes", "hidden")


def run_views(registry: Registry, records: Iterable[JsonObject]) -> list[JsonObject]:
    """Each stored run in the shape above (one annotation lookup for all of them)."""
    records = list(records)
    annotations = registry.annotations_json([record["id"] for record in records])
    artifact_ids = [i for record in records for i in record.get("artifacts") or []]
    found = registry.store.get_many(Table.ARTIFACTS, artifact_ids)
    views = []
    for record in records:
        view = dict(record)
        view["artifacts"] = [_artifact(found, i) for i in record.get("artifacts") or []]
        folded = annotations[record["id"]]
        view.update(tags=folded.tags, notes=folded.notes, hidden=folded.hidden)
        views.append(view)
    return views


def run_view(registry: Registry, record: JsonObject) -> JsonObject:
    return run_views(registry, [record])[0]


def artifact_view(registry: Registry, record: JsonObject) -> JsonObject:
    view = dict(record)
    view["runs"] = [run["id"] for run in registry.runs_with_artifact_json(record["id"])]
    return view


def _artifact(found: dict[str, JsonObject], artifact_id: str) -> JsonObject:
    record = found.get(artifact_id) if isinstance(artifact_id, str) else None
    return record if record is not None else {"id": artifact_id, "missing": True}


def run_view_schema() -> JsonObject:
    """JSON Schema of ``run_views``' objects, built from the pydantic models (so it
    cannot drift from the records it describes); imports pydantic."""
    from medlang.registry.model import ArtifactRecord, RunRecord

    run = RunRecord.model_json_schema(mode="serialization")
    artifact = ArtifactRecord.model_json_schema(mode="serialization")
    missing = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "missing": {"const": True}},
        "required": ["id", "missing"],
        "additionalProperties": False,
    }
    properties = dict(run["properties"])
    nested = {key: value for key, value in artifact.items() if key != "$defs"}
    properties["artifacts"] = {"type": "array", "items": {"anyOf": [nested, missing]}}
    properties["tags"] = {"type": "object", "additionalProperties": {"type": "string"}}
    properties["notes"] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"at": {"type": "string"}, "text": {"type": "string"}},
            "required": ["at", "text"],
            "additionalProperties": False,
        },
    }
    properties["hidden"] = {"enum": [None, "deleted", "archived"]}
    return {
        "title": "MedLang run (mlc runs show --json)",
        "type": "object",
        "properties": properties,
        "required": [*run.get("required", []), "artifacts", *ANNOTATION_KEYS],
        "$defs": {**run.get("$defs", {}), **artifact.get("$defs", {})},
    }


def artifact_view_schema() -> JsonObject:
    """JSON Schema of ``artifact_view``'s objects (imports pydantic)."""
    from medlang.registry.model import ArtifactRecord

    artifact = ArtifactRecord.model_json_schema(mode="serialization")
    properties = {**artifact["properties"], "runs": {"type": "array", "items": {"type": "string"}}}
    return {
        **artifact,
        "title": "MedLang artifact (mlc artifacts show --json)",
        "properties": properties,
        "required": [*artifact.get("required", []), "runs"],
    }
