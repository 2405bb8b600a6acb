"""The ``med.registry`` externs: registry runs as MedLang values.

The MedLang side (``stdlib/med/registry.medlang``) declares the types and
documents the conventions; this module maps registry records onto them:
absent optional text becomes ``""``, times are RFC 3339 UTC with ``Z``,
metrics become a flat ``Map<String, Float>``.

A program typically lists runs and then asks for details of each one, so the
records a call returns are kept (per program run, in the ``ExternContext``)
and later lookups by id are dictionary hits instead of registry reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from medlang.lang.externs import ExternContext, extern
from medlang.lang.values import NONE, EnumValue, Record, Some, Value

MODULE = "med.registry"

_SUMMARY_FIELDS = (
    "id",
    "kind",
    "project_root",
    "evidence_program",
    "started_at",
    "finished_at",
    "git_commit",
    "git_dirty",
)


# --- the externs -----------------------------------------------------------


@extern(MODULE, "list_runs")
def list_runs(ctx: ExternContext, kind: Value) -> tuple[Record, ...]:
    runs = _cache(ctx).remember(ctx.registry().runs_by_start(_kind_name(kind)))
    return tuple(summary_value(run) for run in runs)


@extern(MODULE, "recent_runs")
def recent_runs(ctx: ExternContext, n: int) -> tuple[Record, ...]:
    if n <= 0:
        return ()
    runs = _cache(ctx).remember(ctx.registry().recent_runs(n))
    return tuple(summary_value(run) for run in runs)


@extern(MODULE, "count_runs")
def count_runs(ctx: ExternContext, kind: Value) -> int:
    registry = ctx.registry()
    name = _kind_name(kind)
    if name is None:
        return registry.count_runs()
    return len(registry.find_runs_by_kind(name))


@extern(MODULE, "get_run_summary")
def get_run_summary(ctx: ExternContext, run_id: str) -> Record:
    return summary_value(_find(ctx, run_id))


@extern(MODULE, "get_run")
def get_run(ctx: ExternContext, run_id: str) -> Record:
    run = _find(ctx, run_id)
    registry = ctx.registry()
    artifacts = tuple(
        artifact_value(artifact_id, registry.find_artifact(artifact_id))
        for artifact_id in run.artifacts
    )
    return record_value(run, artifacts)


@extern(MODULE, "get_metric")
def get_metric(ctx: ExternContext, run_id: str, name: str) -> Value:
    value = _cache(ctx).metrics(_find(ctx, run_id)).get(name)
    return NONE if value is None else Some(value)


@extern(MODULE, "get_config")
def get_config(ctx: ExternContext, run_id: str, key: str) -> Value:
    value: Any = _find(ctx, run_id).config
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return NONE
        value = value[part]
    return Some(value if isinstance(value, str) else json.dumps(value, sort_keys=True))


# --- conversions (pure: registry records in, MedLang values out) -----------


def summary_value(run: Any) -> Record:
    """``RunSummary`` for a registry ``RunRecord`` (fields in declared order)."""
    return Record("RunSummary", _summary_fields(run))


def record_value(run: Any, artifacts: tuple[Record, ...]) -> Record:
    """``RunRecord``: the summary fields, then the details, in declared order."""
    fields = _summary_fields(run)
    fields["module_path"] = run.module_path or ""
    fields["metrics"] = flatten_metrics(run.metrics)
    fields["config_json"] = json.dumps(run.config, sort_keys=True)
    fields["artifacts"] = artifacts
    return Record("RunRecord", fields)


def artifact_value(artifact_id: str, artifact: Any | None) -> Record:
    """``ArtifactInfo``; an artifact the registry has no record of keeps its id only."""
    if artifact is None:
        return Record("ArtifactInfo", {"id": artifact_id, "kind": "", "path": "", "sha256": ""})
    return Record(
        "ArtifactInfo",
        {
            "id": artifact.id,
            "kind": str(artifact.kind),
            "path": artifact.path or "",
            "sha256": artifact.sha256 or "",
        },
    )


def flatten_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric metrics as floats, nested objects flattened to dotted keys.

    Booleans count as 1.0/0.0 (flags like ``converged`` are worth comparing);
    text, lists, nulls and ints too large for a float are left out.
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


def _summary_fields(run: Any) -> dict[str, Value]:
    from medlang.registry.model import format_timestamp

    return {
        "id": run.id,
        "kind": EnumValue("RunKind", str(run.kind)),
        "project_root": run.project_root,
        "evidence_program": run.evidence_program or "",
        "started_at": format_timestamp(run.started_at),
        "finished_at": format_timestamp(run.finished_at),
        "git_commit": run.git_commit or "",
        "git_dirty": bool(run.git_dirty),
    }


# --- lookups ---------------------------------------------------------------


def _kind_name(kind: Value) -> str | None:
    """The registry kind name for an ``Option<RunKind>`` argument."""
    return kind.value.variant if isinstance(kind, Some) else None


def _find(ctx: ExternContext, run_id: str) -> Any:
    """The run with this id (or a unique prefix of >= 4 characters), else a runtime error."""
    cache = _cache(ctx)
    run = cache.runs.get(run_id)
    if run is None:
        run = _read_run(ctx, run_id)
        cache.remember((run,))
    return run


def _read_run(ctx: ExternContext, run_id: str) -> Any:
    from medlang.registry.model import RegistryError

    registry = ctx.registry()
    try:
        run = registry.find_run(run_id)
    except (RegistryError, ValueError):  # not a full UUID: maybe a prefix
        run = None
    if run is None and _looks_like_prefix(run_id):
        try:
            run = registry.find_run(registry.resolve_run_id(run_id))
        except RegistryError as error:
            if "ambiguous" in str(error).lower():
                ctx.fail(f"run id prefix {run_id!r} is ambiguous: {error}")
    if run is None:
        ctx.fail(f"unknown run id {run_id!r}: no such run in the registry")
    return run


def _looks_like_prefix(text: str) -> bool:
    return 4 <= len(text) < 36 and all(c in "0123456789abcdef-" for c in text.lower())


class _RunCache:
    """Records already read during this program run, by id, and their flat metrics."""

    def __init__(self) -> None:
        self.runs: dict[str, Any] = {}
        self._metrics: dict[str, dict[str, float]] = {}

    def remember(self, runs: Iterable[Any]) -> list[Any]:
        runs = list(runs)
        for run in runs:
            self.runs[run.id] = run
        return runs

    def metrics(self, run: Any) -> dict[str, float]:
        flat = self._metrics.get(run.id)
        if flat is None:
            flat = self._metrics[run.id] = flatten_metrics(run.metrics)
        return flat


def _cache(ctx: ExternContext) -> _RunCache:
    # The context lives exactly as long as one program run, which is the right
    # lifetime for a read cache: a new `mlc run` sees new runs.
    cache = ctx.__dict__.get("_med_registry_cache")
    if cache is None:
        cache = ctx.__dict__["_med_registry_cache"] = _RunCache()
    return cache
