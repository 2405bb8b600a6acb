"""``mlc runs compare``: runs side by side (the data comes from ``medlang.query.compare``)."""

from __future__ import annotations

import math
from typing import Any

import click

from medlang.cli.runs import _compact, _registry_with_runs, _table, _time, _user_errors
from medlang.query.columns import MISSING
from medlang.query.compare import MAX_RUNS, MIN_RUNS, Comparison, Row, compare_runs


@click.command("compare")
@click.argument("run_ids", metavar="ID ID [ID...]", nargs=-1, required=True)
@click.option(
    "--all", "all_keys", is_flag=True, help="Every config and env key, not only those that differ."
)
@click.option("--json", "as_json", is_flag=True, help="The comparison as one JSON object (for jq).")
@click.pass_context
@_user_errors
def compare(ctx: click.Context, run_ids: tuple[str, ...], all_keys: bool, as_json: bool) -> None:
    """Compare 2 to 20 runs side by side: kind, program, git commit, status, the config
    keys that differ, every metric with its change from the first run, artifacts whose
    sha256 differ and environment differences. IDs may be unique prefixes.

    \b
    Examples:
      mlc runs compare 6a14c8a2 7b3f1c2d
      mlc runs compare 6a14c8a2 7b3f1c2d 9e0d4a11 --all
      mlc runs compare 6a14c8a2 7b3f1c2d --json | jq '.metrics[] | {key, delta_rel}'
    """
    if not MIN_RUNS <= len(run_ids) <= MAX_RUNS:
        raise click.UsageError(f"give {MIN_RUNS} to {MAX_RUNS} run ids, not {len(run_ids)}")
    comparison = compare_runs(_registry_with_runs(ctx), list(run_ids), all_keys=all_keys)
    click.echo(_compact(comparison.to_json()) if as_json else render(comparison))


def render(comparison: Comparison) -> str:
    """The comparison for people: one section per part, one column per run."""
    names = [run["id"][:8] for run in comparison.runs]
    if len(set(names)) < len(names):  # prefixes that collide: whole ids
        names = [run["id"] for run in comparison.runs]
    header = ["", *names]
    parts = [_section("Runs", header, _summary_rows(comparison))]

    config = comparison.config
    which = "all keys" if comparison.all_keys else "keys that differ; --all for every key"
    parts.append(_section(f"Config ({which})", header, [_plain_row(row) for row in config]))
    metrics = [
        [row.key, *(_metric(row, i) for i in range(len(row.values)))] for row in comparison.metrics
    ]
    parts.append(_section(f"Metrics (change from {names[0]})", header, metrics))
    artifacts = [
        [row.key, *(_digest(value) for value in row.values)] for row in comparison.artifacts
    ]
    which = "all" if comparison.all_keys else "sha256 differs"
    parts.append(_section(f"Artifacts ({which})", header, artifacts))
    which = "all keys" if comparison.all_keys else "keys that differ"
    parts.append(
        _section(f"Environment ({which})", header, [_plain_row(r) for r in comparison.env])
    )
    return "\n\n".join(parts)


def _section(title: str, header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return f"{title}: none"
    return f"{title}:\n" + _table(header, rows, indent="  ")


def _summary_rows(comparison: Comparison) -> list[list[str]]:
    rows = {row.key: row.values for row in comparison.summary}
    git = [
        "-" if commit in (None, MISSING) else f"{commit[:8]}{' (dirty)' if dirty is True else ''}"
        for commit, dirty in zip(rows["git_commit"], rows["git_dirty"], strict=True)
    ]
    return [
        ["kind", *map(_cell, rows["kind"])],
        ["program", *(_cell(v) if v is not None else "-" for v in rows["evidence_program"])],
        ["git", *git],
        ["status", *map(_cell, rows["status"])],
        ["started (UTC)", *(_time(value) for value in rows["started_at"])],
        ["duration", *(_duration(value) for value in rows["duration_s"])],
    ]


def _plain_row(row: Row) -> list[str]:
    return [row.key, *map(_cell, row.values)]


def _metric(row: Any, index: int) -> str:
    text = _cell(row.values[index])
    if index == 0 or row.delta_abs[index] is None:
        return text
    change = f"{row.delta_abs[index]:+.4g}"
    if row.delta_rel[index] is not None:
        change += f", {100 * row.delta_rel[index]:+.1f}%"
    return f"{text} ({change})"


def _cell(value: Any) -> str:
    if value is MISSING:
        return "(none)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, dict | list):
        return _compact(value)
    return str(value)


def _digest(value: Any) -> str:
    return "(none)" if value is MISSING else f"sha256:{str(value)[:12]}"


def _duration(value: Any) -> str:
    return "-" if not isinstance(value, int | float) else f"{value:.1f} s"
