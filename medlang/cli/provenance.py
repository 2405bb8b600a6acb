"""``mlc runs lineage`` and ``mlc runs export``: thin shells over ``medlang.provenance``.

``lineage`` stays on the fast path (stored JSON, no pydantic/numpy/lark); the
exporters load their libraries (rocrate, prov) only when asked to export.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from medlang.cli.runs import InputError, _registry, _user_errors


@click.command("lineage")
@click.argument("run_id", metavar="ID")
@click.option(
    "--descendants",
    is_flag=True,
    help="The runs that used this run's outputs (and theirs), instead of its ancestry.",
)
@click.option(
    "--depth",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Follow at most N generations (default: all).",
)
@click.option("--json", "as_json", is_flag=True, help="The graph as one JSON object (for tools).")
@click.option("--dot", "as_dot", is_flag=True, help="The graph in Graphviz DOT (pipe to `dot`).")
@click.pass_context
@_user_errors
def lineage(
    ctx: click.Context,
    run_id: str,
    descendants: bool,
    depth: int | None,
    as_json: bool,
    as_dot: bool,
) -> None:
    """Show where a run's inputs came from: the runs that produced them, and the
    evaluations that qualified them. Runs are linked by the sha256 of the files
    one wrote and the other read. ID may be a unique prefix (4+ characters).

    \b
    Examples:
      mlc runs lineage 6a14c8a2
      mlc runs lineage 6a14c8a2 --descendants
      mlc runs lineage 6a14c8a2 --json | jq '.runs[] | .kind'
      mlc runs lineage 6a14c8a2 --dot | dot -Tsvg > lineage.svg
    """
    from medlang.provenance import lineage as data
    from medlang.provenance import lineage_render

    if as_json and as_dot:
        raise InputError("choose one of --json and --dot")
    registry = _registry(ctx)
    walk = data.descendants if descendants else data.ancestors
    graph = walk(registry, run_id, depth)
    if as_json:
        click.echo(json.dumps(graph.to_json(), ensure_ascii=False, separators=(",", ":")))
    elif as_dot:
        click.echo(lineage_render.dot(graph))
    else:
        click.echo(lineage_render.tree(graph))


@click.command("export")
@click.argument("run_id", metavar="ID")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ro-crate", "prov-json"]),
    default="ro-crate",
    show_default=True,
    help="ro-crate: a Workflow Run RO-Crate directory; prov-json: one W3C PROV-JSON file.",
)
@click.option(
    "--out",
    required=True,
    metavar="PATH",
    help="ro-crate: a new or empty directory; prov-json: a file ('-' for stdout).",
)
@click.option(
    "--agent",
    metavar="WHO",
    default=None,
    help="Who ran the runs: an ORCID URL or a name (the registry does not record it).",
)
@click.option(
    "--license",
    "license_",
    metavar="URL|TEXT",
    default=None,
    help="The crate's license, e.g. https://spdx.org/licenses/CC-BY-4.0 (ro-crate only).",
)
@click.pass_context
@_user_errors
def export(
    ctx: click.Context,
    run_id: str,
    fmt: str,
    out: str,
    agent: str | None,
    license_: str | None,
) -> None:
    """Export a run with its inputs, outputs and lineage (the runs that produced its
    inputs, the evaluations that qualified them) for archiving or publication.

    The files' bytes come from the registry's object store, re-hashed on the way
    out; a file the store does not hold is described by its sha256 and named on
    stderr. ID may be a unique prefix (4+ characters).

    \b
    Examples:
      mlc runs export 6a14c8a2 --format ro-crate --out crate/
      mlc runs export 6a14c8a2 --format prov-json --out run.prov.json
    """
    from medlang.registry.guard import refuse_registry_output

    registry = _registry(ctx)
    if out != "-" or fmt == "ro-crate":
        refuse_registry_output(out, registry.root, "--out")
    if fmt == "prov-json":
        _export_prov_json(registry, run_id, out, agent)
        return
    if out == "-":
        raise InputError("--format ro-crate writes a directory: give --out DIR, not '-'")
    from medlang.provenance.crate import write_crate

    summary = write_crate(registry, run_id, Path(out), agent=agent, license=license_)
    for missing in summary.missing:
        where = missing.node.paths[0] if missing.node.paths else "(no path)"
        click.echo(f"note: {where} sha256:{missing.node.sha256}: {missing.note}", err=True)
    runs = len(summary.runs)
    click.echo(
        f"Wrote an RO-Crate of run {summary.runs[0]} to {summary.out} "
        f"({runs} run{'s' if runs != 1 else ''}, {summary.files_written} files)"
    )


def _export_prov_json(registry, run_id: str, out: str, agent: str | None) -> None:
    from medlang.provenance.prov_json import write_prov_json

    text = write_prov_json(registry, run_id, agent)
    if out == "-":
        click.echo(text)
        return
    target = Path(out)
    if out.endswith(("/", os.sep)) or target.is_dir():
        raise InputError(f"{out}: --format prov-json writes a file; --out names a directory")
    from medlang.files import write_text_atomic

    write_text_atomic(target, text + "\n")
    click.echo(f"Wrote the PROV-JSON of run {registry.resolve_run_id(run_id)} to {target}")
