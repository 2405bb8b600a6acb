"""``mlc registry ...``: the registry itself (info, compact, migrate, set, push, pull)."""

from __future__ import annotations

import json
import sys

import click

from medlang.cli.runs import _registry, _size, _user_errors
from medlang.registry.errors import note


@click.group("registry")
def registry() -> None:
    """Inspect or maintain the registry itself.

    \b
    Examples:
      mlc registry info
      mlc registry compact
      mlc --registry postgresql://me@db.example.org/medlang registry migrate
      mlc --registry postgresql://me@db.example.org/medlang registry set objects s3://lab/medlang
      mlc registry push --to postgresql://me@db.example.org/medlang
    """


@registry.command("info")
@click.option("--json", "as_json", is_flag=True, help="The same facts as one JSON object.")
@click.pass_context
@_user_errors
def info(ctx: click.Context, as_json: bool) -> None:
    """Where the registry is, how many runs and artifacts it holds, file sizes and
    whether the index is up to date.

    \b
    Examples:
      mlc registry info
      MEDLANG_REGISTRY=/data/reg mlc registry info --json | jq .runs
    """
    from medlang.registry.info import describe

    facts = describe(_registry(ctx))
    if as_json:
        click.echo(json.dumps(facts, separators=(",", ":")))
        return
    if not facts["exists"]:
        note(f"no registry at {facts['path']}")
    click.echo(f"Registry: {facts['path']}{' (an archive, read-only)' if facts['archive'] else ''}")
    runs = facts["runs"]
    click.echo(
        f"Runs: {runs['visible']} shown ({runs['deleted']} deleted, {runs['archived']} archived "
        f"not shown; {runs['total']} in all)"
    )
    click.echo(f"Artifacts: {facts['artifacts']}")
    if facts["server"]:  # a directory registry's objects are always in its objects/
        click.echo(f"Objects: {facts['objects']}")
    for name, size in facts["files"].items():
        click.echo(f"  {name:<20} {_size(size) if size is not None else 'absent'}")
    index = facts["index"]
    click.echo(f"Index: {index['state']}")


@registry.command("compact")
@click.pass_context
@_user_errors
def compact(ctx: click.Context) -> None:
    """Rewrite the logs without the runs archived with `mlc runs archive`.

    The only command that rewrites the registry: atomically (a new file, fsync'd,
    renamed over the old one) under the writers' lock, so runs being logged at the
    same time are never lost. Runs are removed only if the archive they were moved
    to holds them.

    \b
    Example:
      mlc runs archive 6a14c8a2 --to old.jsonl && mlc registry compact
    """
    from medlang.registry.compact import compact as compact_logs

    opened = _registry(ctx)
    root = opened.directory
    if root is None:  # rows on a server are not rewritten: archived runs stay hidden there
        raise click.ClickException(
            f"{opened.location} is a registry on a server: compact rewrites a registry "
            "directory's logs; archived runs stay hidden on the server"
        )
    if root.is_file():
        raise click.ClickException(f"{root} is an archive: nothing to compact")
    if not root.exists():
        note(f"no registry at {root}")
        return
    done = compact_logs(root)
    click.echo(
        f"Removed {done.runs} archived run(s), {done.artifacts} artifact record(s) and "
        f"{done.annotations} annotation(s); {_size(done.bytes_before)} -> "
        f"{_size(done.bytes_after)}",
        err=True,
    )


@registry.command("migrate")
@click.pass_context
@_user_errors
def migrate(ctx: click.Context) -> None:
    """Create or upgrade a PostgreSQL registry's schema to this toolchain's version.

    Run it once on a new database (the user needs CREATE rights there) and after
    upgrading medlang; other commands never change the schema and say when this is
    needed. Safe to run again, and from several machines at once.

    \b
    Example:
      PGPASSWORD=... mlc --registry postgresql://me@db.example.org/medlang registry migrate
    """
    registry = _registry(ctx)
    store = registry.store
    if not getattr(store, "remote", False):
        raise click.ClickException(
            f"{registry.location} is a directory registry: it needs no migration "
            "(migrate is for postgresql:// registries)"
        )
    before, after = store.migrate()  # type: ignore[attr-defined]
    if before == after:
        click.echo(f"{registry.location}: schema {after}, already up to date")
    else:
        click.echo(f"{registry.location}: schema {before} -> {after}")


