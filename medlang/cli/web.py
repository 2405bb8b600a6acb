"""``mlc ui``: browse, filter and plot the registry in a local web app."""

from __future__ import annotations

from typing import Any

import click


@click.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5140, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token",
    envvar="MEDLANG_UI_TOKEN",
    default=None,
    help="Secret every request must carry (required for a non-loopback --host).",
)
@click.pass_obj
def ui(app: Any, host: str, port: int, token: str | None) -> None:
    """Serve a read-only web view of the registry.

    \b
    Example:
      mlc ui                      # then open http://127.0.0.1:5140/
      mlc --registry ./reg ui --port 8080
    """
    from medlang.web.serve import ServeError, serve

    try:
        serve(app.registry_root, host=host, port=port, token=token)
    except ServeError as error:
        raise click.UsageError(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot serve on {host}:{port}: {error.strerror}") from None


@click.command("report")
@click.argument("run_ids", metavar="ID...", nargs=-1)
@click.option(
    "--where",
    metavar="EXPR",
    help="Report the runs this query selects (the language of `mlc runs list --where`).",
)
@click.option(
    "-n",
    "limit",
    type=click.IntRange(1, 200),
    default=20,
    show_default=True,
    help="With --where: at most N runs, newest first (or in --order-by order).",
)
@click.option("--order-by", "order_by", metavar="FIELD", help="With --where: order of the runs.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Where to write the report; - is stdout (HTML only).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "pdf"]),
    default="html",
    show_default=True,
    help="pdf prints the HTML with the system's headless Chromium.",
)
@click.option("--title", default=None, help="Heading of the report (default: from the runs).")
@click.pass_obj
def report(
    app: Any,
    run_ids: tuple[str, ...],
    where: str | None,
    limit: int,
    order_by: str | None,
    out: str,
    fmt: str,
    title: str | None,
) -> None:
    """Write one self-contained HTML (or PDF) report about runs: provenance (git commit,
    inputs with sha256, environment), metrics, config and the same pictures as
    `mlc ui`. It opens offline: data and scripts are inside the file.

    \b
    Examples:
      mlc report 6a14c8a2 --out report.html
      mlc report 6a14c8a2 3e429c50 --format pdf --out trial.pdf
      mlc report --where "tags.paper = 'fig3'" --out fig3.html
    """
    from pathlib import Path

    from medlang.files import write_bytes_atomic
    from medlang.registry.errors import RegistryError
    from medlang.registry.guard import refuse_registry_output
    from medlang.web.report import ReportError, render_report, to_pdf

    registry = app.registry()
    if bool(run_ids) == bool(where):
        raise click.UsageError("give run ids or --where EXPR (one of the two)")
    try:
        if where:
            from medlang.query.errors import QueryError

            try:
                found = registry.iter_runs(where=where, order_by=order_by, limit=limit)
                run_ids = tuple(run["id"] for run in found)
            except QueryError as error:
                click.echo(error.render("--where"), err=True)
                raise SystemExit(2) from None
            if not run_ids:
                raise ReportError(f"no run matches --where {where!r}")
        if out == "-":
            if fmt == "pdf":
                raise ReportError("--format pdf needs a file for --out, not -")
        else:
            refuse_registry_output(out, registry.root, "--out")
        html = render_report(registry, list(run_ids), title=title)
        if out == "-":
            click.echo(html, nl=False)
        elif fmt == "pdf":
            to_pdf(html, Path(out))
        else:
            write_bytes_atomic(Path(out), html.encode("utf-8"))
    except (ReportError, RegistryError) as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot write {out}: {error.strerror or error}") from None
    if out != "-":
        click.echo(f"Wrote {out}", err=True)
