"""The MCP server: every tool and resource of ``alma_graph.interfaces.tools`` on the official ``mcp`` SDK.

    python -m alma_graph.mcp --config .alma/config.yaml                       # stdio
    python -m alma_graph.mcp --config .alma/config.yaml --transport http      # Streamable HTTP on 127.0.0.1

Over HTTP the server binds to 127.0.0.1 unless told otherwise. When the
environment variable ``ALMA_GRAPH_MCP_TOKEN`` is set, every request must carry
``Authorization: Bearer <token>``; binding to any non-loopback address without
that variable is refused, so the memory store is never open to a network by
accident.

Tools that read files (``alma_ingest``) read only under the ``--allow-path``
folders (default: the project folder holding ``.alma/``).

One ``ALMA`` is opened before the server starts (a bad config or a locked store
fails at once, with its exit code) and closed when it stops. Tool calls run on
worker threads, one at a time. A library error (``ALMAGraphError``) comes back
as an MCP tool error with its type and message; bad arguments are refused by
the tool's JSON schema (unknown arguments too); neither stops the server.
"""

from __future__ import annotations

import argparse
import functools
import hmac
import inspect
import ipaddress
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alma_graph.errors import ALMAGraphError, ConfigError
from alma_graph.config import project_folder
from alma_graph.ingest.confinement import confined_to
from alma_graph.interfaces.opening import open_alma
from alma_graph.interfaces.tools import RESOURCES, TOOLS, ResourceSpec, ToolSpec

if TYPE_CHECKING:
    from mcp.server import MCPServer
    from mcp.server.mcpserver.tools import Tool

    from alma_graph.alma import ALMA

log = logging.getLogger("alma_graph.mcp")

TOKEN_ENV = "ALMA_GRAPH_MCP_TOKEN"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MCP_PATH = "/mcp"
TRANSPORTS = ("stdio", "http")

INSTRUCTIONS = """\
alma-graph is a learning memory. Before a task, call alma_retrieve(task, agent) and use its
`prompt` (strategies that worked, what to avoid, the user's preferences, knowledge, past outcomes).
After the task, call alma_learn(agent, task, outcome, strategy_used): repeated outcomes become
heuristics and anti-patterns by themselves. Tell which retrieved memories helped with
alma_record_usage or alma_record_feedback. Writes are checked against each agent's scope."""


# -- tools and resources -------------------------------------------------------------------------

def confine(value: str, roots: list[Path]) -> str:
    """``value`` as an absolute path if it lies within one of ``roots``, else a tool error."""
    resolved = Path(value).expanduser().resolve()
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        from mcp.server.mcpserver.exceptions import ToolError

        allowed = ", ".join(str(r) for r in roots) or "none"
        raise ToolError(f"PathNotAllowed: {value!r} is outside the folders this server may read ({allowed}); "
                        f"start it with --allow-path DIR to allow another")
    return str(resolved)


# guard(spec, arguments, http_request_or_None) raises an ALMAGraphError to refuse a call.
ToolGuard = Callable[[ToolSpec, dict[str, Any], Any], None]
_CONTEXT = "mcp_request_context"  # the SDK passes its request context under this name (not part of the schema)


