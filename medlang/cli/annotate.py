"""``mlc runs tag|note|delete|restore``: annotate runs without rewriting them.

Each command appends one line to ``annotations.jsonl`` (durable and locked like
runs.jsonl); ``show``, ``list`` and ``--json`` fold them into the run.
"""

from __future__ import annotations

import click

from medlang.cli.runs import (
    InputError,
    _complete_run_id,
    _find_run,
    _registry_with_runs,
    _user_errors,
)
from medlang.registry.views import run_view


@click.command("tag")
@click.argument("run_id", metavar="ID", shell_complete=_complete_run_id)
@click.argument("pairs", metavar="KEY=VALUE...", nargs=-1)
@click.option(
    "--remove", "removed", metavar="KEY", multiple=True, help="Remove this tag (repeatable)."
)
@click.pass_context
@_user_errors
def tag_run(ctx: click.Context, run_id: str, pairs: tuple[str, ...], removed: tuple[str, ...]):
    """Set tags on a run (KEY=VALUE, a later value replaces an earlier one) or remove them.

    Tags are strings; query them with `mlc runs list --where "tags.KEY = 'VALUE'"`,
    read them in MedLang with `get_tags(id)`.

    \b
    Examples:
      mlc runs tag 6a14c8a2 paper=fig3 reviewed=yes
      mlc runs tag 6a14c8a2 --remove reviewed
    """
    tags = dict(_pair(text) for text in pairs)
    if not tags and not removed:
        raise InputError("nothing to do: give KEY=VALUE pairs and/or --remove KEY")
    registry = _registry_with_runs(ctx)
    record = _find_run(registry, run_id)
    registry.tag_run(record["id"], tags, [key.strip() for key in removed])
    shown = run_view(registry, record)["tags"]
    described = ", ".join(f"{key}={value}" for key, value in shown.items()) or "none"
    click.echo(f"Tags of run {record['id']}: {described}", err=True)


def _pair(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    key = key.strip()
    if not equals or not key:
        raise InputError(f"tag {text!r}: expected KEY=VALUE (e.g. paper=fig3)")
    return key, value


@click.command("note")
@click.argument("run_id", metavar="ID", shell_complete=_complete_run_id)
@click.argument("text")
@click.pass_context
@_user_errors
def note_run(ctx: click.Context, run_id: str, text: str) -> None:
    """Append a note to a run (notes are kept in order, never replaced).

    \b
    Example:
      mlc runs note 6a14c8a2 "rerun with the corrected dose table"
    """
    if not text.strip():
        raise InputError("the note is empty")
    registry = _registry_with_runs(ctx)
    record = _find_run(registry, run_id)
    registry.note_run(record["id"], text)
    click.echo(f"Noted on run {record['id']}", err=True)


@click.command("delete")
@click.argument("run_id", metavar="ID", shell_complete=_complete_run_id)
@click.pass_context
@_user_errors
def delete_run(ctx: click.Context, run_id: str) -> None:
    """Hide a run from default views (a tombstone: nothing is removed from the logs).

    `mlc runs list --all` still shows it, `mlc runs show ID` still finds it, and
    `mlc runs restore ID` undoes it.

    \b
    Example:
      mlc runs delete 6a14c8a2
    """
    registry = _registry_with_runs(ctx)
    record = _find_run(registry, run_id)
    registry.delete_run(record["id"])
    click.echo(f"Deleted run {record['id']} (undo: mlc runs restore {record['id']})", err=True)


@click.command("restore")
@click.argument("run_id", metavar="ID", shell_complete=_complete_run_id)
@click.pass_context
@_user_errors
def restore_run(ctx: click.Context, run_id: str) -> None:
    """Undo `mlc runs delete`: the run shows in default views again.

    \b
    Example:
      mlc runs restore 6a14c8a2
    """
    registry = _registry_with_runs(ctx)
    record = _find_run(registry, run_id)
    hidden = run_view(registry, record)["hidden"]
    if hidden == "archived":
        raise InputError(f"run {record['id']} is archived: bring it back with `mlc runs import`")
    registry.restore_run(record["id"])
    click.echo(f"Restored run {record['id']}", err=True)
