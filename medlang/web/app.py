"""The ASGI app behind ``mlc ui``: read-only pages over one registry.

Every page is server-rendered HTML and the same data as JSON (``?format=json``).
The app never writes to the registry and reads no file but the registry's own
records, its object store (by hash, never by path) and its packaged templates and
static files.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from medlang.registry.errors import RegistryError, UnknownKindError
from medlang.registry.store import Registry
from medlang.web import pages
from medlang.web.security import TokenGate

_HERE = Path(__file__).resolve().parent
_SHA256 = re.compile(r"[0-9a-f]{64}")


def create_app(registry_root: Path | str, *, token: str | None = None) -> Starlette:
    """The app over the registry at ``registry_root`` (a directory, an archive file or a
    ``postgresql://`` URL); with ``token``, every request needs it."""
    registry = Registry.open(registry_root)  # an archive file is opened read-only
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    # the directory, or the server's URL without any secret
    templates.env.globals["registry_name"] = registry.location
    templates.env.filters["shell"] = shlex.quote

    def render(request: Request, template: str, data: dict[str, Any]) -> Response:
        if request.query_params.get("format") == "json":
            return JSONResponse(data)
        return templates.TemplateResponse(request, template, {"data": data})

    def int_param(request: Request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        if not raw.isdigit() or len(raw) > 9:
            raise HTTPException(400, f"{name} must be a positive whole number")
        return int(raw)

    def kind_param(request: Request) -> str | None:
        return request.query_params.get("kind") or None

    async def home(request: Request) -> Response:
        return RedirectResponse(request.url_for("runs"), status_code=307)

    async def runs(request: Request) -> Response:
        params = request.query_params
        columns = [c.strip() for c in params.get("columns", "").split(",") if c.strip()]
        query = pages.RunsQuery(
            where=params.get("where", "").strip(),
            kind=kind_param(request),
            status=params.get("status", "").strip(),
            program=params.get("program", "").strip(),
            order_by=params.get("order_by", "").strip(),
            descending=params.get("desc") in ("1", "on", "true"),
            columns=tuple(dict.fromkeys(c for c in columns if c not in pages.BASE_COLUMNS)),
            page=int_param(request, "page", 1),
            include_hidden=params.get("all") in ("1", "on", "true"),
        )
        data = pages.runs_page(registry, query)
        status = 400 if data["error"] else 200
        if params.get("format") == "json":
            return JSONResponse(data, status_code=status)
        context = {"data": data}
        return templates.TemplateResponse(request, "runs.html", context, status_code=status)

    async def run(request: Request) -> Response:
        try:
            data = pages.run_page(registry, request.path_params["run_id"])
        except pages.NotFound as error:
            raise HTTPException(404, str(error)) from None
        return render(request, "run.html", data)

    async def compare(request: Request) -> Response:
        ids = [i.strip() for i in request.query_params.getlist("id") if i.strip()]
        data = pages.compare_page(
            registry,
            ids,
            all_keys=request.query_params.get("all") in ("1", "on", "true"),
            x=request.query_params.get("x", "").strip(),
            y=request.query_params.get("y", "").strip(),
        )
        return render(request, "compare.html", data)

    async def history(request: Request) -> Response:
        metric = request.query_params.get("metric", "").strip()
        data = pages.metric_history(registry, metric=metric, kind=kind_param(request))
        return render(request, "plots.html", data)

    async def stored_object(request: Request) -> Response:
        digest = request.path_params["sha256"]
        opener = getattr(registry, "open_object", None)
        if not _SHA256.fullmatch(digest) or opener is None:
            raise HTTPException(404, "no such object")
        try:
            handle = opener(digest)
        except (RegistryError, OSError, ValueError):
            raise HTTPException(404, "no such object") from None
        return StreamingResponse(
            _chunks(handle),
            media_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{digest}"'},
        )

    async def bad_input(request: Request, error: Exception) -> Response:
        return await _error_page(templates, request, 400, str(error))

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        return await _error_page(templates, request, error.status_code, error.detail)

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/runs", runs, name="runs"),
            Route("/runs/{run_id}", run, name="run"),
            Route("/compare", compare, name="compare"),
            Route("/plots", history, name="plots"),
            Route("/objects/{sha256}", stored_object, name="object"),
            Mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static"),
        ],
        exception_handlers={
            UnknownKindError: bad_input,
            RegistryError: bad_input,
            HTTPException: http_error,
        },
    )
    if token:
        app.add_middleware(TokenGate, token=token)
    return app


def _chunks(handle: Any, size: int = 1 << 16):
    with handle:
        while chunk := handle.read(size):
            yield chunk


async def _error_page(
    templates: Jinja2Templates, request: Request, status: int, message: str
) -> Response:
    if request.query_params.get("format") == "json":
        return JSONResponse({"error": message}, status_code=status)
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )
