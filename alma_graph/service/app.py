"""The service's ASGI app: the REST API under ``/v1``, MCP Streamable HTTP at ``/mcp``,
``/openapi.json``; authentication in front of all of it.

One ``ALMA`` and one lock serve both: a REST call and an MCP tool call never run
on the store at the same time. The MCP SDK's session manager runs inside the
app's lifespan; the store itself is opened and closed by the runner, around it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from alma_graph.errors import ALMAGraphError
from alma_graph.service.auth import AuthMiddleware, Clients, check_tool_call
from alma_graph.service.errors import error_body, status_for
from alma_graph.service.routes import Service, router
from alma_graph.service import viewer

if TYPE_CHECKING:
    from alma_graph.alma import ALMA
    from alma_graph.interfaces.tools import ToolSpec

log = logging.getLogger("alma_graph.service")
MCP_PATH = "/mcp"
DESCRIPTION = """The alma_graph knowledge service: one process owns the store; REST here, MCP at `/mcp`.
Every route but `/v1/health` needs `Authorization: Bearer <token>` of a client in
`alma.server.clients` (see docs/service.md and docs/security.md). Errors are
`{"error": {"type": ..., "message": ...}}`."""


def _mcp_guard(spec: "ToolSpec", arguments: dict[str, Any], request: Any) -> None:
    """An MCP tool call obeys the same client rules as REST."""
    client = request.state.alma_client if request is not None else None
    if client is None:  # the middleware authenticates every /mcp request, so this means a bug
        raise RuntimeError("an MCP tool call arrived without an authenticated client")
    check_tool_call(client, spec.name, [p.name for p in spec.parameters()], arguments, spec.read_only)


def create_app(alma: "ALMA", clients: Clients, host: str = "127.0.0.1",
               allowed_paths: list[Path] | None = None, lock: threading.Lock | None = None) -> Any:
    """The whole service as one ASGI app (the auth middleware around FastAPI)."""
    from alma_graph import __version__
    from alma_graph.mcp.server import build_server

    lock = lock or threading.Lock()
    roots = [Path(p).expanduser().resolve() for p in (allowed_paths or [])]
    mcp_roots: list[str | os.PathLike[str]] = list(roots)
    mcp = build_server(alma, mcp_roots, lock, guard=_mcp_guard)
    mcp_app = mcp.streamable_http_app(streamable_http_path=MCP_PATH, host=host)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        async with mcp.session_manager.run():
            yield

    app = FastAPI(title="alma-graph", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.service = Service(alma, lock)
    app.state.allowed_paths = roots
    app.include_router(router)
    app.include_router(viewer.router)  # GET /v1/agents
    viewer.mount_ui(app)  # the web viewer at /ui/
    # The SDK's /mcp endpoint (with its DNS-rebinding checks) as a route of this app.
    [mcp_route] = [r for r in mcp_app.routes if isinstance(r, Route) and r.path == MCP_PATH]
    app.router.routes.append(mcp_route)

    @app.exception_handler(ALMAGraphError)
    async def library_error(_: Request, exc: ALMAGraphError) -> JSONResponse:
        return JSONResponse(error_body(type(exc).__name__, str(exc)), status_code=status_for(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(error_body("ValidationError", "; ".join(problems)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "NotFound" if exc.status_code == 404 else "HTTPError"
        return JSONResponse(error_body(kind, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("request failed")
        return JSONResponse(error_body("InternalError", "the service failed; its log says why"), status_code=500)

    return AuthMiddleware(app, clients)


__all__ = ["create_app", "MCP_PATH"]