@registry.command("set")
@click.argument("setting", type=click.Choice(["objects"]))
@click.argument("location")
@click.option(
    "--copy",
    is_flag=True,
    help="Copy the objects stored at the current location to the new one first "
    "(required when there are any; the old copies are kept).",
)
@click.pass_context
@_user_errors
def set_setting(ctx: click.Context, setting: str, location: str, copy: bool) -> None:
    """Set where a PostgreSQL registry keeps its objects (the files runs read and wrote).

    LOCATION is `database` (the registry's own table, the default), an absolute path
    every client sees (a shared file system), or an fsspec URL such as
    s3://bucket/prefix (pip install 'medlang[s3]'). It is stored in the database, so
    every client of the registry uses it. Credentials never go in it: they come from
    the environment or the protocol's configuration (AWS_ACCESS_KEY_ID, ~/.aws, ...).

    While objects are stored, changing the location needs --copy: they are copied
    (each checked against its sha256) before the switch, so none is stranded.
    Change it while nobody is logging runs: a run whose files went to the old place
    and that commits after the switch is refused (log it again).

    \b
    Examples:
      mlc --registry postgresql://me@db/medlang registry set objects /shared/medlang-objects
      mlc --registry postgresql://me@db/medlang registry set objects s3://lab/medlang --copy
    """
    from medlang.registry.relocate_objects import relocate

    registry = _registry(ctx)
    if not getattr(registry.store, "remote", False):
        raise click.ClickException(
            f"{registry.location} is a directory registry: its objects live in its objects/ "
            f"directory ({setting} can be set for postgresql:// registries)"
        )
    done = relocate(registry.store, location, copy=copy)  # type: ignore[arg-type]
    if not done.changed:
        click.echo(f"{registry.location}: objects already at {done.after}")
        return
    click.echo(
        f"{registry.location}: objects {done.before} -> {done.after} "
        f"({done.copied} copied, {done.present} already there)"
    )


_SYNC_OPTIONS = [
    click.option("--dry-run", is_flag=True, help="Count what would be sent; send nothing."),
    click.option("--json", "as_json", is_flag=True, help="The counts as one JSON object."),
]


def _sync_options(command):
    for option in reversed(_SYNC_OPTIONS):
        command = option(command)
    return command


@registry.command("push")
@click.option(
    "--to",
    "destination",
    required=True,
    metavar="URL",
    help="The registry to send to: postgresql://user@host/db, or a directory.",
)
@_sync_options
@click.pass_context
@_user_errors
def push(ctx: click.Context, destination: str, dry_run: bool, as_json: bool) -> None:
    """Send this registry's runs, artifacts, annotations and objects that the other
    registry does not have yet (a team's server, usually).

    Safe to repeat: what the other side holds (by id, objects by sha256) is not
    sent again, and nothing there is changed. Safe to interrupt: objects go first,
    then artifact records, then runs, then annotations, each committed whole, so
    the other side never holds a run without what it names; run the command
    again to finish. Runs logged while it runs are left for the next push.

    \b
    Examples:
      PGPASSWORD=... mlc registry push --to postgresql://me@db.example.org/medlang
      mlc registry push --to /mnt/backup/registry --dry-run
    """
    source = _registry(ctx)
    _sync(source, _named_registry(destination, "--to"), "push", dry_run, as_json)


@registry.command("pull")
@click.option(
    "--from",
    "origin",
    required=True,
    metavar="URL",
    help="The registry to fetch from: postgresql://user@host/db, or a directory.",
)
@_sync_options
@click.pass_context
@_user_errors
def pull(ctx: click.Context, origin: str, dry_run: bool, as_json: bool) -> None:
    """Fetch the runs, artifacts, annotations and objects of another registry that
    this one does not have yet (a team's server onto a laptop, to work offline).

    The same guarantees as push, the other way round: safe to repeat and to
    interrupt; each batch is appended to the local logs under their lock and
    synced to disk.

    \b
    Examples:
      PGPASSWORD=... mlc registry pull --from postgresql://me@db.example.org/medlang
      mlc --registry ./offline registry pull --from postgresql://me@db/medlang --json
    """
    target = _registry(ctx)
    _sync(_named_registry(origin, "--from"), target, "pull", dry_run, as_json)


def _progress_line(verb: str):  # -> Callable[[Counts], None]
    """A line on the terminal redrawn at most every 0.2 s: a big push takes a while."""
    import time

    from medlang.sync import report

    shown = [0.0]

    def show(counts) -> None:
        now = time.monotonic()
        if now - shown[0] >= 0.2:
            shown[0] = now
            click.echo(f"\r\x1b[K{report.progress(counts, verb)}", nl=False, err=True)

    return show


def _named_registry(text: str, option: str):  # -> Registry
    from medlang.cli.main import registry_location
    from medlang.registry.store import Registry

    return Registry.open(registry_location(text, option))


def _sync(source, target, verb: str, dry_run: bool, as_json: bool) -> None:
    from medlang.sync import endpoints, report
    from medlang.sync.transfer import Counts, transfer

    endpoints.check(source, target, dry_run=dry_run)
    counts = Counts()
    show = _progress_line(verb) if sys.stderr.isatty() and not dry_run else None
    stopped = False
    try:
        transfer(source.store, target.store, dry_run=dry_run, counts=counts, progress=show)
    except KeyboardInterrupt:
        stopped = True
        raise
    finally:
        if show is not None:
            click.echo("\r\x1b[K", nl=False, err=True)  # the progress line, cleared
        if stopped and not dry_run:
            note(report.interrupted(counts, verb))
        for registry in (source, target):
            close = getattr(registry.store, "close", None)
            if close is not None:
                close()
    if as_json:
        facts = report.as_json(
            counts, source=source.location, target=target.location, dry_run=dry_run
        )
        click.echo(json.dumps(facts, separators=(",", ":")))
    else:
        click.echo(
            f"{source.location} -> {target.location}: "
            + report.summary(counts, verb, dry_run=dry_run)
        )
