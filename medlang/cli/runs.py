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
from medlang.registry.errors import InvalidIdError, RegistryError, UnknownKindError, note
from medlang.registry.guard import refuse_registry_output
from medlang.registry.kinds import ArtifactKind, RunKind
from medlang.registry.paths import default_registry_root
from medlang.registry.redact import REDACTED
from medlang.registry.storage import JsonObject
from medlang.registry.store import Registry
from medlang.registry.timestamps import parse_timestamp
from medlang.registry.views import artifact_view, run_view
from medlang.suggest import did_you_mean

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
    return Registry.open(root)


def _registry_to_read(ctx: click.Context) -> Registry | None:
    """The registry, or None (after saying so on stderr) when its directory does not
    exist: a read command then shows an empty result and exits 0."""
    registry = _registry(ctx)
    if not registry.exists():
        note(f"no registry at {registry.root}")
        return None
    return registry


def _registry_with_runs(ctx: click.Context) -> Registry:
    """The registry a command needs a run from: a missing one is an error."""
    registry = _registry(ctx)
    if not registry.exists():
        raise RegistryError(f"no registry at {registry.root}")
    return registry


def _kind_option(kinds: type[RunKind] | type[ArtifactKind], what: str) -> Callable[[F], F]:
    by_lower_name = {name.lower(): name for name in kinds.names()}

    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        name = by_lower_name.get(value.strip().lower())
        if name is None:
            valid = ", ".join(kinds.names())
            hint = did_you_mean(value, kinds.names())
            raise InputError(f"unknown {what[:-1]} kind {value!r}; valid kinds: {valid}{hint}")
        return name

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
        return [name for name in kinds.names() if name.lower().startswith(incomplete.lower())]

    return click.option(
        "--kind",
        metavar="KIND",
        callback=parse,
        shell_complete=complete,
        default=None,
        help=f"Only {what} of this kind (any case): {', '.join(kinds.names())}.",
    )


