"""``mlc runs replay|verify``, ``mlc artifacts verify|get`` and ``mlc gc``: thin shells
over ``medlang.provenance`` (replay, certificate, verify, gc)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import BinaryIO

import click

from medlang.cli.params import NumberRange
from medlang.cli.runs import InputError, _registry, _user_errors


def _run(registry, id_or_prefix: str) -> dict:
    from medlang.registry.errors import RegistryError

    run = registry.run_json(registry.resolve_run_id(id_or_prefix))
    if run is None:
        raise RegistryError(f"no run with id {id_or_prefix!r} in {registry.root}")
    return run


@click.command("replay")
@click.argument("run_id", metavar="ID")
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the materialised inputs and replayed outputs here (new or empty directory).",
)
@click.option(
    "--check-only",
    is_flag=True,
    help="Only check that every stored input is present and intact; run nothing.",
)
@click.pass_context
@_user_errors
def replay(ctx: click.Context, run_id: str, out_dir: Path | None, check_only: bool) -> None:
    """Re-execute a run from the registry's copies of its inputs and certify the result:
    every metric (timings excepted) and every output's sha256 identical. Exit 0 when
    identical, 1 with the differences when not. The replay is logged as a new run
    (replay_of = ID). ID may be a unique prefix.

    \b
    Examples:
      mlc runs replay 6a14c8a2
      mlc runs replay 6a14c8a2 --out-dir replayed/
      mlc runs replay 6a14c8a2 --check-only
    """
    from medlang.provenance.replay import replayable, stored_inputs

    registry = _registry(ctx)
    run = _run(registry, run_id)
    if check_only:
        inputs = stored_inputs(registry, run)
        for item in inputs:
            click.echo(f"{item.state:<8} {item.role:<34} {item.sha256[:16]}  {item.path or ''}")
        replayable(registry, run)  # says why not, exit 1
        click.echo(f"run {run['id']}: all {len(inputs)} stored inputs present and intact")
        return
    if out_dir is not None:
        _refuse_registry(out_dir, registry, "--out-dir")
    from medlang.provenance.certificate import certify
    from medlang.provenance.replay import replay as do_replay

    replayed = do_replay(registry, run, out_dir)
    certificate = certify(registry, replayed)
    click.echo(certificate.render())
    if out_dir is not None:
        click.echo(f"Replayed outputs kept in {replayed.directory / 'outputs'}")
    if not certificate.identical:
        sys.exit(1)


@click.command("verify")
@click.argument("run_id", metavar="ID")
@click.pass_context
@_user_errors
def verify_run(ctx: click.Context, run_id: str) -> None:
    """Check a run's files: each artifact at its path (ok / modified / missing) and every
    stored copy, inputs included (intact / corrupt / absent). Exit 1 if any is not.

    \b
    Example:
      mlc runs verify 6a14c8a2
    """
    from medlang.provenance.verify import check_run

    registry = _registry(ctx)
    _report(check_run(registry, _run(registry, run_id)))


@click.command("verify")
@click.argument("artifact_ids", metavar="[ID]...", nargs=-1)
@click.pass_context
@_user_errors
def verify_artifacts(ctx: click.Context, artifact_ids: tuple[str, ...]) -> None:
    """Check artifacts (all of them if no ID is given): the file at its path (ok /
    modified / missing) and its stored copy (intact / corrupt / absent). Exit 1 if any
    is not ok and intact.

    \b
    Examples:
      mlc artifacts verify
      mlc artifacts verify 0c9e1f2a 5d2b77e0
    """
    from medlang.provenance.verify import check_artifacts

    registry = _registry(ctx)
    if artifact_ids:
        ids = [registry.resolve_artifact_id(i) for i in artifact_ids]
    else:
        ids = [artifact["id"] for artifact in registry.artifacts_json()]
    _report(check_artifacts(registry, ids))


def _report(checks) -> None:
    for check in checks:
        on_disk = f"file {check.on_disk:<8} " if check.on_disk else " " * 14
        click.echo(f"{check.what}: {on_disk}stored {check.stored:<7} {check.path or ''}")
    bad = [check for check in checks if not check.ok]
    click.echo(f"{len(checks) - len(bad)} of {len(checks)} ok")
    if bad:
        sys.exit(1)


@click.command("get")
@click.argument("artifact_id", metavar="ID")
@click.option(
    "--out",
    "out",
    required=True,
    metavar="PATH",
    help="Where to write the artifact's bytes (- for stdout).",
)
@click.pass_context
@_user_errors
def get_artifact(ctx: click.Context, artifact_id: str, out: str) -> None:
    """Restore an artifact's recorded bytes from the registry's store (whatever became
    of the file at its path).

    \b
    Examples:
      mlc artifacts get 0c9e1f2a --out restored/surrogate.json
      mlc artifacts get 0c9e1f2a --out - | jq .metrics
    """
    from medlang.provenance.verify import INTACT, stored_state
    from medlang.registry.errors import RegistryError

    registry = _registry(ctx)
    full_id = registry.resolve_artifact_id(artifact_id)
    artifact = registry.artifact_json(full_id) or {}
    sha256 = artifact.get("sha256")
    state = stored_state(registry, sha256)
    if state != INTACT:
        why = "was not stored (logged before the registry kept copies, or with --no-store)"
        if state != "absent":
            why = "is corrupt (its bytes no longer hash to its name)"
        raise RegistryError(f"artifact {full_id}: the stored copy {why}")
    if out == "-":
        with registry.open_object(sha256) as source:
            shutil.copyfileobj(source, sys.stdout.buffer)
        sys.stdout.flush()
        return
    target = Path(out).expanduser()
    _refuse_registry(target, registry, "--out")
    if target.is_dir() or out.endswith(("/", os.sep)):
        raise InputError(f"{out}: --out is a directory; name the file to write")
    from medlang.files import write_atomic

    def copy_object(copied: BinaryIO) -> None:
        with registry.open_object(sha256) as source:
            shutil.copyfileobj(source, copied)

    write_atomic(target, copy_object)
    click.echo(f"Wrote {target} ({artifact.get('kind')}, sha256 {sha256[:16]})", err=True)


@click.command("gc")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@click.option(
    "--grace-days",
    # beyond ~2.7 million years a grace period is not a date any more (timedelta's range)
    type=NumberRange(min=0, max=999_999_999),
    default=1.0,
    show_default=True,
    help="Keep anything younger than this (a run may be committing right now).",
)
@click.pass_context
@_user_errors
def gc(ctx: click.Context, dry_run: bool, grace_days: float) -> None:
    """Remove stored objects no committed run or artifact references, and artifact
    records whose run was never written; never anything a committed record references.

    \b
    Examples:
      mlc gc --dry-run
      mlc gc
    """
    from datetime import timedelta

    from medlang.provenance import gc as collector

    registry = _registry(ctx)
    grace = timedelta(days=grace_days)
    found = (collector.plan if dry_run else collector.collect)(registry, grace)
    verb = "would remove" if dry_run else "removed"
    for artifact in found.uncommitted:
        click.echo(
            f"{verb} uncommitted artifact {artifact['id']} ({artifact.get('kind')}, "
            f"run {artifact.get('run_id')} never written)"
        )
    for sha256, size in found.objects:
        click.echo(f"{verb} object {sha256} ({size} bytes)")
    for path in found.temporaries:
        click.echo(f"{verb} interrupted copy {path}")
    click.echo(
        f"{'Would free' if dry_run else 'Freed'} {found.freed_bytes} bytes: "
        f"{len(found.objects)} object(s), {len(found.uncommitted)} uncommitted artifact "
        f"record(s), {len(found.temporaries)} interrupted copy(ies)"
        + (
            f"; {found.kept_young} unreferenced object(s) kept (younger than the grace period)"
            if found.kept_young
            else ""
        )
    )


def _refuse_registry(path: Path, registry, option: str) -> None:
    from medlang.registry.guard import refuse_registry_output

    try:
        refuse_registry_output(path, registry.root, option)
    except Exception as error:  # OutputInRegistryError
        raise InputError(str(error)) from None
