"""The thin client: the CLI and the stdio MCP proxy talking to a running service.

Found through ``ALMA_GRAPH_URL`` (+ ``ALMA_GRAPH_TOKEN``), else the discovery file
in the config's storage dir. Only the standard library's ``http.client``: a thin
command must start in a fraction of a second, so nothing here imports torch,
spaCy, Kuzu, pydantic or httpx. Service errors come back as the library's own
exception classes, so the CLI's exit codes are the same in both modes.
"""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from alma_graph.errors import StorageError
from alma_graph.service import discovery

DEFAULT_TIMEOUT = 300.0  # an ingest or a consolidation may take minutes


class ServiceClient:
    """Calls to one service; ``call_tool`` makes it usable wherever a tool takes an ``ALMA``."""

    def __init__(self, url: str, token: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StorageError(f"{discovery.URL_ENV}={url!r} is not an http(s) URL like http://127.0.0.1:8766")
        self.url = url.rstrip("/")
        self._host: str = parts.hostname
        self._parts = parts
        self._token = token
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            kind = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
            self._connection = kind(self._host, self._parts.port, timeout=self._timeout)
        return self._connection

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """One call; the decoded JSON answer, or the service's error raised as the library's class."""
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        payload = None
        if body is not None:
            payload = json.dumps(body, default=str).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: reconnect once
            connection = self._connect()
            try:
                connection.request(method, self._parts.path.rstrip("/") + path, body=payload, headers=headers)
                response = connection.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                self.close()
                if attempt == 2 or not isinstance(exc, (http.client.RemoteDisconnected, BrokenPipeError,
                                                        ConnectionResetError)):
                    raise StorageError(f"the service at {self.url} does not answer: {exc}") from None
        try:
            decoded = json.loads(data) if data else None
        except ValueError:
            decoded = None
        if response.status >= 400:
            raise _error(response.status, decoded, self.url)
        return decoded

    def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/v1/tools/{quote(name)}", arguments)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> "ServiceClient":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def _error(status: int, body: Any, url: str) -> Exception:
    from alma_graph.service.errors import error_class

    detail = body.get("error") if isinstance(body, dict) else None
    if not isinstance(detail, dict):
        return StorageError(f"the service at {url} answered HTTP {status}")
    message = str(detail.get("message", ""))
    if status == 401:
        message += f" (set {discovery.TOKEN_ENV} to this client's token)"
    return error_class(str(detail.get("type", "")))(message)


def find_service(config: str | os.PathLike | None) -> ServiceClient | None:
    """The running service for this config, or None (then the caller works in-process)."""
    token = os.environ.get(discovery.TOKEN_ENV) or None
    url = os.environ.get(discovery.URL_ENV)
    if url:
        return ServiceClient(url, token)
    if config is None:
        return None
    storage_dir = discovery.storage_dir_of(config)
    if storage_dir is None:
        return None
    info = discovery.read(storage_dir)
    if info is None:
        return None
    info = discovery.wait_until_ready(Path(storage_dir), info)
    return ServiceClient(info.url, token) if info is not None else None
