"""First-hour items about the MCP server and webhooks (issue 11, items 11-13): the server is
started from docs/mcp.md's `.mcp.json` snippet as written, in a project whose
`.venv/bin/alma-graph` is the installed entry point; webhooks go to a real local receiver."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from test_mcp import McpSession, ok
from test_webhooks import SECRET, Receiver

from alma_graph.mcp.tool_table import documented, render
from alma_graph.interfaces.tools import TOOLS
from alma_graph.interfaces.webhooks import verify_signature

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "mcp.md"
ENTRY = Path(sys.executable).parent / "alma-graph"

pytestmark = pytest.mark.timeout(600)


def snippet() -> dict:
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", DOC.read_text(), re.S)]
    [stdio] = [b["mcpServers"]["alma-graph"] for b in blocks if b["mcpServers"]["alma-graph"]["type"] == "stdio"]
    return stdio


@pytest.fixture
def hook():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def project(tmp_path, hook, monkeypatch):
    """A project folder as a user has it: its own .venv/bin/alma-graph, a config from `init`
    plus a webhook whose secret comes from the environment."""
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "alma-graph").symlink_to(ENTRY)
    subprocess.run([str(ENTRY), "init"], cwd=tmp_path, check=True, capture_output=True)
    config = tmp_path / ".alma" / "config.yaml"
    data = yaml.safe_load(config.read_text())
    data["alma"]["webhooks"] = [{"url": hook.url, "secret": "${ALMA_WEBHOOK_SECRET}", "events": ["created"]}]
    config.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("ALMA_WEBHOOK_SECRET", SECRET)
    return tmp_path


def delivered(hook: Receiver, n: int, timeout: float = 60) -> list[dict]:
    done = threading.Event()
    for _ in range(int(timeout * 10)):
        if len(hook.requests) >= n:
            done.set()
            break
        done.wait(0.1)
    return hook.requests


def test_the_docs_tool_table_is_the_registry():
    assert documented(DOC.read_text()) == render(), "run: python -m alma_graph.mcp.tool_table docs/mcp.md"

    assert all(f"`{name}`" in render() for name in TOOLS)


def test_the_mcp_json_snippet_works_as_written_and_the_server_is_quiet_and_delivers_webhooks(project, hook):
    from mcp.client.stdio import StdioServerParameters, stdio_client

    entry = snippet()
    assert entry["command"].endswith("alma-graph")  # the entry point, not a python -m spelling
    errlog_path = project / "server.stderr"
    env = {**os.environ, **entry.get("env", {}), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    with open(errlog_path, "w") as errlog:
        params = StdioServerParameters(command=entry["command"], args=entry["args"], env=env, cwd=str(project))
        session = McpSession(lambda: stdio_client(params, errlog=errlog))
        try:
            health = ok(session.tool("alma_health"))
            assert health["status"] == "ok" and set(health["tools"]) == set(TOOLS)
            added = ok(session.tool("alma_add_knowledge", agent="dev", domain="infra",
                                    fact="The billing job reads its settings from Vault"))
            found = ok(session.tool("alma_retrieve", task="Where does billing read settings?", agent="dev"))
            assert found["domain_knowledge"][0]["id"] == added["knowledge"]["id"]
            [request] = delivered(hook, 1)
            headers = request["headers"]
            assert verify_signature(SECRET, request["body"], headers["X-Alma-Timestamp"], headers["X-Alma-Signature"])
            assert json.loads(request["body"])["memory_ids"] == [added["knowledge"]["id"]]
        finally:
            session.close()
    log = errlog_path.read_text()
    assert "DEBUG" not in log and "bm25s" not in log, log[-2000:]  # quiet at the default WARNING


def test_the_cli_delivers_the_configured_webhooks(project, hook):
    done = subprocess.run([str(project / ".venv" / "bin" / "alma-graph"), "add-knowledge",
                           "Deploys run on Fridays", "--agent", "dev", "--domain", "infra", "--json"],
                          cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    memory_id = json.loads(done.stdout)["knowledge"]["id"]
    # the command returned only after delivering what was queued
    assert [json.loads(r["body"])["memory_ids"] for r in hook.requests] == [[memory_id]]


def test_a_webhook_secret_missing_from_the_environment_is_a_config_error(project, monkeypatch):
    monkeypatch.delenv("ALMA_WEBHOOK_SECRET")
    done = subprocess.run([str(ENTRY), "stats", "--json"], cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 3
    assert "ALMA_WEBHOOK_SECRET" in json.loads(done.stdout)["error"]["message"]


def test_a_non_library_error_is_a_typed_tool_error(tmp_path, embedder):
    from mcp.server.mcpserver.exceptions import ToolError

    from alma_graph import ALMA
    from alma_graph.mcp.server import _mcp_tool
    from alma_graph.interfaces.tools import ToolSpec

    def read_notes(alma, path: str) -> dict:
        """Read a file (a tool that fails the way real code does)."""
        return {"text": Path(path).read_text()}

    with ALMA.quickstart(tmp_path / "store", embedder=embedder) as alma:
        tool = _mcp_tool(ToolSpec("read_notes", read_notes, "Read a file."), alma, threading.Lock(), [tmp_path])
        with pytest.raises(ToolError) as info:
            tool.fn(path=str(tmp_path / "missing.txt"))
    message = str(info.value)
    assert message.startswith("FileNotFoundError: ") and "missing.txt" in message and "internal error" in message
