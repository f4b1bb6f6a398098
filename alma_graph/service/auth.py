"""Clients as identities: who is calling, and which agents and users it may act as.

Each client in ``alma.server.clients`` has a bearer token, the agents and users it
may name (``["*"]``: any) and whether it may write. The service authenticates
every request (``Authorization: Bearer TOKEN``, compared in constant time) and
checks each operation's ``agent`` / ``user_id`` against the client, the same way
for REST and for MCP tool calls. Without configured clients a loopback service
has one implicit client, ``local``, with every right; it refuses requests whose
``Host`` or ``Origin`` is not loopback (a web page cannot reach it by DNS
rebinding or a cross-site form). See docs/security.md.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from alma_graph.errors import AccessDeniedError, AuthenticationError, ConfigError

ALL = "*"
LOCAL_CLIENT = "local"
# Paths anyone may read: liveness and the API's description (no memory data).
PUBLIC_PATHS = frozenset({"/v1/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
# The web viewer's static files: no data (every call the page makes carries a token).
PUBLIC_PREFIXES = ("/ui/",)
# Tools that act on no agent's memories and may be called by any client.
ANY_CLIENT_TOOLS = frozenset({"alma_health"})


@dataclass(frozen=True)
class Client:
    name: str
    agents: frozenset[str]
    users: frozenset[str]
    read_only: bool = False

    @property
    def all_agents(self) -> bool:
        return ALL in self.agents

    def check_agent(self, agent: str | None) -> None:
        """``agent`` may be named by this client (None: an operation across agents)."""
        if self.all_agents:
            return
        if agent is None:
            raise AccessDeniedError(f"client {self.name!r} may act only as {self._list(self.agents)}: name one "
                                    f"of them (an operation across every agent needs a client with agents: ['*'])")
        if agent not in self.agents:
            raise AccessDeniedError(f"client {self.name!r} may not act as agent {agent!r}; "
                                    f"its agents are {self._list(self.agents)}")

    def check_user(self, user_id: str | None) -> None:
        if user_id is None or ALL in self.users or user_id in self.users:
            return
        raise AccessDeniedError(f"client {self.name!r} may not name user {user_id!r}; "
                                f"its users are {self._list(self.users)}")

    def check_write(self, what: str) -> None:
        if self.read_only:
            raise AccessDeniedError(f"client {self.name!r} is read-only and may not {what}")

    def authorize(self, *, agent: str | None = None, user_id: str | None = None, write: bool = False,
                  needs_agent: bool = True, what: str = "write") -> None:
        """Every check of one operation. ``needs_agent``: the operation reads or writes an
        agent's memories, so a missing agent means every agent's."""
        if write:
            self.check_write(what)
        if needs_agent or agent is not None:
            self.check_agent(agent)
        self.check_user(user_id)

    @staticmethod
    def _list(names: Iterable[str]) -> str:
        return "[" + ", ".join(sorted(names)) + "]" if names else "none"


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


class Clients:
    """The configured clients, looked up by token."""

    def __init__(self, clients: Mapping[str, Any], host: str):
        self.implicit = not clients
        if self.implicit and not is_loopback(host):
            raise ConfigError(f"refusing to serve on {host}, a non-loopback address, without clients: add "
                              f"alma.server.clients (each with a token) to the config, or bind to 127.0.0.1")
        self._by_token: list[tuple[bytes, Client]] = []
        for name, entry in clients.items():
            if entry.token is None:
                raise ConfigError(f"alma.server.clients.{name}.token: its environment variable is not set; "
                                  f"export it before starting the service")
            client = Client(name, frozenset(entry.agents), frozenset(entry.users), entry.read_only)
            self._by_token.append((entry.token.get_secret_value().encode(), client))
        self.local = Client(LOCAL_CLIENT, frozenset({ALL}), frozenset({ALL})) if self.implicit else None

    def __len__(self) -> int:
        return len(self._by_token)

    def authenticate(self, authorization: bytes | None) -> Client:
        if self.local is not None:
            return self.local
        if not authorization:
            raise AuthenticationError("send 'Authorization: Bearer <token>' (the token of a client in "
                                      "alma.server.clients)")
        scheme, _, credentials = authorization.partition(b" ")
        credentials = credentials.strip()
        found = None
        for token, client in self._by_token:  # compare with every token: the time says nothing
            if hmac.compare_digest(credentials, token) and scheme.lower() == b"bearer":
                found = client
        if found is None:
            raise AuthenticationError("unknown token: send the token of a client in alma.server.clients")
        return found


def check_tool_call(client: Client, tool_name: str, parameters: Iterable[str], arguments: Mapping[str, Any],
                    read_only: bool) -> None:
    """The client rules for one registry tool call (MCP or ``/v1/tools``)."""
    names = set(parameters)
    agent, user_id = arguments.get("agent"), arguments.get("user_id")
    if not read_only:
        client.check_write(f"call {tool_name}")
    if tool_name in ANY_CLIENT_TOOLS:
        return
    # A tool without an agent (or called without one) works across agents, unless it is
    # about one named user (a preference written for a user).
    client.authorize(agent=agent if "agent" in names else None, user_id=user_id,
                     needs_agent=not ("user_id" in names and user_id is not None))


# -- ASGI ---------------------------------------------------------------------------------------------

def _header(scope: Mapping[str, Any], name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


def _loopback_url_host(value: bytes | None) -> bool:
    if value is None:
        return True
    text = value.decode("latin-1")
    host = urlsplit(text if "://" in text else "//" + text).hostname
    return host is not None and is_loopback(host)


async def send_json(send: Callable, status: int, body: dict[str, Any], headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers]})
    await send({"type": "http.response.body", "body": payload})


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}


class AuthMiddleware:
    """Authenticate every HTTP request except the public paths; the client goes into
    ``scope["state"]["alma_client"]`` for routes and MCP tools to check."""

    def __init__(self, app: Callable, clients: Clients):
        self.app = app
        self.clients = clients

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.clients.implicit and not (_loopback_url_host(_header(scope, b"host"))
                                          and _loopback_url_host(_header(scope, b"origin"))):
            await send_json(send, 403, error_body("AccessDeniedError", "without configured clients the service "
                                                  "answers only requests addressed to a loopback host"))
            return
        if scope["path"] in PUBLIC_PATHS or scope["path"] == "/ui" or scope["path"].startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        try:
            client = self.clients.authenticate(_header(scope, b"authorization"))
        except AuthenticationError as exc:
            await send_json(send, 401, error_body(type(exc).__name__, str(exc)),
                            [(b"www-authenticate", b'Bearer realm="alma-graph"')])
            return
        scope.setdefault("state", {})["alma_client"] = client
        await self.app(scope, receive, send)
