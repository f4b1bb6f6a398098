"""Real-browser test support: Debian's chromium driven by Playwright, a static file server,
and Neo4j Browser's files from Maven Central.

Test modules import the fixtures they use (``from browser_support import chromium``).
Screenshots go to ``docs/images/`` (what the README shows) and to the test's artifact
folder (``ALMA_GRAPH_ARTIFACTS``, default ``test-artifacts/`` in the checkout).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("ALMA_GRAPH_CHROMIUM", "/usr/bin/chromium"))
IMAGES = ROOT / "docs" / "images"
ARTIFACTS = Path(os.environ.get("ALMA_GRAPH_ARTIFACTS", ROOT / "test-artifacts"))

# Neo4j Browser's static files: a jar on Maven Central with a browser/ folder.
NEO4J_BROWSER_ARTIFACT = "org.neo4j.client:neo4j-browser:5.24.0"
NEO4J_BROWSER_CACHE = ROOT / "docker" / "neo4j-local" / "target" / "neo4j-browser"


def save_screenshot(page, name: str, docs_name: str | None = None) -> Path:
    """A PNG in the artifacts folder, and under docs/images/ as ``docs_name`` if given."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    artifact = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(artifact))
    if docs_name:
        IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(artifact, IMAGES / f"{docs_name}.png")
    return artifact


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium (installed by scripts/install_chromium.sh), headless, via Playwright.
    Per module: each test module imports this fixture, and two sync Playwright sessions
    cannot run at once in one thread."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_chromium.sh (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


class StaticServer:
    """Serves one folder on a free localhost port, in a thread."""

    def __init__(self, directory: Path):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, host: str = "localhost") -> str:
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def neo4j_browser_jar() -> Path:
    """The Neo4j Browser jar, fetched once with Maven into docker/neo4j-local/target/."""
    version = NEO4J_BROWSER_ARTIFACT.rsplit(":", 1)[1]
    jar = NEO4J_BROWSER_CACHE / f"neo4j-browser-{version}.jar"
    if jar.is_file():
        return jar
    mvn = shutil.which("mvn")
    if not mvn:
        pytest.fail("`mvn` is needed to fetch Neo4j Browser from Maven Central (apt-get install maven)")
    NEO4J_BROWSER_CACHE.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [mvn, "-q", "-B", "dependency:copy", f"-Dartifact={NEO4J_BROWSER_ARTIFACT}",
         f"-DoutputDirectory={NEO4J_BROWSER_CACHE}"],
        cwd=NEO4J_BROWSER_CACHE, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0 or not jar.is_file():
        pytest.fail(f"could not fetch {NEO4J_BROWSER_ARTIFACT} with Maven:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return jar


def unpack_neo4j_browser(target: Path) -> Path:
    """Neo4j Browser's static files (the jar's browser/ folder) unpacked under ``target``."""
    with zipfile.ZipFile(neo4j_browser_jar()) as jar:
        members = [name for name in jar.namelist() if name.startswith("browser/")]
        jar.extractall(target, members)
    return target / "browser"


class RunningService:
    """``alma-graph serve`` as a subprocess on a free localhost port (stopped with SIGTERM)."""

    def __init__(self, config: Path, env: dict[str, str], timeout: float = 240):
        import socket
        import sys
        import time
        import urllib.request

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = config.parent / "service.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "alma_graph.cli", "serve", "--config", str(config), "--port", str(self.port)],
                env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"alma-graph serve exited with {self.process.returncode}:\n{self.log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/v1/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"alma-graph serve was not ready in {timeout:.0f}s:\n{self.log.read_text()[-4000:]}")
                time.sleep(0.25)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
