"""What each page shows, computed from the registry's own data layer.

Each function returns plain JSON-able data: the app renders it as HTML and serves
the very same dict as JSON (``?format=json``), so the two can never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import islice
from typing import Any

from medlang.registry.errors import RegistryError
from medlang.registry.kinds import RunKind
from medlang.registry.storage import JsonObject, Order
from medlang.registry.store import Registry
from medlang.registry.views import run_views
from medlang.web import plots

PAGE_SIZE = 50


class NotFound(Exception):
    """A page about something the registry does not hold."""


# The columns every runs table starts with; the user adds fields (metrics.rmse ...).
BASE_COLUMNS = ("id", "kind", "status", "started_at", "evidence_program")


@dataclass(frozen=True)
class RunsQuery:
    """What the runs page was asked: the same words as ``mlc runs list``."""

    where: str = ""
    kind: str | None = None
    status: str = ""  # "finished" or "failed"; empty: any
    program: str = ""  # evidence program name, a glob: 'Onco*'
    order_by: str = ""
    descending: bool = False
    columns: tuple[str, ...] = ()
    page: int = 1
    include_hidden: bool = False


def runs_page(registry: Registry, query: RunsQuery) -> dict[str, Any]:
    """One page of runs matching the query, through the same query layer as the CLI
    (the index answers; nothing is scanned in Python). A query the language refuses
    comes back as its diagnostic, rendered with a caret, and no rows."""
    from medlang.query.errors import QueryError

    kind_name = RunKind.parse(query.kind).value if query.kind else None
    page = max(1, query.page)
    start = (page - 1) * PAGE_SIZE
    data: dict[str, Any] = {
        "query": {
            "where": query.where,
            "kind": kind_name,
            "status": query.status,
            "program": query.program,
            "order_by": query.order_by,
            "descending": query.descending,
            "columns": list(query.columns),
            "page": page,
            "all": query.include_hidden,
        },
        "kinds": RunKind.names(),
        "columns": [*BASE_COLUMNS, *query.columns],
        "error": None,
        "runs": [],
        "has_next": False,
        "total": None,
    }
    try:
        found = registry.iter_runs(
            where=_where(registry, query),
            order_by=query.order_by or None,
            descending=query.descending,
            kind=kind_name,
            limit=start + PAGE_SIZE + 1,
            include_hidden=query.include_hidden,
        )
        window = list(islice(found, start, start + PAGE_SIZE + 1))
    except QueryError as error:
        origin = "order by" if error.text == query.order_by and query.order_by else "query"
        data["error"] = error.render(origin)
        return data
    rows = window[:PAGE_SIZE]
    views = run_views(registry, rows) if any(c.startswith("tags.") for c in query.columns) else rows
    data["runs"] = [_run_row(view, query.columns) for view in views]
    data["has_next"] = len(window) > PAGE_SIZE
    if not query.where:  # a count with a filter would scan; without one the index knows it
        data["total"] = registry.count_runs(kind_name, include_hidden=query.include_hidden)
    return data


def _where(registry: Registry, query: RunsQuery) -> str | None:
    """The user's query and the status/program filters as one query. The user's own
    text is checked alone first, so its diagnostic points into what they typed."""
    from medlang.query.engine import build
    from medlang.registry.storage import Table

    if query.where:
        build(registry.store, Table.RUNS, where=query.where)
    parts = [f"({query.where})"] if query.where else []
    if query.status:
        parts.append(f"status = {_quoted(query.status)}")
    if query.program:
        parts.append(f"evidence_program ~ {_quoted(query.program)}")
    return " and ".join(parts) or None


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _scalar(value: object) -> bool:
    return isinstance(value, str | bool | int | float) or value is None


def _run_row(run: JsonObject, columns: tuple[str, ...]) -> dict[str, Any]:
    from medlang.query.columns import MISSING, field_value

    chosen = {}
    for name in columns:
        value = field_value(run, name)
        chosen[name] = None if value is MISSING else value
    return {
        "id": run["id"],
        "kind": run["kind"],
        "status": run.get("status") or "finished",
        "started_at": run.get("started_at"),
        "evidence_program": run.get("evidence_program"),
        "columns": chosen,
        "metrics": {k: v for k, v in (run.get("metrics") or {}).items() if _scalar(v)},
    }


def run_page(registry: Registry, prefix: str) -> dict[str, Any]:
    """Everything ``mlc runs show --json`` says about one run, its lineage and pictures."""
    from medlang.provenance import lineage, verify

    try:
        run_id = registry.resolve_run_id(prefix)
    except RegistryError as error:
        raise NotFound(str(error)) from None
    record = registry.run_json(run_id)
    if record is None:
        raise NotFound(f"no run with id {prefix!r}")
    run = run_views(registry, [record])[0]  # exactly what `mlc runs show --json` prints
    # Is each output still the recorded bytes, on disk and in the store? (the checks of
    # `mlc artifacts verify`, one implementation)
    checks = verify.check_artifacts(registry, [a["id"] for a in run["artifacts"]])
    verified = {
        artifact["id"]: {"on_disk": check.on_disk, "stored": check.stored}
        for artifact, check in zip(run["artifacts"], checks, strict=True)
    }
    stored = sorted(
        {a.get("sha256") for a in run["artifacts"] if verified[a["id"]]["stored"] == verify.INTACT}
        - {None}
    )
    charts = _kind_charts(registry, run)
    return {
        "run": run,
        "stored": stored,  # the artifacts' hashes whose intact bytes the store holds
        "verified": verified,
        "lineage": _neighbours(registry, lineage, run_id),
        "charts": {name: spec for name, spec in charts.items() if spec is not None},
    }


# A result file larger than this is not parsed for pictures (a page must stay fast).
MAX_RESULT_BYTES = 64 * 1024 * 1024


def _stored_report(registry: Registry, run: JsonObject, kind: str) -> dict[str, Any] | None:
    """The run's first output of this artifact kind, parsed from the object store (never
    from the path on disk, which may have changed since); None when not stored."""
    import json

    for artifact in run["artifacts"]:
        sha256 = artifact.get("sha256")
        if artifact.get("kind") != kind or not isinstance(sha256, str):
            continue
        if not registry.has_object(sha256) or (artifact.get("size_bytes") or 0) > MAX_RESULT_BYTES:
            continue
        try:
            with registry.open_object(sha256) as handle:
                report = json.loads(handle.read(MAX_RESULT_BYTES + 1))
        except (OSError, ValueError, RegistryError):
            continue
        if isinstance(report, dict):
            return report
    return None


def _kind_charts(registry: Registry, run: JsonObject) -> dict[str, Any]:
    """The pictures a run of this kind has, from its metrics and stored outputs."""
    metrics = run.get("metrics") or {}
    kind = run["kind"]
    if kind.startswith("Evidence"):
        result = _stored_report(registry, run, "EvidenceResult") or {}
        patients = [p for p in result.get("patients") or [] if isinstance(p, dict)]
        arms = list(metrics.get("ORR_by_arm") or {})
        return {
            "arm_rates": plots.arm_rates(metrics),
            "waterfall": plots.waterfall(patients),
            "anc_nadir": plots.anc_nadir_by_arm(patients, arms),
        }
    if kind == "SurrogateEval":
        report = _stored_report(registry, run, "SurrogateEvalReport") or {}
        return {
            "parity": plots.parity(report),
            "residuals": plots.residuals(report),
            "strata": plots.rmse_by_stratum(metrics.get("rmse_by_dose_stratum")),
        }
    if kind == "RLTrain":
        report = _stored_report(registry, run, "RLTrainReport") or {}
        return {"learning": plots.learning_curve(report)}
    if kind == "RLEval":
        report = _stored_report(registry, run, "RLEvalReport") or {}
        return {"baselines": plots.policy_vs_baselines(metrics, report.get("baselines"))}
    return {}


def _neighbours(registry: Registry, lineage: Any, run_id: str) -> dict[str, Any]:
    """One generation each way: inputs with the runs that produced them (and the runs
    that qualified them), outputs with the runs that used them."""

    def brief(node: Any) -> dict[str, Any]:
        return {"id": node.id, "kind": node.kind, "status": node.status}

    up = lineage.ancestors(registry, run_id, depth=1)
    down = lineage.descendants(registry, run_id, depth=1)
    inputs = []
    for edge in up.used(run_id):
        qualified_by = [
            brief(run) for run, _ in up.consumers(edge.sha256) if run.relation == "evaluation"
        ]
        inputs.append(
            {
                "role": edge.role,
                "path": edge.path,
                "sha256": edge.sha256,
                "stored": registry.has_object(edge.sha256),
                "produced_by": [brief(run) for run in up.producers(edge.sha256)],
                "qualified_by": qualified_by,
            }
        )
    outputs = [
        {
            "artifact": edge.artifact,
            "path": edge.path,
            "sha256": edge.sha256,
            "used_by": [brief(run) for run, _ in down.consumers(edge.sha256) if run.id != run_id],
        }
        for edge in down.generated(run_id)
    ]
    return {"inputs": inputs, "outputs": outputs}


def metric_history(
    registry: Registry, *, metric: str, kind: str | None, limit: int = 500
) -> dict[str, Any]:
    """A metric across the newest ``limit`` runs that have it (of one kind, if given)."""
    kind_name = RunKind.parse(kind).value if kind else None
    points = []
    for run in registry.runs_json(kind=kind_name, order=Order.NEWEST, limit=limit):
        value = run.get("metrics", {}).get(metric)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            points.append(
                {
                    "id": run["id"],
                    "kind": run["kind"],
                    "started_at": run["started_at"],
                    "value": value,
                }
            )
    points.reverse()
    spec = plots.metric_over_time(points, metric) if metric else None
    return {
        "metric": metric,
        "kind": kind_name,
        "kinds": RunKind.names(),
        "points": points,
        "charts": {"history": spec} if spec else {},
    }


def compare_page(
    registry: Registry, ids: list[str], *, all_keys: bool, x: str, y: str
) -> dict[str, Any]:
    """Runs side by side: ``mlc runs compare --json``'s comparison, and its pictures.

    The parallel-coordinates plot joins the numeric config keys that differ and every
    numeric metric; ``x``/``y`` (dotted fields, e.g. ``config.seed``, ``metrics.rmse``)
    choose a scatter plot.
    """
    from medlang.query.columns import MISSING, field_value
    from medlang.query.compare import compare_runs

    comparison = compare_runs(registry, ids, all_keys=all_keys)
    data = comparison.to_json()
    labels = [run["id"][:8] for run in comparison.runs]
    numeric = [
        row["key"]
        for section in ("config", "metrics")
        for row in data[section]
        if sum(plots.is_number(v) for v in row["values"]) >= 2
        and (section == "metrics" or row["differs"])
    ]
    table = [
        {"run": label, **{key: row_value for key, row_value in _values(data, label, labels)}}
        for label in labels
    ]
    charts = {"parallel": plots.parallel_coordinates(table, numeric[:12])}
    if x and y:
        points = []
        for label, run in zip(labels, comparison.runs, strict=True):
            xv, yv = field_value(run, x), field_value(run, y)
            points.append(
                {
                    "run": label,
                    "x": None if xv is MISSING else xv,
                    "y": None if yv is MISSING else yv,
                }
            )
        charts["scatter"] = plots.scatter(points, x, y)
    data.update(
        labels=labels,
        numeric_fields=numeric,
        x=x,
        y=y,
        charts={name: spec for name, spec in charts.items() if spec is not None},
    )
    return data


def _values(data: dict[str, Any], label: str, labels: list[str]):
    column = labels.index(label)
    for section in ("config", "metrics"):
        for row in data[section]:
            yield row["key"], row["values"][column]
