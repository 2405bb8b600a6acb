"""The ``med.registry`` externs: registry runs as MedLang values.

The MedLang side (``stdlib/med/registry.medlang``) declares the types and
documents the conventions; this module maps registry records onto them:
absent optional text becomes ``""``, times are RFC 3339 UTC with ``Z``,
metrics become a flat ``Map<String, Float>``.

It reads the registry's stored JSON objects (``Registry.runs_json`` and
friends), which were validated when the registry indexed them, instead of
building a pydantic record per run: listing 100k runs stays cheap. A program
typically lists runs and then asks for details of each one, so the objects a
call returns are kept (per program run, in the ``ExternContext``) and later
lookups by id are dictionary hits instead of registry reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from medlang.lang.externs import ExternContext, extern
from medlang.lang.values import NONE, EnumValue, Record, Some, Timestamp, Value

MODULE = "med.registry"

JsonObject = dict[str, Any]

# --- the externs -----------------------------------------------------------


@extern(MODULE, "list_runs")
def list_runs(ctx: ExternContext, kind: Value) -> tuple[Record, ...]:
    from medlang.registry.storage import Order

    runs = ctx.registry().runs_json(kind=_kind_name(kind), order=Order.OLDEST)
    finished = [run for run in runs if run.get("status", "finished") != "failed"]
    return tuple(summary_value(run) for run in _cache(ctx).remember(finished))


@extern(MODULE, "list_all_runs")
def list_all_runs(ctx: ExternContext, kind: Value) -> tuple[Record, ...]:
    from medlang.registry.storage import Order

    runs = ctx.registry().runs_json(kind=_kind_name(kind), order=Order.OLDEST)
    return tuple(summary_value(run) for run in _cache(ctx).remember(runs))


@extern(MODULE, "query_runs")
def query_runs(ctx: ExternContext, query: str, order_by: str, limit: int) -> tuple[Record, ...]:
    from medlang.query.errors import QueryError

    try:
        found = ctx.registry().iter_runs(
            query if query.strip() else None,
            order_by if order_by.strip() else None,
            limit if limit > 0 else None,
        )
        runs = list(found)
    except QueryError as error:
        ctx.fail(f"bad query: {error.message}" + (f" ({error.hint})" if error.hint else ""))
    return tuple(summary_value(run) for run in _cache(ctx).remember(runs))


@extern(MODULE, "get_status")
def get_status(ctx: ExternContext, run_id: str) -> str:
    return str(_find(ctx, run_id).get("status") or "finished")


@extern(MODULE, "recent_runs")
def recent_runs(ctx: ExternContext, n: int) -> tuple[Record, ...]:
    from medlang.registry.storage import Order

    if n <= 0:
        return ()
    runs = ctx.registry().runs_json(order=Order.NEWEST, limit=n)
    return tuple(summary_value(run) for run in _cache(ctx).remember(runs))


@extern(MODULE, "count_runs")
def count_runs(ctx: ExternContext, kind: Value) -> int:
    return ctx.registry().count_runs(_kind_name(kind))


@extern(MODULE, "get_run_summary")
def get_run_summary(ctx: ExternContext, run_id: str) -> Record:
    return summary_value(_find(ctx, run_id))


@extern(MODULE, "get_run")
def get_run(ctx: ExternContext, run_id: str) -> Record:
    run = _find(ctx, run_id)
    registry = ctx.registry()
    artifacts = tuple(
        artifact_value(artifact_id, registry.artifact_json(artifact_id))
        for artifact_id in run.get("artifacts") or ()
    )
    return record_value(run, artifacts)


@extern(MODULE, "get_metric")
def get_metric(ctx: ExternContext, run_id: str, name: str) -> Value:
    value = _cache(ctx).metrics(_find(ctx, run_id)).get(name)
    return NONE if value is None else Some(value)


@extern(MODULE, "get_metric_json")
def get_metric_json(ctx: ExternContext, run_id: str, name: str) -> Value:
    from medlang.lang.builtins_json import from_python

    found = _metric(_find(ctx, run_id).get("metrics") or {}, name)
    return NONE if found is _ABSENT else Some(from_python(found))


@extern(MODULE, "get_metric_int")
def get_metric_int(ctx: ExternContext, run_id: str, name: str) -> Value:
    return _metric_of_type(ctx, run_id, name, "Int")


@extern(MODULE, "get_metric_bool")
def get_metric_bool(ctx: ExternContext, run_id: str, name: str) -> Value:
    return _metric_of_type(ctx, run_id, name, "Bool")


def _metric_of_type(ctx: ExternContext, run_id: str, name: str, variant: str) -> Value:
    found = get_metric_json(ctx, run_id, name)
    if found is NONE or found.value.variant != variant:
        return NONE
    return Some(found.value.value)


@extern(MODULE, "get_config_json")
def get_config_json(ctx: ExternContext, run_id: str) -> Value:
    from medlang.lang.builtins_json import from_python

    return from_python(_find(ctx, run_id).get("config") or {})


_ABSENT = object()


def _metric(metrics: Mapping[str, Any], name: str) -> Any:
    """The stored metric ``name``: a top-level key, or a dotted path into nested ones."""
    if name in metrics:
        return metrics[name]
    head, dot, rest = name.partition(".")
    while dot:
        if head in metrics and isinstance(metrics[head], Mapping):
            return _metric(metrics[head], rest)
        more, dot, rest = rest.partition(".")
        head = f"{head}.{more}"
    return _ABSENT


@extern(MODULE, "get_config")
def get_config(ctx: ExternContext, run_id: str, key: str) -> Value:
    value: Any = _find(ctx, run_id).get("config") or {}
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return NONE
        value = value[part]
    return Some(value if isinstance(value, str) else json.dumps(value, sort_keys=True))


@extern(MODULE, "get_tags")
def get_tags(ctx: ExternContext, run_id: str) -> dict[str, str]:
    run = _find(ctx, run_id)
    return dict(ctx.registry().get_tags(run["id"]))


# --- conversions (pure: stored registry JSON in, MedLang values out) -------


def summary_value(run: JsonObject) -> Record:
    """``RunSummary`` for a stored run (fields in declared order)."""
    return Record("RunSummary", _summary_fields(run))


def record_value(run: JsonObject, artifacts: tuple[Record, ...]) -> Record:
    """``RunRecord``: the summary fields, then the details, in declared order."""
    fields = _summary_fields(run)
    fields["module_path"] = run.get("module_path") or ""
    fields["metrics"] = flatten_metrics(run.get("metrics") or {})
    fields["config_json"] = json.dumps(run.get("config") or {}, sort_keys=True)
    fields["artifacts"] = artifacts
    return Record("RunRecord", fields)


def artifact_value(artifact_id: str, artifact: JsonObject | None) -> Record:
    """``ArtifactInfo``; an artifact the registry has no record of keeps its id only."""
    artifact = artifact or {}
    return Record(
        "ArtifactInfo",
        {
            "id": artifact_id,
            "kind": artifact.get("kind") or "",
            "path": artifact.get("path") or "",
            "sha256": artifact.get("sha256") or "",
        },
    )


def flatten_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric metrics as floats, nested objects flattened to dotted keys.

    Booleans count as 1.0/0.0 (flags like ``qualification_passed`` are worth
    comparing); text, lists, nulls and ints too large for a float are left out.
    """
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool):
            flat[name] = 1.0 if value else 0.0
        elif isinstance(value, int | float):
            try:
                flat[name] = float(value)
            except OverflowError:
                continue
        elif isinstance(value, Mapping):
            flat.update(flatten_metrics(value, f"{name}."))
    return flat


