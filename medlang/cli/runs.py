"""``mlc runs`` and ``mlc artifacts``: query the run registry.

These commands read stored JSON through the index and never import pydantic
(or numpy, or lark), so ``mlc runs show`` answers in well under 100 ms even with
a million runs. Records found through the index were validated when indexed.
"""

from __future__ import annotations

import functools
import json
import math
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from medlang.cli.main import LazyGroup, quiet_stdout
from medlang.registry.errors import InvalidIdError, RegistryError, UnknownKindError
from medlang.registry.guard import refuse_registry_output
from medlang.registry.kinds import ArtifactKind, RunKind
from medlang.registry.paths import default_registry_root
from medlang.registry.redact import REDACTED
from medlang.registry.storage import JsonObject, Order
from medlang.registry.store import Registry
from medlang.registry.timestamps import parse_timestamp

F = TypeVar("F", bound=Callable[..., Any])


class InputError(click.ClickException):
    """Bad input from the user: one ``Error: ...`` line and exit status 2, like a usage error."""

    exit_code = 2


def _user_errors(command: F) -> F:
    """Registry and file-system problems become one ``Error: ...`` line, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BrokenPipeError:
            quiet_stdout()  # `mlc runs list --json | head`: the reader has all it wants
            sys.exit(0)
        except (InvalidIdError, UnknownKindError) as error:
            raise InputError(str(error)) from None
        except RegistryError as error:
            raise click.ClickException(str(error)) from None
        except (OSError, sqlite3.Error) as error:
            raise click.ClickException(f"cannot read the registry: {error}") from None

    return wrapper  # type: ignore[return-value]


def _registry(ctx: click.Context) -> Registry:
    app = ctx.find_root().obj
    root = getattr(app, "registry_root", None) or default_registry_root()
    return Registry(root)


def _kind_option(kinds: type[RunKind] | type[ArtifactKind], what: str) -> Callable[[F], F]:
    by_lower_name = {name.lower(): name for name in kinds.names()}

    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        name = by_lower_name.get(value.strip().lower())
        if name is None:
            valid = ", ".join(kinds.names())
            raise InputError(f"unknown {what[:-1]} kind {value!r}; valid kinds: {valid}")
        return name

    return click.option(
        "--kind",
        metavar="KIND",
        callback=parse,
        default=None,
        help=f"Only {what} of this kind (any case): {', '.join(kinds.names())}.",
    )


def _limit_option(what: str) -> Callable[[F], F]:
    return click.option(
        "-n",
        "limit",
        metavar="N",
        type=click.IntRange(min=1),
        default=20,
        show_default=True,
        help=f"Show at most this many {what}, newest first.",
    )


_json_option = click.option(
    "--json", "as_json", is_flag=True, help="One compact JSON record per line (for jq)."
)


# --- mlc runs ----------------------------------------------------------------


# Subcommands that live in modules of their own, imported when invoked.
_LAZY_RUNS_COMMANDS = {
    "lineage": "medlang.cli.provenance:lineage",
    "export": "medlang.cli.provenance:export",
}


@click.group(cls=LazyGroup, lazy_commands=_LAZY_RUNS_COMMANDS)
def runs() -> None:
    """Query the runs in the registry.

    \b
    Examples:
      mlc runs list --kind EvidenceHybrid -n 5 -v
      mlc runs list --json | jq .metrics
      mlc runs show 6a14c8a2
      mlc runs export-config --id 6a14c8a2 --out rerun/config.json
      mlc runs lineage 6a14c8a2 --dot | dot -Tsvg > lineage.svg
      mlc runs export 6a14c8a2 --format ro-crate --out crate/
    """


@runs.command("list")
@_kind_option(RunKind, "runs")
@_limit_option("runs")
@click.option("-v", "--verbose", is_flag=True, help="Add module and git commit columns.")
@_json_option
@click.pass_context
@_user_errors
def list_runs(
    ctx: click.Context, kind: str | None, limit: int, verbose: bool, as_json: bool
) -> None:
    """List runs, newest first."""
    registry = _registry(ctx)
    records = registry.runs_json(kind=kind, order=Order.NEWEST, limit=limit)
    if as_json:
        for record in records:
            click.echo(_compact(record))
        return
    if not records:
        click.echo("No runs found")
        return
    headers = ["Run ID", "Kind", "Started (UTC)", "Program", "Project"]
    if verbose:
        headers += ["Module", "Git"]
    rows = [_run_row(record, verbose) for record in records]
    click.echo(_table(headers, rows))
    click.echo(f"\nShowing {len(records)} of {registry.count_runs(kind)} runs")


@runs.command("show")
@click.argument("run_id", metavar="[ID]", required=False)
@click.option("--id", "id_option", metavar="ID", help="The run id (or a unique prefix of it).")
@click.option(
    "--json", "as_json", is_flag=True, help="The run and its artifacts as one compact JSON object."
)
@click.pass_context
@_user_errors
def show_run(ctx: click.Context, run_id: str | None, id_option: str | None, as_json: bool) -> None:
    """Show one run as JSON, with its artifacts. ID may be a unique prefix (4+ characters)."""
    registry = _registry(ctx)
    record = _find_run(registry, _one_id(run_id, id_option))
    artifact_ids = record.get("artifacts") or []
    artifacts = [(artifact_id, registry.artifact_json(artifact_id)) for artifact_id in artifact_ids]
    if as_json:
        click.echo(_compact({"run": record, "artifacts": [a for _, a in artifacts if a]}))
        return
    click.echo(_pretty(record))
    if not artifacts:
        click.echo("\nArtifacts: none")
        return
    click.echo(f"\nArtifacts ({len(artifacts)}):")
    rows = []
    for artifact_id, artifact in artifacts:
        if artifact is None:
            rows.append([artifact_id, "(not found in artifacts.jsonl)", "", ""])
        else:
            sha = f"sha256:{artifact['sha256']}" if artifact.get("sha256") else "sha256: -"
            rows.append([artifact_id, artifact["kind"], artifact.get("path") or "-", sha])
    click.echo(_table(None, rows, indent="  "))


def _output_file(text: str) -> Path:
    if text.endswith(("/", os.sep)):  # `--out dir/` would otherwise write a file `dir`
        raise click.BadParameter(f"'{text}' is a directory (ends with '/'), not a file")
    return Path(text)


@runs.command("export-config")
@click.option("--id", "run_id", required=True, metavar="ID", help="The run (or a unique prefix).")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),  # text: Path("dir/") would drop the "/"
    callback=lambda ctx, param, value: _output_file(value),
    help="Where to write the config (parent directories are created).",
)
@click.pass_context
@_user_errors
def export_config(ctx: click.Context, run_id: str, out: Path) -> None:
    """Write a run's config as pretty JSON, ready to pass back to the command that made it."""
    registry = _registry(ctx)
    refuse_registry_output(out, registry.root, "--out")
    record = _find_run(registry, run_id)
    config = record.get("config", {})
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_text(out, _pretty(config) + "\n")
    except OSError as error:
        where = f" ({error.filename})" if error.filename and error.filename != str(out) else ""
        message = f"cannot write {out}: {error.strerror or error}{where}"
        raise click.ClickException(message) from None
    click.echo(f"Wrote the config of run {record['id']} to {out}")
    redacted = _redacted_keys(config)
    if redacted:
        click.echo(
            f"Warning: {', '.join(redacted)} {'was' if len(redacted) == 1 else 'were'} "
            "redacted when the run was logged; fill in before re-using this config",
            err=True,
        )


