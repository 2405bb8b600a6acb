"""``mlc runs list`` and ``mlc artifacts list``: the query language on the command line.

    mlc runs list --where 'kind = SurrogateEval and metrics.rmse < 0.05' \\
        --order-by metrics.rmse -n 10 --columns id,metrics.rmse,config.seed

Records stream from the index (``Registry.iter_runs``), so ``--format jsonl -n 0``
prints a million runs in constant memory. lark is imported only for ``--where``.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

import click

from medlang.cli.completion import complete_field
from medlang.cli.runs import (
    InputError,
    _compact,
    _kind_option,
    _registry_to_read,
    _short_path,
    _size,
    _status,
    _table,
    _time,
    _user_errors,
)
from medlang.query.columns import MISSING, field_value
from medlang.query.errors import QueryError
from medlang.registry.kinds import ArtifactKind, RunKind
from medlang.registry.storage import JsonObject, Table
from medlang.registry.store import Registry
from medlang.registry.views import artifact_view, run_views

FORMATS = ("table", "json", "jsonl", "csv", "tsv")
TABLE_WIDTH = 100  # the default table fits a 100-column terminal
_SHORT_ID = 8  # like git: longer only where 8 characters are ambiguous
_MIN_CUT = 16  # a column is never cut shorter: "…/oncology/trial"
_VIEW_BATCH = 500  # runs folded with their annotations at a time


class QueryOptionError(click.ClickException):
    """A diagnostic with a caret under the problem, printed as is; exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