def _summary_fields(run: JsonObject) -> dict[str, Value]:
    return {
        "id": run["id"],
        "kind": _run_kind(run["kind"]),
        "project_root": run.get("project_root") or "",
        "evidence_program": run.get("evidence_program") or "",
        "started_at": timestamp_text(run["started_at"]),
        "finished_at": timestamp_text(run["finished_at"]),
        "git_commit": run.get("git_commit") or "",
        "git_dirty": bool(run.get("git_dirty")),
        "started": _instant(run["started_at"]),
        "finished": _instant(run["finished_at"]),
    }


@cache
def _run_kind(name: str) -> EnumValue:
    return EnumValue("RunKind", name)  # seven values, shared by every summary


def _instant(stored: str) -> Timestamp:
    """A stored (validated) timestamp as a MedLang Timestamp."""
    from medlang.registry.timestamps import parse_timestamp, to_micros

    return Timestamp(to_micros(parse_timestamp(stored)))


def timestamp_text(stored: str) -> str:
    """A stored timestamp as RFC 3339 UTC with microseconds and ``Z``.

    What the Python toolchain writes is already that (and was validated when the
    registry indexed it), so a shape check suffices; anything else, e.g. the
    Rust toolchain's nanoseconds, is parsed and rewritten so all times compare
    correctly as strings.
    """
    if len(stored) == 27 and stored[10] == "T" and stored[19] == "." and stored[26] == "Z":
        return stored
    from medlang.registry.timestamps import format_timestamp, parse_timestamp

    return format_timestamp(parse_timestamp(stored))


