"""A real, Docker-free Neo4j Community server for tests and local use.

Neo4j has no Debian package, but its Community jars are on Maven Central.
``docker/neo4j-local`` holds a tiny Java program that runs an embedded Neo4j
Community 5.26 DBMS with its Bolt connector on, which the ``neo4j`` Python
driver talks to like any other server.  This module builds that program with
Maven (once) and runs it as a subprocess.

Requirements: ``java`` (17+) and ``mvn`` on PATH, and Maven Central reachable
for the first build.  Standard library only; it imports nothing else from
``alma_graph``, so it can also be run as a plain script.

Python use::

    from alma_graph.neo4j_local import start_local_neo4j
    with start_local_neo4j(tmp_path / "neo4j") as server:
        driver = neo4j.GraphDatabase.driver(server.uri, auth=server.auth)

Command line (runs until Ctrl-C)::

    python -m alma_graph.neo4j_local [--data-dir D] [--port P]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Deque, List, Optional, Union

__all__ = [
    "LocalNeo4j",
    "LocalNeo4jError",
    "build_server",
    "server_dir",
    "start_local_neo4j",
]

#: Overrides where the Maven project lives (default: <repo>/docker/neo4j-local).
SERVER_DIR_ENV = "ALMA_GRAPH_NEO4J_SERVER_DIR"
JAR_NAME = "local-neo4j.jar"
READY_PREFIX = "READY "
USER = "neo4j"
MIN_PASSWORD_LENGTH = 8
DEFAULT_JAVA_OPTS = ("-Xmx512m",)
BUILD_TIMEOUT = 1800  # seconds; a cold build downloads ~170 MB from Maven Central
OUTPUT_TAIL_LINES = 60

PathLike = Union[str, "os.PathLike[str]"]


class LocalNeo4jError(RuntimeError):
    """Building or starting the local Neo4j server failed."""


# --------------------------------------------------------------------------- build


def server_dir() -> Path:
    """The Maven project of the local server (``docker/neo4j-local``)."""
    override = os.environ.get(SERVER_DIR_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parent.parent / "docker" / "neo4j-local"


def _jar_path(project: Path) -> Path:
    return project / "target" / JAR_NAME


def _newest_source_mtime(project: Path) -> float:
    newest = (project / "pom.xml").stat().st_mtime
    src = project / "src"
    if src.is_dir():
        for path in src.rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def _is_up_to_date(project: Path) -> bool:
    jar = _jar_path(project)
    lib = jar.parent / "lib"
    if not jar.is_file() or not lib.is_dir() or not any(lib.glob("*.jar")):
        return False
    return jar.stat().st_mtime > _newest_source_mtime(project)


def _require_tool(name: str, purpose: str) -> str:
    found = shutil.which(name)
    if not found:
        raise LocalNeo4jError(
            f"`{name}` was not found on PATH; it is needed to {purpose} the local "
            f"Neo4j server (install a JDK 17+ and Maven, e.g. "
            f"`apt-get install openjdk-17-jdk-headless maven`)."
        )
    return found


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _tail(text: str, lines: int = OUTPUT_TAIL_LINES) -> str:
    text = _ANSI_ESCAPE.sub("", text)
    return "\n".join(text.rstrip().splitlines()[-lines:])


class _FileLock:
    """Exclusive advisory lock (so parallel test workers build only once)."""

    def __init__(self, path: Path):
        self._path = path
        self._fh: Any = None

    def __enter__(self) -> "_FileLock":
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self._path, "a+")
        try:
            import fcntl

            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no locking, builds are idempotent anyway
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()  # closing releases the flock
            self._fh = None


def build_server(force: bool = False) -> Path:
    """Build the server jar with Maven if needed and return its path.

    The build is skipped when ``target/local-neo4j.jar`` (and ``target/lib``)
    exist and the jar is newer than ``pom.xml`` and every file under ``src/``,
    unless ``force`` is true.  Raises :class:`LocalNeo4jError` if java or mvn
    is missing or the build fails (with the tail of Maven's output).
    """
    project = server_dir()
    if not (project / "pom.xml").is_file():
        raise LocalNeo4jError(
            f"No Maven project for the local Neo4j server at {project} "
            f"(set {SERVER_DIR_ENV} to the docker/neo4j-local directory of an "
            f"alma_graph checkout)."
        )
    jar = _jar_path(project)
    if not force and _is_up_to_date(project):
        return jar
    _require_tool("java", "build")
    mvn = _require_tool("mvn", "build")
    with _FileLock(project / "target" / ".build.lock"):
        if not force and _is_up_to_date(project):  # another process built it meanwhile
            return jar
        cmd = [mvn, "-q", "-B", "-Dstyle.color=never", "package"]
        try:
            proc = subprocess.run(
                cmd,
                cwd=project,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                timeout=BUILD_TIMEOUT,
            )
        except subprocess.TimeoutExpired as exc:
            out = exc.output or ""
            if isinstance(out, bytes):
                out = out.decode("utf-8", "replace")
            raise LocalNeo4jError(
                f"Maven build of the local Neo4j server timed out after "
                f"{BUILD_TIMEOUT}s in {project}.\n--- Maven output (tail) ---\n{_tail(out)}"
            ) from None
        if proc.returncode != 0 or not jar.is_file():
            raise LocalNeo4jError(
                f"Maven build of the local Neo4j server failed (exit code "
                f"{proc.returncode}): `{' '.join(cmd)}` in {project}.\n"
                f"--- Maven output (tail) ---\n{_tail(proc.stdout)}"
            )
        os.utime(jar)  # the jar plugin may keep an old mtime when nothing changed
    return jar


# --------------------------------------------------------------------------- run


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _generate_password() -> str:
    return secrets.token_urlsafe(12)  # 16 URL-safe characters


class LocalNeo4j:
    """A running local Neo4j server (returned by :func:`start_local_neo4j`).

    Attributes: ``uri`` (``bolt://127.0.0.1:PORT``), ``user`` (``"neo4j"``),
    ``password``, ``auth`` (the ``(user, password)`` tuple for the driver),
    ``port``, ``data_dir``, ``process`` and ``startup_seconds`` (from process
    start to the server's READY line).  Use as a context manager, or call
    :meth:`stop`.
    """

    def __init__(
        self,
        process: "subprocess.Popen[bytes]",
        port: int,
        password: str,
        data_dir: Path,
        output: Deque[str],
    ):
        self.process = process
        self.port = port
        self.uri = f"bolt://127.0.0.1:{port}"
        self.user = USER
        self.password = password
        self.data_dir = data_dir
        self.startup_seconds: Optional[float] = None
        self._output = output
        self._stop_lock = threading.Lock()

    @property
    def auth(self) -> tuple:
        return (self.user, self.password)

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_running(self) -> bool:
        return self.process.poll() is None

    def output_tail(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        """The last lines the server printed (stdout and stderr)."""
        return "\n".join(list(self._output)[-lines:])

    def stop(self, timeout: float = 60.0) -> Optional[int]:
        """Shut the server down cleanly and wait for it; returns its exit code.

        Closing the server's stdin asks it to shut down; if it has not exited
        within ``timeout`` seconds it gets SIGTERM, then SIGKILL.  Safe to call
        more than once.
        """
        with self._stop_lock:
            proc = self.process
            if proc.poll() is None:
                try:
                    if proc.stdin is not None and not proc.stdin.closed:
                        proc.stdin.close()
                except OSError:
                    pass
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    proc.terminate()
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
            elif proc.stdin is not None and not proc.stdin.closed:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
            return proc.returncode

    close = stop

    def __enter__(self) -> "LocalNeo4j":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_running() else f"exited({self.process.returncode})"
        return f"<LocalNeo4j {self.uri} pid={self.process.pid} {state}>"


def _pump_output(stream, output: Deque[str], ready: threading.Event, ready_at: List[float]) -> None:
    """Drain the server's output forever (so its pipe never fills up)."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        output.append(line)
        if not ready.is_set() and line.startswith(READY_PREFIX):
            ready_at.append(time.monotonic())
            ready.set()
    stream.close()


def _debug_log_tail(data_dir: Path, lines: int = 25) -> str:
    log = data_dir / "logs" / "debug.log"
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return f"\n--- {log} (tail) ---\n{_tail(text, lines)}"


def _launch(
    jar: Path,
    data_dir: Path,
    port: int,
    password: str,
    timeout: float,
    java_opts: tuple,
) -> LocalNeo4j:
    java = _require_tool("java", "run")
    env = dict(os.environ)
    env["NEO4J_PASSWORD"] = password
    cmd = [java, *java_opts, "-jar", str(jar), str(data_dir), str(port)]
    output: Deque[str] = collections.deque(maxlen=500)
    ready = threading.Event()
    ready_at: List[float] = []
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,  # the server shuts down when this is closed
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(data_dir),
    )
    server = LocalNeo4j(proc, port, password, data_dir, output)
    threading.Thread(
        target=_pump_output,
        args=(proc.stdout, output, ready, ready_at),
        name=f"local-neo4j-output-{port}",
        daemon=True,
    ).start()

    deadline = started + timeout
    while not ready.wait(0.1):
        if proc.poll() is not None:
            ready.wait(1.0)  # let the pump read what was printed before exit
            if ready.is_set():
                break
            raise LocalNeo4jError(
                f"Local Neo4j server exited with code {proc.returncode} before it "
                f"was ready (port {port}, data dir {data_dir}).\n"
                f"--- server output (tail) ---\n{server.output_tail()}"
                f"{_debug_log_tail(data_dir)}"
            )
        if time.monotonic() > deadline:
            server.stop(timeout=15)
            raise LocalNeo4jError(
                f"Local Neo4j server was not ready within {timeout:.0f}s "
                f"(port {port}, data dir {data_dir}).\n"
                f"--- server output (tail) ---\n{server.output_tail()}"
                f"{_debug_log_tail(data_dir)}"
            )
    if proc.poll() is not None:
        raise LocalNeo4jError(
            f"Local Neo4j server exited with code {proc.returncode} right after "
            f"start.\n--- server output (tail) ---\n{server.output_tail()}"
        )
    server.startup_seconds = ready_at[0] - started
    return server


def start_local_neo4j(
    data_dir: PathLike,
    port: Optional[int] = None,
    password: Optional[str] = None,
    timeout: float = 120,
    java_opts: tuple = DEFAULT_JAVA_OPTS,
) -> LocalNeo4j:
    """Build (if needed) and start a local Neo4j server; wait until it is ready.

    ``data_dir`` holds the databases and logs (created if missing; reusing it
    keeps the data).  ``port`` defaults to a free localhost port.  ``password``
    defaults to ``$NEO4J_PASSWORD`` or a generated one (at least 8 characters;
    it is (re)applied to the ``neo4j`` user at every start).  Raises
    :class:`LocalNeo4jError` with the server's output tail if it exits early or
    is not ready within ``timeout`` seconds.
    """
    if password is None:
        password = os.environ.get("NEO4J_PASSWORD") or _generate_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise LocalNeo4jError(
            f"Neo4j password must be at least {MIN_PASSWORD_LENGTH} characters long."
        )
    data = Path(data_dir).expanduser().resolve()
    data.mkdir(parents=True, exist_ok=True)
    jar = build_server()

    pick_port = not port
    attempts = 3 if pick_port else 1
    for attempt in range(1, attempts + 1):
        chosen = _free_port() if pick_port else int(port)  # type: ignore[arg-type]
        try:
            return _launch(jar, data, chosen, password, timeout, tuple(java_opts))
        except LocalNeo4jError as exc:
            # A port picked by us may have been taken meanwhile: try another one.
            if attempt < attempts and "already in use" in str(exc).lower():
                continue
            raise
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- CLI


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "alma_graph" / "neo4j-local"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alma_graph.neo4j_local",
        description="Run a local Neo4j Community server (no Docker) until Ctrl-C.",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"where the databases and logs live (default: {_default_data_dir()})",
    )
    parser.add_argument(
        "--port", type=int, default=7687, help="Bolt port on 127.0.0.1 (default 7687; 0 = any free port)"
    )
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for startup (default 120)")
    parser.add_argument("--build-only", action="store_true", help="build the server jar and exit")
    parser.add_argument("--force-build", action="store_true", help="rebuild the server jar even if up to date")
    args = parser.parse_args(argv)

    try:
        if args.force_build or args.build_only:
            print("Building the local Neo4j server (Maven)...", file=sys.stderr, flush=True)
            jar = build_server(force=args.force_build)
            if args.build_only:
                print(jar)
                return 0
        elif not _is_up_to_date(server_dir()):
            print("Building the local Neo4j server (Maven, first run may take a minute)...", file=sys.stderr, flush=True)
            build_server()

        password = os.environ.get("NEO4J_PASSWORD")
        generated = not password
        if generated:
            password = _generate_password()
        data_dir = args.data_dir or _default_data_dir()
        print(f"Starting Neo4j (data dir {data_dir})...", file=sys.stderr, flush=True)
        server = start_local_neo4j(data_dir, port=args.port or None, password=password, timeout=args.timeout)
    except LocalNeo4jError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    # SIGTERM -> same clean path as Ctrl-C.
    def _on_sigterm(signum, frame):  # pragma: no cover - signal handler
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_sigterm)
    print(f"Neo4j is ready in {server.startup_seconds:.1f}s (pid {server.pid}).")
    print(f"export NEO4J_URI={server.uri}")
    print(f"export NEO4J_USER={server.user}")
    print(f"export NEO4J_PASSWORD={server.password}" + ("   # generated" if generated else ""))
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while server.is_running():
            time.sleep(0.5)
        print(f"Neo4j exited unexpectedly (code {server.process.returncode}).", file=sys.stderr)
        print(server.output_tail(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping Neo4j...", file=sys.stderr, flush=True)
        code = server.stop()
        print(f"Neo4j stopped (exit code {code}).", file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(main())
