"""Serve the app with uvicorn until interrupted."""

from __future__ import annotations

from pathlib import Path

from medlang.web.security import is_loopback


class ServeError(Exception):
    """A serving request we refuse (one line for the user)."""


def serve(registry_root: Path | str, *, host: str, port: int, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise ServeError(
            f"--host {host} is reachable from other machines: give --token SECRET "
            "(every request must then carry it)"
        )
    import uvicorn

    from medlang.registry.pg_url import display, is_postgres_url
    from medlang.web.app import create_app

    app = create_app(registry_root, token=token)
    shown = f"[{host}]" if ":" in host else host
    name = display(str(registry_root)) if is_postgres_url(registry_root) else registry_root
    print(f"Serving {name} at http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
