"""The Node parts, run from the test suite so CI runs them: the TypeScript client's own
tests (``npm test`` against a real ``alma-graph serve``), its generated types matching
the service's OpenAPI, and the viewer's shipped build matching its sources."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alma_graph.service.viewer import UI_STATIC

ROOT = Path(__file__).resolve().parent.parent
TS_CLIENT = ROOT / "clients" / "typescript"
WEB = ROOT / "clients" / "web"


def npm(folder: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    if not shutil.which("npm"):
        pytest.fail("npm is needed for the TypeScript client and the viewer (install Node.js 18+)")
    env = {**os.environ, "ALMA_GRAPH_PYTHON": sys.executable}
    return subprocess.run(["npm", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)


def installed(folder: Path) -> None:
    """``npm ci`` from the committed lockfile, once per checkout (again when the lockfile changes)."""
    lock, stamp = folder / "package-lock.json", folder / "node_modules" / ".package-lock.json"
    if stamp.is_file() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    proc = npm(folder, "ci", "--no-audit", "--no-fund")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_the_typescript_client_passes_its_tests_against_a_real_service():
    installed(TS_CLIENT)
    proc = npm(TS_CLIENT, "test")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    passed = int(re.search(r"^# pass (\d+)$", output, re.M).group(1))
    assert passed >= 8 and re.search(r"^# fail 0$", output, re.M), output[-3000:]


def test_the_client_types_cover_every_v1_route_of_the_service():
    from fastapi import FastAPI

    from alma_graph.service import routes, viewer  # the routers create_app serves under /v1

    app = FastAPI()
    app.include_router(routes.router)
    app.include_router(viewer.router)
    generated = (TS_CLIENT / "src" / "openapi.ts").read_text()
    for path in app.openapi()["paths"]:
        assert f'"{path}":' in generated, f"{path} is missing from the generated types: run `npm run generate`"


def test_the_shipped_viewer_is_built_from_its_sources(tmp_path):
    installed(WEB)
    before = {p.name: p.read_bytes() for p in UI_STATIC.iterdir()}
    proc = npm(WEB, "run", "build")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    after = {p.name: p.read_bytes() for p in UI_STATIC.iterdir()}
    assert after == before, "alma_graph/service/ui_static is stale: run `npm run build` in clients/web and commit it"
    assert json.loads((WEB / "package.json").read_text())["dependencies"]["cytoscape"]