def _write_text(path: Path, text: str) -> None:
    """Replace ``path`` whole or not at all, mode 0644 less the umask (never world-
    writable, even under umask 000); a device or pipe (``/dev/stdout``) is written
    in place."""
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as handle:
            handle.write(text)
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _find_run(registry: Registry, id_or_prefix: str) -> JsonObject:
    run_id = registry.resolve_run_id(id_or_prefix)
    record = registry.run_json(run_id)
    if record is None:  # removed between the two reads
        raise RegistryError(f"no run with id {id_or_prefix!r} in {registry.root}")
    return record


def _run_row(record: JsonObject, verbose: bool) -> list[str]:
    row = [
        record["id"],
        record["kind"],
        _time(record.get("started_at")),
        record.get("evidence_program") or "-",
        _short_path(record.get("project_root")),
    ]
    if verbose:
        commit = record.get("git_commit")
        git = f"{commit[:8]}{' (dirty)' if record.get('git_dirty') else ''}" if commit else "-"
        row += [_short_path(record.get("module_path")), git]
    return row


# --- mlc artifacts -----------------------------------------------------------


@click.group()
def artifacts() -> None:
    """Query the artifacts (result files, models, policies, reports) in the registry."""


@artifacts.command("list")
@_kind_option(ArtifactKind, "artifacts")
@_limit_option("artifacts")
@_json_option
@click.pass_context
@_user_errors
def list_artifacts(ctx: click.Context, kind: str | None, limit: int, as_json: bool) -> None:
    """List artifacts, newest first."""
    registry = _registry(ctx)
    records = registry.artifacts_json(kind=kind, order=Order.NEWEST, limit=limit)
    if as_json:
        for record in records:
            click.echo(_compact(record))
        return
    if not records:
        click.echo("No artifacts found")
        return
    headers = ["Artifact ID", "Kind", "Created (UTC)", "Size", "Path"]
    rows = [
        [
            record["id"],
            record["kind"],
            _time(record.get("created_at")),
            _size(record.get("size_bytes")),
            record.get("path") or "-",
        ]
        for record in records
    ]
    click.echo(_table(headers, rows))
    click.echo(f"\nShowing {len(records)} of {registry.count_artifacts(kind)} artifacts")


