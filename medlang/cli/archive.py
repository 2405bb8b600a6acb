"""``mlc runs archive`` and ``mlc runs import``: move runs to an archive file and back."""

from __future__ import annotations

from pathlib import Path

import click

from medlang.cli.runs import (
    InputError,
    _complete_run_id,
    _find_run,
    _registry_with_runs,
    _user_errors,
)


@click.command("archive")
@click.argument("run_ids", metavar="[ID]...", nargs=-1, shell_complete=_complete_run_id)
@click.option(
    "--where",
    metavar="EXPR",
    help="Archive every run this query selects (the language of `mlc runs list --where`).",
)
@click.option(
    "--to",
    "archive",
    required=True,
    metavar="FILE.jsonl",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive file (created, or added to if it is an archive already).",
)
@click.pass_context
@_user_errors
def archive_runs(
    ctx: click.Context, run_ids: tuple[str, ...], where: str | None, archive: Path
) -> None:
    """Move runs (with their artifact records, tags and notes) to an archive file.

    The runs are copied to the archive (durably) and hidden in the registry; only
    `mlc registry compact` removes them from its logs. `mlc --registry FILE runs list`
    reads the archive, `mlc runs import FILE` brings the runs back.

    \b
    Examples:
      mlc runs archive 6a14c8a2 9b08923d --to archive/2026-q1.jsonl
      mlc runs archive --where "started_at < '2026-01-01'" --to archive/2025.jsonl
      mlc --registry archive/2026-q1.jsonl runs list
    """
    from medlang.registry.archive import archive_runs as archive_them

    if not run_ids and where is None:
        raise InputError("give the ids of the runs to archive, or --where EXPR")
    registry = _registry_with_runs(ctx)
    full_ids = [_find_run(registry, run_id)["id"] for run_id in run_ids]
    if where is not None:
        full_ids += _selected(registry, where)
    if not full_ids:
        click.echo("No runs match; nothing archived", err=True)
        return
    moved = archive_them(registry, full_ids, archive)
    for skipped in moved.skipped:
        click.echo(f"Skipped {skipped}", err=True)
    click.echo(
        f"Archived {moved.runs} run(s) and {moved.artifacts} artifact record(s) to {archive}",
        err=True,
    )


@click.command("import")
@click.argument("archive", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@_user_errors
def import_runs(ctx: click.Context, archive: Path) -> None:
    """Bring the runs of an archive file (from `mlc runs archive`) back into the registry.

    Runs the registry no longer has are appended with their artifact records, tags
    and notes; runs hidden as archived are shown again. Importing twice is harmless.

    \b
    Example:
      mlc runs import archive/2026-q1.jsonl
    """
    from medlang.registry.archive import import_archive
    from medlang.registry.store import Registry

    root = ctx.find_root().obj.registry_root
    if not archive.is_file():
        raise InputError(f"{archive}: no such archive file")
    moved = import_archive(Registry.open(root), archive)
    for skipped in moved.skipped:
        click.echo(f"Skipped {skipped}", err=True)
    click.echo(
        f"Imported {moved.runs} run(s) and {moved.artifacts} artifact record(s) from {archive}",
        err=True,
    )


def _selected(registry, where: str) -> list[str]:
    """The ids of the (visible) runs the query selects; a bad query is one error."""
    from medlang.cli.listing import QueryOptionError  # the caret diagnostic, as list shows it
    from medlang.query.errors import QueryError

    try:
        return [record["id"] for record in registry.iter_runs(where)]
    except QueryError as error:
        raise QueryOptionError(str(error)) from None
