"""``alma-graph serve``: open the store once, warm the models, serve until stopped.

Order matters: the client policy and a running service are checked before the
slow part (a refusal is immediate); the port is bound and listening before the
models load, so a client that finds the discovery file early waits in the
socket's backlog instead of failing; the file says ``ready`` once the app has
started. SIGTERM/SIGINT: uvicorn stops accepting, lets in-flight requests finish
(up to ``GRACE_SECONDS``), stops the MCP session manager; then the store is
closed (the vector index saved) and the discovery file removed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alma_graph.config import project_folder
from alma_graph.errors import ConfigError
from alma_graph.service import discovery
from alma_graph.service.auth import Clients

if TYPE_CHECKING:
    from alma_graph.alma import ALMA

log = logging.getLogger("alma_graph.service")
DEFAULT_HOST = "127.0.0.1"
GRACE_SECONDS = 20
WARM_UP_AGENT = "alma-graph-service"


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror} (choose another --port, or 0 for any)") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::"):
        host = socket.gethostname()
    return f"http://[{host.strip('[]')}]:{port}" if ":" in host.strip("[]") else f"http://{host}:{port}"


def default_roots(config: str | os.PathLike) -> list[Path]:
    """What alma_ingest may read by default: the project folder, and this project's Claude Code
    transcripts (the Stop hook ingests them; see service/install.py)."""
    import re

    project = project_folder(Path(config).resolve())
    transcripts = Path.home() / ".claude" / "projects" / re.sub(r"[^A-Za-z0-9]", "-", str(project))
    return [project] + ([transcripts] if transcripts.is_dir() else [])


def warm_up(alma: "ALMA") -> None:
    """Load the embedding model, spaCy and the indexes now, not on the first request."""
    alma.retrieve("Warm up the models before the first request", WARM_UP_AGENT, top_k=1)


def _exit_on_sigterm(*_: Any) -> None:
    raise SystemExit(0)  # unwinds through the finally blocks: the store closes, the file goes


def serve(config: str | os.PathLike, host: str = DEFAULT_HOST, port: int = 0,
          allow_paths: list[str | os.PathLike] | None = None, log_level: str = "warning") -> None:
    """Run the knowledge service until SIGTERM / SIGINT."""
    from alma_graph.alma import ALMA
    from alma_graph.config import load_config

    logging.basicConfig(level=log_level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    settings = load_config(config)
    clients = Clients(settings.server.clients, host)  # refuses a public address without clients
    roots = [Path(p).expanduser().resolve() for p in (allow_paths or default_roots(config))]
    for root in roots:
        if not root.is_dir():
            raise ConfigError(f"--allow-path {root}: not a directory")
    running = discovery.read(settings.storage_dir)
    if running is not None:  # say so before binding a port or loading anything
        from alma_graph.errors import StorageError

        raise StorageError(f"a service already serves this store ({running.describe()}); use it, or stop it "
                           f"first (kill {running.pid})")
    sock = bind(host, port)
    port = sock.getsockname()[1]
    info = discovery.ServiceInfo(pid=os.getpid(), host=host, port=port, url=url_for(host, port), state="starting",
                                 project_id=settings.project_id, config=str(Path(config).resolve()),
                                 started_at=time.time())
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    claimed = discovery.claim(settings.storage_dir, info)
    alma = None
    try:
        with contextlib.redirect_stdout(sys.stderr):  # loaders' chatter never goes to stdout
            alma = ALMA(settings)
            warm_up(alma)
        _run(alma, clients, host, sock, roots, claimed, info, log_level)
    finally:
        try:
            if alma is not None:
                alma.close()
        finally:
            discovery.release(claimed)
            sock.close()
            signal.signal(signal.SIGTERM, previous)


def _run(alma: "ALMA", clients: Clients, host: str, sock: socket.socket, roots: list[Path], claimed: Path,
         info: discovery.ServiceInfo, log_level: str) -> None:
    import uvicorn

    from alma_graph.service.app import create_app

    app = create_app(alma, clients, host, roots, threading.Lock())
    who = "no clients configured: one local client, loopback only" if clients.implicit else \
        f"{len(clients)} client(s), bearer tokens required"
    config = uvicorn.Config(app, lifespan="on", log_level=log_level.lower(), timeout_graceful_shutdown=GRACE_SECONDS,
                            access_log=False)  # no access log: nothing about requests is written anywhere
    server = uvicorn.Server(config)

    def announce() -> None:  # once uvicorn has started, mark the file ready
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            discovery.update(claimed, dataclasses.replace(info, state="ready"))
            print(f"alma-graph service on {info.url} (REST {info.url}/v1, MCP {info.url}/mcp; {who}); "
                  f"pid {info.pid}", file=sys.stderr, flush=True)

    threading.Thread(target=announce, name="alma-graph-announce", daemon=True).start()
    server.run(sockets=[sock])