def _mcp_tool(spec: ToolSpec, alma: "ALMA", lock: threading.Lock, roots: list[Path],
              guard: ToolGuard | None = None) -> "Tool":
    """An SDK tool for ``spec``: the same parameters minus ``alma``, library errors as tool errors,
    path parameters confined to ``roots``, each call first checked by ``guard`` if given."""
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.server.mcpserver.tools import Tool
    from mcp_types import ToolAnnotations
    from pydantic import ConfigDict

    def call(**arguments: Any) -> dict[str, Any]:
        context = arguments.pop(_CONTEXT, None)
        for name in spec.paths:
            if arguments.get(name) is not None:
                arguments[name] = confine(arguments[name], roots)
        try:
            if guard is not None:
                request = context.request_context.request if context is not None else None
                guard(spec, arguments, request)
            with lock, confined_to(roots):  # every file read, not only the path given, stays inside roots
                return spec(alma, **arguments)
        except ALMAGraphError as exc:  # the caller's mistake: say what to change
            raise ToolError(f"{type(exc).__name__}: {exc}") from exc
        except ToolError:
            raise
        except Exception as exc:  # not the caller's mistake: still say what it was
            log.exception("tool %s failed", spec.name)
            raise ToolError(f"{type(exc).__name__}: {exc or 'no message'} (an internal error of "
                            f"{spec.name}, not a problem with the arguments; the server log on stderr "
                            "has the traceback)") from exc

    parameters = spec.parameters()
    if guard is not None:
        parameters.append(inspect.Parameter(_CONTEXT, inspect.Parameter.KEYWORD_ONLY, default=None))
    call.__name__ = spec.name
    call.__doc__ = spec.description
    call.__signature__ = inspect.Signature(parameters, return_annotation=dict[str, Any])  # type: ignore[attr-defined]
    tool = Tool.from_function(
        call, name=spec.name, description=spec.description, context_kwarg=_CONTEXT if guard else None,
        annotations=ToolAnnotations(read_only_hint=spec.read_only, destructive_hint=spec.destructive,
                                    idempotent_hint=spec.idempotent, open_world_hint=False),
    )
    # Refuse unknown arguments (a misspelt optional argument must not be silently ignored).
    base = tool.fn_metadata.arg_model
    strict: Any = type(base.__name__, (base,), {"model_config": ConfigDict(extra="forbid", arbitrary_types_allowed=True),
                                           "__module__": __name__})
    return tool.model_copy(update={
        "fn_metadata": tool.fn_metadata.model_copy(update={"arg_model": strict}),
        "parameters": strict.model_json_schema(by_alias=True),
    })


def _mcp_resource(spec: ResourceSpec, alma: "ALMA", lock: threading.Lock):
    from mcp.server.mcpserver.resources import FunctionResource

    def read() -> Any:
        with lock:
            return spec.fn(alma)

    return FunctionResource.from_function(read, uri=spec.uri, name=spec.name, description=spec.description,
                                          mime_type="application/json")


def build_server(alma: "ALMA", allowed_paths: list[str | os.PathLike] | None = None,
                 lock: threading.Lock | None = None, guard: ToolGuard | None = None) -> "MCPServer":
    """An MCP server exposing ``alma`` through every registered tool and resource.

    Tools that read files (``alma_ingest``) may only read under ``allowed_paths``
    (default: the current directory). Calls hold ``lock`` (one store, one call at a time).
    ``guard`` checks each tool call first (the knowledge service checks its client's rights)."""
    from mcp.server import MCPServer

    from alma_graph import __version__

    roots = [Path(p).expanduser().resolve() for p in (allowed_paths if allowed_paths is not None else [Path.cwd()])]
    lock = lock or threading.Lock()
    server = MCPServer("alma-graph", version=__version__, instructions=INSTRUCTIONS,
                       tools=[_mcp_tool(spec, alma, lock, roots, guard) for spec in TOOLS.values()])
    for spec in RESOURCES.values():
        server.add_resource(_mcp_resource(spec, alma, lock))
    return server


# -- HTTP: loopback by default, a bearer token otherwise ------------------------------------------

def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def token_from_env() -> str | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None


def check_http_policy(host: str, token: str | None) -> None:
    """Refuse to expose the store on a network without a token."""
    if not is_loopback(host) and token is None:
        raise ConfigError(
            f"refusing to serve MCP over HTTP on {host}, a non-loopback address, without a token: "
            f"set {TOKEN_ENV} to a long random secret (clients send 'Authorization: Bearer <token>'), "
            f"or bind to {DEFAULT_HOST}"
        )


class BearerTokenMiddleware:
    """ASGI middleware: every HTTP request needs ``Authorization: Bearer <token>``."""

    def __init__(self, app: Callable, token: str):
        self.app = app
        self._token = token.encode()

    def _authorized(self, scope: dict) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self._token)
        return False

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "websocket" and not self._authorized(scope):
            await send({"type": "websocket.close", "code": 1008})  # policy violation
            return
        if scope["type"] == "http" and not self._authorized(scope):
            body = json.dumps({"error": "invalid_token",
                               "error_description": "a valid 'Authorization: Bearer <token>' header is required"}).encode()
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="alma-graph", error="invalid_token"')]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def http_app(server: "MCPServer", host: str, token: str | None):
    """The Streamable HTTP ASGI app at ``/mcp``, behind the bearer check when a token is set."""
    check_http_policy(host, token)
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    return BearerTokenMiddleware(app, token) if token else app


# -- running ----------------------------------------------------------------------------------------