# --- lookups ---------------------------------------------------------------


def _kind_name(kind: Value) -> str | None:
    """The registry kind name for an ``Option<RunKind>`` argument."""
    return kind.value.variant if isinstance(kind, Some) else None


def _find(ctx: ExternContext, run_id: str) -> JsonObject:
    """The run with this id (or a unique prefix of >= 4 characters), else a runtime error."""
    cache = _cache(ctx)
    run = cache.runs.get(run_id)
    if run is None:
        run = _read_run(ctx, run_id)
        cache.remember((run,))
    return run


def _read_run(ctx: ExternContext, run_id: str) -> JsonObject:
    from medlang.registry.errors import RegistryError
    from medlang.registry.ids import parse_uuid4

    registry = ctx.registry()
    try:
        return _found(ctx, run_id, registry.run_json(parse_uuid4(run_id, "run id")))
    except ValueError:  # not a full UUID: maybe a prefix
        pass
    if _looks_like_prefix(run_id):
        try:
            return _found(ctx, run_id, registry.run_json(registry.resolve_run_id(run_id)))
        except RegistryError as error:
            # Ambiguity is worth the registry's message (it lists candidates);
            # "not found" gets the uniform unknown-id message below.
            if "ambiguous" in str(error):
                ctx.fail(str(error))
    return _found(ctx, run_id, None)


def _found(ctx: ExternContext, run_id: str, run: JsonObject | None) -> JsonObject:
    if run is None:
        ctx.fail(f"unknown run id {run_id!r}: no such run in the registry")
    return run


def _looks_like_prefix(text: str) -> bool:
    return 4 <= len(text) < 36 and all(c in "0123456789abcdef-" for c in text.lower())


class _RunCache:
    """Runs already read during this program run, by id, and their flat metrics."""

    def __init__(self) -> None:
        self.runs: dict[str, JsonObject] = {}
        self._metrics: dict[str, dict[str, float]] = {}

    def remember(self, runs: Iterable[JsonObject]) -> list[JsonObject]:
        runs = list(runs)
        for run in runs:
            self.runs[run["id"]] = run
        return runs

    def metrics(self, run: JsonObject) -> dict[str, float]:
        flat = self._metrics.get(run["id"])
        if flat is None:
            flat = self._metrics[run["id"]] = flatten_metrics(run.get("metrics") or {})
        return flat


def _cache(ctx: ExternContext) -> _RunCache:
    cache = ctx.caches.get("med.registry")
    if cache is None:
        cache = ctx.caches["med.registry"] = _RunCache()
    return cache


# --- lineage (one implementation: medlang.provenance.lineage) ---------------


@extern(MODULE, "get_inputs")
def get_inputs(ctx: ExternContext, run_id: str) -> tuple[Record, ...]:
    from medlang.registry.inputs import input_files

    return tuple(
        Record("InputFile", {"role": f.role, "path": f.path or "", "sha256": f.sha256})
        for f in input_files(_find(ctx, run_id).get("config"))
    )


@extern(MODULE, "get_producer")
def get_producer(ctx: ExternContext, artifact: str) -> Value:
    from medlang.provenance import lineage
    from medlang.registry.errors import RegistryError

    try:
        run = lineage.producer(ctx.registry(), artifact)
    except RegistryError as error:
        ctx.fail(str(error))
    if run is None:
        return NONE
    _cache(ctx).remember((run,))
    return Some(run["id"])
