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