@artifacts.command("show")
@click.argument("artifact_id", metavar="[ID]", required=False)
@click.option("--id", "id_option", metavar="ID", help="The artifact id (or a unique prefix).")
@click.pass_context
@_user_errors
def show_artifact(ctx: click.Context, artifact_id: str | None, id_option: str | None) -> None:
    """Show one artifact as JSON, and the run it was logged with.

    ID may be a unique prefix (4+ characters).
    """
    registry = _registry(ctx)
    full_id = registry.resolve_artifact_id(_one_id(artifact_id, id_option))
    record = registry.artifact_json(full_id)
    if record is None:
        raise RegistryError(f"no artifact with id {full_id!r} in {registry.root}")
    click.echo(_pretty(record))
    runs = registry.runs_with_artifact_json(full_id)
    if not runs:
        click.echo("\nLogged with run: none")
        return
    click.echo(f"\nLogged with run{'s' if len(runs) > 1 else ''}:")
    rows = [[run["id"], run["kind"], _time(run.get("started_at"))] for run in runs]
    click.echo(_table(None, rows, indent="  "))


# --- rendering ---------------------------------------------------------------


def _one_id(positional: str | None, option: str | None) -> str:
    if positional and option and positional != option:
        raise InputError("give the id once: as an argument or with --id, not both")
    chosen = positional or option
    if not chosen:
        raise InputError("missing ID: give it as an argument or with --id")
    return chosen


def _table(headers: list[str] | None, rows: list[list[str]], indent: str = "") -> str:
    """Left-aligned columns two spaces apart; no trailing spaces."""
    all_rows = ([headers] if headers else []) + rows
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(all_rows[0]))]
    lines = [
        indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in all_rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def _time(stamp: object) -> str:
    try:
        # not strftime: its %Y drops the leading zeros of years before 1000
        return parse_timestamp(stamp).replace(tzinfo=None).isoformat(" ", "seconds")
    except ValueError:
        return str(stamp)


def _short_path(path: object) -> str:
    """``…/last/two`` for long paths: the part that tells projects apart."""
    if not path:
        return "-"
    parts = Path(str(path)).parts
    if len(parts) <= 3:
        return str(path)
    return "…/" + "/".join(parts[-2:])


def _size(size: object) -> str:
    if not isinstance(size, int):
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def _redacted_keys(value: object, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            found += [name] if item == REDACTED else _redacted_keys(item, name)
        return found
    if isinstance(value, list):
        nested = (_redacted_keys(item, f"{prefix}[{i}]") for i, item in enumerate(value))
        return [key for keys in nested for key in keys]
    return []


def _pretty(value: object) -> str:
    return _dumps(value, indent=2)


def _compact(value: object) -> str:
    return _dumps(value, separators=(",", ":"))


def _dumps(value: object, **layout: Any) -> str:
    """Strict JSON for jq: NaN and infinities (a foreign line may hold them) become null."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, **layout)
    except ValueError:  # rare: only then is the value copied
        return json.dumps(_finite(value), ensure_ascii=False, **layout)


def _finite(value: object) -> object:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value
