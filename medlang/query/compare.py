"""Runs side by side: the one comparison used by ``mlc runs compare``, MedLang and the web UI.

For 2 to 20 runs (the first is the baseline):

- ``runs``: kind, program, git commit (dirty), status, start and duration of each;
- ``config``: every dotted config key whose values differ (all keys with ``all_keys``);
- ``metrics``: every metric, with the change from the first run, absolute and
  relative (``(v - v0) / |v0|``; none when either is not a number or v0 is 0);
- ``artifacts``: the artifacts (matched by kind, then by order within a kind)
  whose sha256 differ;
- ``env``: environment entries that differ (all with ``all_keys``).

A value a run does not have is ``MISSING`` (``null`` in JSON, with ``missing``
listing which runs lack it). Pydantic-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from medlang.query.columns import MISSING, field_value, flatten
from medlang.registry.errors import RegistryError
from medlang.registry.storage import JsonObject
from medlang.registry.store import Registry

MIN_RUNS, MAX_RUNS = 2, 20
SUMMARY_FIELDS = (
    "kind",
    "evidence_program",
    "git_commit",
    "git_dirty",
    "status",
    "started_at",
    "duration_s",
)


@dataclass
class Row:
    key: str
    values: list[Any]  # one per run, MISSING where a run lacks the key

    @property
    def differs(self) -> bool:
        first = _comparable(self.values[0])
        return any(_comparable(value) != first for value in self.values[1:])


@dataclass
class MetricRow(Row):
    delta_abs: list[float | None] = field(default_factory=list)
    delta_rel: list[float | None] = field(default_factory=list)


@dataclass
class Comparison:
    runs: list[JsonObject]  # the stored records, in the order asked
    summary: list[Row]
    config: list[Row]
    metrics: list[MetricRow]
    artifacts: list[Row]  # values: sha256 (or MISSING), one per run
    artifact_paths: dict[str, list[Any]]
    env: list[Row]
    all_keys: bool

    def to_json(self) -> JsonObject:
        """The comparison for tools (``mlc runs compare --json``); see ``comparison_schema``."""

        def rows(items: list[Row], **extra: Any) -> list[JsonObject]:
            out = []
            for row in items:
                item: JsonObject = {"key": row.key, "values": [_json(v) for v in row.values]}
                if any(v is MISSING for v in row.values):
                    item["missing"] = [v is MISSING for v in row.values]
                item["differs"] = row.differs
                for name, make in extra.items():
                    item[name] = make(row)
                out.append(item)
            return out

        return {
            "runs": [
                {"id": run["id"], **{f: _json(field_value(run, f)) for f in SUMMARY_FIELDS}}
                for run in self.runs
            ],
            "config": rows(self.config),
            "metrics": rows(
                self.metrics,
                delta_abs=lambda row: row.delta_abs,
                delta_rel=lambda row: row.delta_rel,
            ),
            "artifacts": rows(self.artifacts, paths=lambda row: self.artifact_paths[row.key]),
            "env": rows(self.env),
            "all_keys": self.all_keys,
        }


def compare_runs(registry: Registry, ids: list[str], *, all_keys: bool = False) -> Comparison:
    """Compare the runs with these ids (or unique prefixes); ``RegistryError`` for an
    unknown or ambiguous id, fewer than 2 or more than 20 runs, or a run given twice."""
    if not MIN_RUNS <= len(ids) <= MAX_RUNS:
        raise RegistryError(f"compare takes {MIN_RUNS} to {MAX_RUNS} runs, got {len(ids)}")
    full_ids = [registry.resolve_run_id(given) for given in ids]
    for index, run_id in enumerate(full_ids):
        if run_id in full_ids[:index]:
            raise RegistryError(f"run {run_id} is given twice ({ids[index]!r})")
    runs = []
    for run_id in full_ids:
        record = registry.run_json(run_id)
        if record is None:
            raise RegistryError(f"no run with id {run_id!r} in {registry.root}")
        runs.append(record)
    summary = [Row(name, [field_value(run, name) for run in runs]) for name in SUMMARY_FIELDS]
    config = _rows(runs, "config", all_keys)
    env = _rows(runs, "env", all_keys)
    metrics = [_with_deltas(row) for row in _rows(runs, "metrics", keep_all=True)]
    artifacts, paths = _artifacts(registry, runs, all_keys)
    return Comparison(runs, summary, config, metrics, artifacts, paths, env, all_keys)


def _rows(runs: list[JsonObject], namespace: str, keep_all: bool) -> list[Row]:
    flat = [flatten(run.get(namespace) or {}) for run in runs]
    keys: dict[str, None] = {}
    for values in flat:
        keys.update(dict.fromkeys(values))
    rows = [
        Row(f"{namespace}.{key}", [values.get(key, MISSING) for values in flat]) for key in keys
    ]
    return [row for row in rows if keep_all or row.differs]


def _with_deltas(row: Row) -> MetricRow:
    base = row.values[0]
    absolute: list[float | None] = []
    relative: list[float | None] = []
    for value in row.values:
        if _number(base) and _number(value):
            delta = value - base
            absolute.append(delta if math.isfinite(delta) else None)
            relative.append(delta / abs(base) if base != 0 and math.isfinite(delta) else None)
        else:
            absolute.append(None)
            relative.append(None)
    return MetricRow(row.key, row.values, absolute, relative)


def _artifacts(
    registry: Registry, runs: list[JsonObject], all_keys: bool
) -> tuple[list[Row], dict[str, list[Any]]]:
    """Artifacts matched by kind (``EvidenceResult``, ``EvidenceResult#2`` ...)."""
    per_run: list[dict[str, JsonObject]] = []
    for run in runs:
        found: dict[str, JsonObject] = {}
        for artifact_id in run.get("artifacts") or []:
            record = registry.artifact_json(artifact_id) or {"id": artifact_id, "kind": "?"}
            key, count = str(record.get("kind")), 1
            while key in found:
                count += 1
                key = f"{record.get('kind')}#{count}"
            found[key] = record
        per_run.append(found)
    keys: dict[str, None] = {}
    for found in per_run:
        keys.update(dict.fromkeys(found))
    rows, paths = [], {}
    for key in keys:
        records = [found.get(key) for found in per_run]
        row = Row(key, [(r.get("sha256") or MISSING) if r else MISSING for r in records])
        if all_keys or row.differs or any(v is MISSING for v in row.values):
            rows.append(row)
            paths[key] = [r.get("path") if r else None for r in records]
    return rows, paths


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _comparable(value: Any) -> Any:
    """Equal values compare equal across int/float, NaN equals NaN; bools stay bools."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, bool):
        return ("bool", value)
    return value


def _json(value: Any) -> Any:
    if value is MISSING:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def comparison_schema() -> JsonObject:
    """JSON Schema of ``Comparison.to_json()``."""
    value_list = {"type": "array", "minItems": MIN_RUNS, "maxItems": MAX_RUNS}
    flags = {**value_list, "items": {"type": "boolean"}}
    numbers = {**value_list, "items": {"type": ["number", "null"]}}

    def rows(**extra: Any) -> JsonObject:
        return {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "values": value_list,
                    "missing": flags,
                    "differs": {"type": "boolean"},
                    **extra,
                },
                "required": ["key", "values", "differs", *extra],
                "additionalProperties": False,
            },
        }

    run = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "kind": {"type": "string"},
            "evidence_program": {"type": ["string", "null"]},
            "git_commit": {"type": ["string", "null"]},
            "git_dirty": {"type": ["boolean", "null"]},
            "status": {"type": "string"},
            "started_at": {"type": "string"},
            "duration_s": {"type": ["number", "null"]},
        },
        "required": ["id", *SUMMARY_FIELDS],
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "mlc runs compare --json",
        "type": "object",
        "properties": {
            "runs": {**value_list, "items": run},
            "config": rows(),
            "metrics": rows(delta_abs=numbers, delta_rel=numbers),
            "artifacts": rows(paths={**value_list, "items": {"type": ["string", "null"]}}),
            "env": rows(),
            "all_keys": {"type": "boolean"},
        },
        "required": ["runs", "config", "metrics", "artifacts", "env", "all_keys"],
        "additionalProperties": False,
    }