def _query_options(command: Callable) -> Callable:
    options = [
        click.option(
            "--where",
            metavar="EXPR",
            shell_complete=complete_field,
            help="Only records matching the query, e.g. "
            '"kind = SurrogateEval and (metrics.rmse < 0.05 or metrics.r_squared > 0.99)" '
            "(see docs/query.md).",
        ),
        click.option(
            "--order-by",
            "order_by",
            metavar="FIELD",
            shell_complete=complete_field,
            multiple=True,
            help="Order by this field (repeat, or separate with commas, for several keys; "
            "'FIELD desc' for one key descending). Default: newest first.",
        ),
        click.option("--desc", is_flag=True, help="Order keys descending (unless they say asc)."),
        click.option(
            "--columns",
            metavar="FIELDS",
            shell_complete=complete_field,
            help="Comma-separated fields to show, e.g. id,kind,metrics.rmse,config.seed.",
        ),
        click.option(
            "--format",
            "output_format",
            type=click.Choice(FORMATS),
            default="table",
            show_default=True,
            help="table for people; json (one array), jsonl, csv or tsv for tools.",
        ),
        click.option("--since", metavar="TIME", help="Only from this time: 2026-11-01, 7d, 12h."),
        click.option("--until", metavar="TIME", help="Only before this time."),
        click.option("--full-ids", is_flag=True, help="Whole ids in the table (default: short)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _limit_option(what: str) -> Callable:
    return click.option(
        "-n",
        "limit",
        metavar="N",
        type=click.IntRange(min=0),
        default=20,
        show_default=True,
        help=f"Show at most this many {what} (0: all of them).",
    )


_json_option = click.option(
    "--json", "as_json", is_flag=True, help="The same as --format jsonl (one record a line)."
)


@click.command("list")
@_kind_option(RunKind, "runs")
@_limit_option("runs")
@_query_options
@click.option("-v", "--verbose", is_flag=True, help="Add module and git commit columns.")
@click.option("--all", "include_hidden", is_flag=True, help="Include deleted and archived runs.")
@_json_option
@click.pass_context
@_user_errors
def list_runs(ctx: click.Context, verbose: bool, include_hidden: bool, **options: Any) -> None:
    """List runs, newest first (deleted and archived ones only with --all).

    \b
    Examples:
      mlc runs list -n 5
      mlc runs list --where 'kind = SurrogateEval and metrics.rmse < 0.05' \\
          --order-by metrics.rmse --columns id,metrics.rmse,config.seed
      mlc runs list --where "tags.paper = 'fig3'" --format csv -n 0 > fig3.csv
      mlc runs list --since 7d --kind EvidenceHybrid --json | jq .metrics
      mlc runs list --all        # deleted and archived runs too, marked as such
    """
    registry = _registry_to_read(ctx)
    listing = _Listing(Table.RUNS, registry, verbose=verbose, hidden=include_hidden, **options)
    records = listing.records(lambda **kw: registry.iter_runs(include_hidden=include_hidden, **kw))
    listing.show(
        records, "runs", lambda: registry.count_runs(options["kind"], include_hidden=include_hidden)
    )


@click.command("list")
@_kind_option(ArtifactKind, "artifacts")
@_limit_option("artifacts")
@_query_options
@_json_option
@click.pass_context
@_user_errors
def list_artifacts(ctx: click.Context, **options: Any) -> None:
    """List artifacts, newest first.

    \b
    Examples:
      mlc artifacts list -n 5
      mlc artifacts list --where "kind = RLPolicy and size_bytes > 1000000" --order-by size_bytes
      mlc artifacts list --kind RLPolicy --json | jq -r .path
    """
    registry = _registry_to_read(ctx)
    listing = _Listing(Table.ARTIFACTS, registry, verbose=False, hidden=False, **options)
    records = listing.records(lambda **kw: registry.iter_artifacts(**kw))
    listing.show(records, "artifacts", lambda: registry.count_artifacts(options["kind"]))


class _Listing:
    def __init__(
        self,
        table: Table,
        registry: Registry | None,
        *,
        verbose: bool,
        hidden: bool,
        kind: str | None,
        limit: int,
        where: str | None,
        order_by: tuple[str, ...],
        desc: bool,
        columns: str | None,
        output_format: str,
        since: str | None,
        until: str | None,
        full_ids: bool,
        as_json: bool,
    ) -> None:
        if as_json and output_format not in ("table", "jsonl"):
            raise InputError("--json is --format jsonl: give one of them")
        self.table = table
        self.registry = registry
        self.format = "jsonl" if as_json else output_format
        self.limit = limit or None  # -n 0: all
        self.query = dict(where=where, order_by=list(order_by), descending=desc)
        self.query.update(kind=kind, since=since, until=until)
        self.filtered = bool(where or since or until)
        self.columns = _parse_columns(columns) if columns else None
        self.verbose = verbose
        self.hidden = hidden
        self.full_ids = full_ids

    def records(self, select: Callable[..., Iterator[JsonObject]]) -> Iterator[JsonObject]:
        if self.registry is None:
            return iter(())
        try:
            return select(limit=self.limit, **self.query)
        except QueryError as error:
            raise QueryOptionError(str(error)) from None

    def show(self, records: Iterator[JsonObject], noun: str, total: Callable[[], int]) -> None:
        """Print the records in the chosen format; a table ends with how many were shown
        (of ``total()``, counted only for an unfiltered table)."""
        if self.format != "table":
            self.write(records)
            return
        shown = list(records)
        if not shown:
            click.echo(f"No {noun} found")
            return
        self.print_table(shown)
        if self.filtered:
            more = " (-n 0 for all)" if len(shown) == self.limit else ""
            click.echo(f"\nShowing {len(shown)} matching {noun}{more}")
        else:
            click.echo(f"\nShowing {len(shown)} of {total()} {noun}")

    # --- for tools -------------------------------------------------------------

    def write(self, records: Iterator[JsonObject]) -> None:
        out = sys.stdout
        if self.registry is None:  # no registry: an empty result (said so on stderr)
            out.write("[]\n" if self.format == "json" else "")
            return
        if self.format in ("csv", "tsv"):
            fields = self.columns or self._default_fields()
            writer = csv.writer(
                out, delimiter="," if self.format == "csv" else "\t", lineterminator="\n"
            )
            writer.writerow(fields)
            for record in self._views(records):
                writer.writerow([_plain(field_value(record, f)) for f in fields])
            return
        views = self._views(records)
        if self.columns:
            views = ({f: _json_value(field_value(v, f)) for f in self.columns} for v in views)
        if self.format == "jsonl":
            for view in views:
                out.write(_compact(view) + "\n")
            return
        out.write("[")
        for index, view in enumerate(views):
            out.write(("," if index else "") + "\n" + _compact(view))
        out.write("\n]\n")

    def _views(self, records: Iterable[JsonObject]) -> Iterator[JsonObject]:
        """The one JSON shape of ``--json`` (``medlang.registry.views``), in batches."""
        assert self.registry is not None
        iterator = iter(records)
        while batch := list(islice(iterator, _VIEW_BATCH)):
            if self.table is Table.RUNS:
                yield from run_views(self.registry, batch)
            else:
                yield from (artifact_view(self.registry, record) for record in batch)

    def _default_fields(self) -> list[str]:
        if self.table is Table.ARTIFACTS:
            return ["id", "kind", "created_at", "size_bytes", "path"]
        fields = ["id", "kind", "status", "started_at", "evidence_program", "project_root"]
        return fields + (["module_path", "git_commit", "git_dirty"] if self.verbose else [])

    # --- for people ----------------------------------------------------------------

    def print_table(self, records: list[JsonObject]) -> None:
        registry = self.registry
        assert registry is not None
        ids = [record["id"] for record in records]
        short = {i: i for i in ids} if self.full_ids else _short_ids(registry, self.table, ids)
        if self.columns:
            views = list(self._views(records)) if _needs_views(self.columns) else records
            headers = list(self.columns)
            rows = [
                [short[v["id"]] if f == "id" else _cell(field_value(v, f)) for f in self.columns]
                for v in views
            ]
        elif self.table is Table.RUNS:
            headers, rows = self._run_rows(records, short)
        else:
            headers = ["Artifact ID", "Kind", "Created (UTC)", "Size", "Path"]
            rows = [
                [
                    short[r["id"]],
                    r["kind"],
                    _time(r.get("created_at")),
                    _size(r.get("size_bytes")),
                    r.get("path") or "-",
                ]
                for r in records
            ]
        width = _terminal_width()
        click.echo(_table(headers, _fit(headers, rows, width) if width else rows))

    def _run_rows(self, records: list[JsonObject], short: dict[str, str]):
        registry = self.registry
        assert registry is not None
        hidden = registry.hidden_runs(self.query["kind"]) if self.hidden else {}
        headers = ["Run ID", "Kind", "Status", "Started (UTC)", "Program", "Project"]
        if self.verbose:
            headers += ["Module", "Git"]
        rows = []
        for record in records:
            mark = hidden.get(record["id"])
            row = [
                short[record["id"]],
                record["kind"] + (f" ({mark})" if mark else ""),
                _status(record),
                _time(record.get("started_at")),
                record.get("evidence_program") or "-",
                _short_path(record.get("project_root")),
            ]
            if self.verbose:
                commit = record.get("git_commit")
                dirty = " (dirty)" if record.get("git_dirty") else ""
                row += [
                    _short_path(record.get("module_path")),
                    f"{commit[:8]}{dirty}" if commit else "-",
                ]
            rows.append(row)
        return headers, rows


def _terminal_width() -> int | None:
    """100 columns on a terminal; None (cut nothing) when the output goes to a pipe or
    file, where a tool may want the whole value."""
    stdout = sys.stdout
    return TABLE_WIDTH if stdout.isatty() else None


def _parse_columns(text: str) -> list[str]:
    fields = [name.strip() for name in text.split(",") if name.strip()]
    if not fields:
        raise InputError("--columns names no field; e.g. --columns id,kind,metrics.rmse")
    return fields


def _needs_views(fields: list[str]) -> bool:
    return any(f.startswith("tags.") or f in ("tags", "notes", "hidden") for f in fields)


def _short_ids(registry: Registry, table: Table, ids: list[str]) -> dict[str, str]:
    """Each id's shortest unique prefix of at least 8 characters, like git's."""
    short = {}
    for full in ids:
        length = _SHORT_ID
        while length < len(full):
            if len(registry.store.ids_with_prefix(table, full[:length], 2)) <= 1:
                break
            length += 4
        short[full] = full[:length]
    return short


def _fit(headers: list[str], rows: list[list[str]], width: int) -> list[list[str]]:
    """Shorten the widest cells (with '…') until the table fits ``width`` columns; ids
    and times are never cut, nor any column below 16 characters."""
    columns = len(headers)
    fixed = {i for i, header in enumerate(headers) if header in _UNCUT}
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(columns)]
    total = sum(widths) + 2 * (columns - 1)
    limits = list(widths)
    while total > width:
        cuttable = [i for i in range(columns) if limits[i] > _MIN_CUT and i not in fixed]
        if not cuttable:
            break
        widest = max(cuttable, key=lambda i: limits[i])
        step = min(total - width, limits[widest] - _MIN_CUT)
        limits[widest] -= step
        total -= step
    return [[_cut(cell, limit) for cell, limit in zip(row, limits, strict=True)] for row in rows]


def _cut(cell: str, limit: int) -> str:
    """``cell`` in at most ``limit`` characters; a path keeps its end (the file name)."""
    if len(cell) <= limit:
        return cell
    if cell.startswith(("/", "…/")):
        return "…" + cell[len(cell) - limit + 1 :]
    return cell[: limit - 1] + "…"


_UNCUT = {
    "Kind",
    "kind",
    "Status",
    "status",
    "Run ID",
    "Artifact ID",
    "id",
    "Started (UTC)",
    "Created (UTC)",
    "started_at",
    "finished_at",
    "created_at",
}


def _cell(value: Any) -> str:
    """A value for people: short floats, true/false, '-' for nothing."""
    if value is MISSING or value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, dict | list):
        return _compact(value)
    text = str(value)
    if len(text) >= 20 and text[4:5] == "-" and text[10:11] == "T" and text.endswith("Z"):
        return _time(text)
    return text


def _plain(value: Any) -> str:
    """A value for CSV: exact (repr of floats), empty for nothing, JSON for structures."""
    if value is MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return _compact(value)
    return str(value)


def _json_value(value: Any) -> Any:
    return None if value is MISSING else value