def _complete_run_id(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return _complete_id(ctx, "run", incomplete)


def _complete_artifact_id(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return _complete_id(ctx, "artifact", incomplete)


def _complete_id(ctx: click.Context, what: str, incomplete: str) -> list[str]:
    """Ids starting with what was typed (shell completion: never an error)."""
    from medlang.registry.storage import Table

    try:
        root = ctx.find_root()
        named = getattr(root.obj, "registry_root", None) or root.params.get("registry_root")
        registry = Registry.open(named or default_registry_root())  # a directory or a URL
        prefix = incomplete.strip().lower()
        table = Table.RUNS if what == "run" else Table.ARTIFACTS
        return registry.store.ids_with_prefix(table, prefix, 50)
    except Exception:  # completion must never print a traceback into the shell
        return []


def _id_argument(what: str) -> Callable[[F], F]:
    """The id as a positional argument, with ``--id`` still accepted (see ``_one_id``)."""
    complete = _complete_run_id if what == "run" else _complete_artifact_id

    def decorate(command: F) -> F:
        command = click.option(
            "--id",
            "id_option",
            metavar="ID",
            shell_complete=complete,
            help=f"The {what} id (or a unique prefix): the same as the argument.",
        )(command)
        return click.argument("id_argument", metavar="ID", required=False, shell_complete=complete)(
            command
        )

    return decorate


# --- mlc runs ----------------------------------------------------------------


# Subcommands that live in modules of their own, imported when invoked.
_LAZY_RUNS_COMMANDS = {
    "list": "medlang.cli.listing:list_runs",
    "compare": "medlang.cli.compare:compare",
    "lineage": "medlang.cli.provenance:lineage",
    "export": "medlang.cli.provenance:export",
    "tag": "medlang.cli.annotate:tag_run",
    "note": "medlang.cli.annotate:note_run",
    "delete": "medlang.cli.annotate:delete_run",
    "restore": "medlang.cli.annotate:restore_run",
    "archive": "medlang.cli.archive:archive_runs",
    "import": "medlang.cli.archive:import_runs",
    "replay": "medlang.cli.replay:replay",
    "verify": "medlang.cli.replay:verify_run",
}
_LAZY_ARTIFACTS_COMMANDS = {
    "list": "medlang.cli.listing:list_artifacts",
    "verify": "medlang.cli.replay:verify_artifacts",
    "get": "medlang.cli.replay:get_artifact",
}


@click.group(cls=LazyGroup, lazy_commands=_LAZY_RUNS_COMMANDS)
def runs() -> None:
    """Query and annotate the runs in the registry.

    \b
    Examples:
      mlc runs list --kind EvidenceHybrid -n 5 -v
      mlc runs list --json | jq .metrics
      mlc runs show 6a14c8a2
      mlc runs list --where 'metrics.rmse < 0.05' --order-by metrics.rmse
      mlc runs compare 6a14c8a2 7b3f1c2d
      mlc runs export-config 6a14c8a2 --out rerun/config.json
      mlc runs tag 6a14c8a2 paper=fig3
      mlc runs lineage 6a14c8a2 --dot | dot -Tsvg > lineage.svg
      mlc runs export 6a14c8a2 --format ro-crate --out crate/
    """


@runs.command("show")
@_id_argument("run")
@click.option("--json", "as_json", is_flag=True, help="The run as one compact JSON line (for jq).")
@click.pass_context
@_user_errors
def show_run(
    ctx: click.Context, id_argument: str | None, id_option: str | None, as_json: bool
) -> None:
    """Show one run as JSON: the stored record with its artifact records nested under
    "artifacts", and its "tags", "notes" and "hidden" mark. ID may be a unique prefix
    (4+ characters), like git.

    \b
    Examples:
      mlc runs show 6a14c8a2
      mlc runs show 6a14c8a2 --json | jq .metrics
    """
    registry = _registry_with_runs(ctx)
    view = run_view(registry, _find_run(registry, _one_id(id_argument, id_option)))
    click.echo(_compact(view) if as_json else _pretty(view))


def _output_file(text: str) -> Path | None:
    """``--out`` as a path; ``-`` (None) is stdout."""
    if text == "-":
        return None
    if text.endswith(("/", os.sep)):  # `--out dir/` would otherwise write a file `dir`
        raise click.BadParameter(f"'{text}' is a directory (ends with '/'), not a file")
    return Path(text)


@runs.command("export-config")
@_id_argument("run")
@click.option(
    "--out",
    default="-",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True),  # text: Path("dir/") would drop the "/"
    callback=lambda ctx, param, value: _output_file(value),
    help="Where to write the config (parent directories are created); - is stdout.",
)
@click.pass_context
@_user_errors
def export_config(
    ctx: click.Context, id_argument: str | None, id_option: str | None, out: Path | None
) -> None:
    """Write a run's config as pretty JSON, ready to pass back to the command that made it
    (its --config).

    \b
    Examples:
      mlc runs export-config 6a14c8a2 --out rerun/config.json
      mlc runs export-config 6a14c8a2 | jq .seed
    """
    registry = _registry_with_runs(ctx)
    if out is not None:
        refuse_registry_output(out, registry.root, "--out")
    record = _find_run(registry, _one_id(id_argument, id_option))
    config = record.get("config", {})
    text = _pretty(config) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        from medlang.files import write_text_atomic

        try:
            write_text_atomic(out, text)
        except OSError as error:
            where = f" ({error.filename})" if error.filename and error.filename != str(out) else ""
            message = f"cannot write {out}: {error.strerror or error}{where}"
            raise click.ClickException(message) from None
        click.echo(f"Wrote the config of run {record['id']} to {out}", err=True)
    redacted = _redacted_keys(config)
    if redacted:
        click.echo(
            f"Warning: {', '.join(redacted)} {'was' if len(redacted) == 1 else 'were'} "
            "redacted when the run was logged; fill in before re-using this config",
            err=True,
        )


def _find_run(registry: Registry, id_or_prefix: str) -> JsonObject:
    run_id = registry.resolve_run_id(id_or_prefix)
    record = registry.run_json(run_id)
    if record is None:  # removed between the two reads
        raise RegistryError(f"no run with id {id_or_prefix!r} in {registry.root}")
    return record


def _status(record: JsonObject) -> str:
    """``finished`` (the default of lines written before runs had a status), ``failed``,
    and for a replay whether it reproduced its run."""
    status = str(record.get("status") or "finished")
    verdict = record.get("replay_verdict")
    return f"{status}, replay {verdict}" if verdict else status


def _run_row(record: JsonObject, verbose: bool, hidden: str | None = None) -> list[str]:
    row = [
        record["id"],
        record["kind"] + (f" ({hidden})" if hidden else ""),
        _status(record),
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


@click.group(cls=LazyGroup, lazy_commands=_LAZY_ARTIFACTS_COMMANDS)
def artifacts() -> None:
    """Query the artifacts (result files, models, policies, reports) in the registry.

    \b
    Examples:
      mlc artifacts list --kind SurrogateModel
      mlc artifacts show 0c9e1f2a --json | jq .sha256
    """


@artifacts.command("show")
@_id_argument("artifact")
@click.option(
    "--json", "as_json", is_flag=True, help="The artifact as one compact JSON line (for jq)."
)
@click.pass_context
@_user_errors
def show_artifact(
    ctx: click.Context, id_argument: str | None, id_option: str | None, as_json: bool
) -> None:
    """Show one artifact as JSON, with the ids of the runs it was logged with under "runs".

    ID may be a unique prefix (4+ characters).

    \b
    Examples:
      mlc artifacts show 0c9e1f2a
      mlc artifacts show 0c9e1f2a --json | jq -r .path
    """
    registry = _registry_with_runs(ctx)
    full_id = registry.resolve_artifact_id(_one_id(id_argument, id_option))
    record = registry.artifact_json(full_id)
    if record is None:
        raise RegistryError(f"no artifact with id {full_id!r} in {registry.root}")
    view = artifact_view(registry, record)
    click.echo(_compact(view) if as_json else _pretty(view))


# --- rendering ---------------------------------------------------------------


def _one_id(positional: str | None, option: str | None) -> str:
    if positional and option and positional != option:
        raise InputError("give the id once: as an argument or with --id, not both")
    chosen = positional or option
    if not chosen:
        raise InputError("missing ID: give it as an argument or with --id")
    return chosen


# A cell is one line: control characters (a newline in a tag, an escape sequence that
# would drive the terminal) are shown escaped, as Python would write them.
_CELL_ESCAPES = {
    code: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(chr(code), f"\\x{code:02x}")
    for code in [*range(0x20), 0x7F]
}


def _table(headers: list[str] | None, rows: list[list[str]], indent: str = "") -> str:
    """Left-aligned columns two spaces apart, one line per row; no trailing spaces."""
    all_rows = [
        [cell.translate(_CELL_ESCAPES) for cell in row]
        for row in ([headers] if headers else []) + rows
    ]
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
            hidden = isinstance(item, str) and REDACTED in item  # whole value or a part
            found += [name] if hidden else _redacted_keys(item, name)
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