def _terminate(alma: "ALMA", lock: threading.Lock, *_: Any) -> None:
    """SIGTERM on stdio: save and release the store, then exit at once. (An ordinary exit
    would wait for the SDK's stdin reader thread, which blocks until the client closes the pipe.)"""
    if not lock.acquire(timeout=30):  # let a running tool call finish its write
        log.error("a tool call is still running after 30 s; closing the store anyway")
    try:
        alma.close()
    except Exception:
        log.exception("closing the store on SIGTERM failed")
    finally:
        sys.stderr.flush()
        os._exit(0)


def serve(config: str | os.PathLike = ".alma/config.yaml", transport: str = "stdio", host: str = DEFAULT_HOST,
          port: int = DEFAULT_PORT, log_level: str = "WARNING",
          allow_paths: list[str | os.PathLike] | None = None) -> None:
    """Run the MCP server until the client disconnects (stdio) or the process is stopped (http).

    ``allow_paths``: folders ``alma_ingest`` may read (default: the project folder of ``config``)."""
    if transport not in TRANSPORTS:
        raise ConfigError(f"transport must be one of {', '.join(TRANSPORTS)}, got {transport!r}")
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    token = token_from_env()
    if transport == "http":
        check_http_policy(host, token)  # before the slow part: refuse early
    roots: list[str | os.PathLike] = list(allow_paths) if allow_paths else [project_folder(Path(config).resolve())]
    for root in roots:
        if not Path(root).expanduser().is_dir():
            raise ConfigError(f"--allow-path {root}: not a directory")
    alma = open_alma(config, stdout_to_stderr=True)  # nothing the loaders print may reach the stdio wire
    lock = threading.Lock()
    try:
        server = build_server(alma, roots, lock)
        if transport == "stdio":
            signal.signal(signal.SIGTERM, functools.partial(_terminate, alma, lock))
            server.run("stdio")
        else:
            import uvicorn

            app = http_app(server, host, token)
            where = f"http://{host}:{port}{MCP_PATH}"
            print(f"alma-graph MCP server on {where} ({'bearer token required' if token else 'no token: loopback only'})",
                  file=sys.stderr, flush=True)
            uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level.lower(),
                                          lifespan="on")).run()
    finally:
        alma.close()


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--config", default=os.environ.get("ALMA_GRAPH_CONFIG", ".alma/config.yaml"), type=Path,
                        help="config file (default: .alma/config.yaml, or $ALMA_GRAPH_CONFIG)")
    parser.add_argument("--transport", choices=TRANSPORTS, default="stdio", help="stdio (default) or Streamable HTTP")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"HTTP bind address (default {DEFAULT_HOST}; any other address needs ${TOKEN_ENV})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT})")
    parser.add_argument("--allow-path", action="append", default=None, metavar="DIR", dest="allow_paths",
                        help="a folder alma_ingest may read (repeatable; default: the project folder of --config)")
    parser.add_argument("--log-level", default="WARNING",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], help="log level on stderr")
    return parser


def relay_to_service(config: Path) -> bool:
    """When a knowledge service owns this store, relay stdio to it instead of opening the store
    (docs/service.md); False when there is none."""
    from alma_graph.service.client import find_service
    from alma_graph.service.discovery import TOKEN_ENV as SERVICE_TOKEN_ENV

    service = find_service(config)
    if service is None:
        return False
    from alma_graph.service.proxy import run

    logging.basicConfig(level="WARNING", stream=sys.stderr)
    print(f"alma-graph mcp: relaying to the service at {service.url}", file=sys.stderr, flush=True)
    run(service, os.environ.get(SERVICE_TOKEN_ENV) or None)
    return True


def main(argv: list[str] | None = None) -> int:
    from alma_graph.interfaces.exitcodes import exit_code_for

    parser = add_arguments(argparse.ArgumentParser(prog="python -m alma_graph.mcp", description=__doc__.splitlines()[0]))
    args = parser.parse_args(argv)
    try:
        if args.transport == "stdio" and relay_to_service(args.config):
            return 0
        serve(args.config, args.transport, args.host, args.port, args.log_level, args.allow_paths)
    except ALMAGraphError as exc:
        print(f"alma-graph mcp: {type(exc).__name__}: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        return 0
    return 0


__all__ = ["build_server", "serve", "main", "http_app", "check_http_policy", "BearerTokenMiddleware",
           "TOKEN_ENV", "DEFAULT_HOST", "DEFAULT_PORT", "MCP_PATH"]
