"""The MCP server as a client sees it: ``python -m alma_graph.mcp`` in a subprocess, driven by
the official SDK's own client over stdio and over Streamable HTTP.

One stdio server process serves every stdio test (it loads the embedding model once).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from alma_graph.interfaces.tools import TOOLS

pytestmark = pytest.mark.timeout(300)

EXPECTED_TOOLS = {
    "alma_retrieve", "alma_learn", "alma_add_preference", "alma_add_knowledge", "alma_add_anti_pattern",
    "alma_record_usage", "alma_record_feedback", "alma_forget", "alma_stats", "alma_health",
    "alma_restore", "alma_entity_context", "alma_related", "alma_path", "alma_ingest",
    "alma_checkpoint", "alma_resume", "alma_merge_states", "alma_link_artifact", "alma_get_artifacts",
    "alma_cleanup_checkpoints", "alma_retrieve_scoped", "alma_consolidate",
    "alma_get", "alma_list", "alma_update", "alma_history", "alma_delete", "alma_erase_user", "alma_graph",
}
TOKEN = "test-token-7f3a9c1e5b2d4068"


def write_config(folder: Path, project_id: str) -> Path:
    config = folder / ".alma" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(yaml.safe_dump({"alma": {
        "project_id": project_id, "storage": "kuzu", "storage_dir": ".alma",
        "neo4j": {"password": "not-for-clients"},
        "agents": {"senior": {"can_learn": ["form_testing", "testing_strategy"], "share_with": ["junior"]},
                   "junior": {"can_learn": ["form_testing"], "cannot_learn": ["production_access"]}},
    }}))
    return config


def server_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra}
    env.pop("ALMA_GRAPH_MCP_TOKEN", None)
    env.update(extra)
    return env


class McpSession:
    """An SDK ``Client`` held open on a background event loop, so that several tests can
    share one server process. ``call(coro_fn)`` runs ``coro_fn(client)`` on that loop."""

    def __init__(self, transport_factory, timeout: float = 180):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._main = asyncio.run_coroutine_threadsafe(self._hold(transport_factory), self.loop)
        if not self._ready.wait(timeout) or self._error is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            raise self._error or TimeoutError("the MCP client did not connect")

    async def _hold(self, transport_factory) -> None:
        from mcp import Client

        self._closing = asyncio.Event()
        try:
            async with AsyncExitStack() as stack:
                self.client = await stack.enter_async_context(Client(transport_factory()))
                self._ready.set()
                await self._closing.wait()
        except BaseException as exc:  # surfaced to the constructor
            self._error = exc
            self._ready.set()
            raise

    def call(self, fn, timeout: float = 180) -> Any:
        return asyncio.run_coroutine_threadsafe(fn(self.client), self.loop).result(timeout)

    def tool(self, tool_name: str, /, **arguments: Any):
        return self.call(lambda c: c.call_tool(tool_name, arguments))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._closing.set)
        try:
            self._main.result(60)
        except BaseException:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="module")
def stdio(tmp_path_factory):
    from mcp.client.stdio import StdioServerParameters, stdio_client

    folder = tmp_path_factory.mktemp("mcp-stdio")
    config = write_config(folder, "mcp")
    errlog = open(folder / "server.stderr", "w")
    params = StdioServerParameters(command=sys.executable, args=["-m", "alma_graph.mcp", "--config", str(config)],
                                   env=server_env(), cwd=str(folder))
    session = McpSession(lambda: stdio_client(params, errlog=errlog))
    session.folder = folder
    yield session
    session.close()
    errlog.close()


def ok(result) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    assert json.loads(result.content[0].text) == data  # the text block says the same, as JSON
    return data


def error_text(result) -> str:
    assert result.is_error, result.structured_content
    return result.content[0].text


def test_lists_every_tool_with_a_json_schema(stdio):
    tools = {t.name: t for t in stdio.call(lambda c: c.list_tools()).tools}
    assert set(tools) == EXPECTED_TOOLS == set(TOOLS)
    for tool in tools.values():
        schema = tool.input_schema
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert tool.description and len(tool.description) > 20
    assert set(tools["alma_learn"].input_schema["required"]) == {"agent", "task", "outcome", "strategy_used"}
    assert tools["alma_retrieve"].annotations.read_only_hint is True
    assert tools["alma_forget"].annotations.destructive_hint is True


def test_every_tool_over_stdio(stdio):
    tool = stdio.tool
    for task in ("Test the login form with an invalid email", "Test the signup form with a malformed email",
                 "Test the password reset form with an empty email"):
        learned = ok(tool("alma_learn", agent="senior", task=task, outcome=True, task_type="form_testing",
                          strategy_used="Boundary-value tests on every input field, then the happy path"))
        assert learned["outcome"]["success"] is True and learned["outcome"]["created_at"].endswith("+00:00")
    ok(tool("alma_learn", agent="senior", task="Test the checkout form", outcome="failure", task_type="form_testing",
            strategy_used="Fixed sleep() waits", error_message="flaky", duration_ms=1200, metadata={"ci": "run-7"}))
    preference = ok(tool("alma_add_preference", user_id="dana", category="reports", preference="Failing cases first"))
    assert preference["preference"]["user_id"] == "dana"
    knowledge = ok(tool("alma_add_knowledge", agent="senior", domain="testing_strategy",
                        fact="Dana Smith works at Acme Corp in Berlin."))
    assert knowledge["knowledge"]["domain"] == "testing_strategy"
    anti = ok(tool("alma_add_anti_pattern", agent="senior", pattern="Testing only the happy path",
                   why_bad="Misses validation bugs", better_alternative="Boundary values first", task_type="form_testing"))
    assert anti["anti_pattern"]["better_alternative"] == "Boundary values first"

    # junior sees senior's memories (shared), with where they came from, and dana's preference
    retrieved = ok(tool("alma_retrieve", task="Test the contact form with a bad email", agent="junior",
                        user_id="dana", top_k=3))
    assert retrieved["heuristics"] and retrieved["heuristics"][0]["shared_from"] == "senior"
    assert retrieved["preferences"][0]["preference"] == "Failing cases first"
    assert "Strategies that worked" in retrieved["prompt"] and "Failing cases first" in retrieved["prompt"]
    heuristic_id = retrieved["heuristics"][0]["id"]
    ids = [m["id"] for kind in ("heuristics", "anti_patterns", "outcomes") for m in retrieved[kind]]

    assert ok(tool("alma_record_usage", retrieved_memory_ids=ids, used_memory_ids=[heuristic_id], agent="junior")) == \
        {"used": 1, "unused": len(ids) - 1}
    feedback = ok(tool("alma_record_feedback", memory_id=heuristic_id, signal="positive", agent="junior"))
    assert feedback["memory"]["id"] == heuristic_id

    stats = ok(tool("alma_stats"))
    assert stats["by_kind"]["outcome"] == 4 and stats["by_kind"]["heuristic"] == 1
    assert ok(tool("alma_stats", agent="senior"))["agent"] == "senior"
    health = ok(tool("alma_health"))
    assert health["status"] == "ok" and health["storage"] == "kuzu" and set(health["tools"]) == EXPECTED_TOOLS

    related = ok(tool("alma_related", entity="Acme Corp", agent="senior"))
    assert related["facts"] and all(f["memory_id"] == knowledge["knowledge"]["id"] for f in related["facts"])
    context = ok(tool("alma_entity_context", name="Acme Corp", agent="junior", hops=1))
    assert context["memories"] and context["prompt"].startswith("## Acme Corp")
    path = ok(tool("alma_path", a="Dana Smith", b="Acme Corp", agent="senior"))
    assert path["found"] is True and path["facts"]

    forgotten = ok(tool("alma_forget", memory_ids=[anti["anti_pattern"]["id"]]))
    assert forgotten == {"archived": 1}
    assert ok(tool("alma_restore", memory_ids=[anti["anti_pattern"]["id"]])) == {"restored": 1}


def test_single_memory_tools_over_stdio(stdio):
    tool = stdio.tool
    fact = ok(tool("alma_add_knowledge", agent="senior", domain="testing_strategy",
                   fact="Carla Reyes works at Wayne Enterprises."))["knowledge"]
    assert ok(tool("alma_get", memory_id=fact["id"][:8], agent="junior"))["memory"]["shared_from"] == "senior"
    assert "visible" in error_text(tool("alma_get", memory_id=fact["id"], agent="stranger"))
    updated = ok(tool("alma_update", memory_id=fact["id"], agent="senior", text="Carla Reyes works at Stark Industries."))
    assert updated["supersedes"] == fact["id"]
    assert "may read" in error_text(tool("alma_update", memory_id=updated["memory"]["id"], agent="junior", text="x"))
    versions = ok(tool("alma_history", memory_id=fact["id"], agent="senior"))["versions"]
    assert [v["id"] for v in versions] == [updated["memory"]["id"], fact["id"]]
    listed = ok(tool("alma_list", agent="junior", kind="domain_knowledge", limit=1000))
    assert updated["memory"]["id"] in {m["id"] for m in listed["memories"]}
    view = ok(tool("alma_graph", agent="senior", center="Carla Reyes"))
    assert {"Carla Reyes", "Stark Industries"} <= {n["label"] for n in view["nodes"]}
    erased = ok(tool("alma_delete", memory_id=updated["memory"]["id"], agent="senior", hard=True))
    assert erased["memories"] == 2
    assert ok(tool("alma_erase_user", user_id="nobody"))["memories"] == 0


def test_ingest_reads_only_inside_the_allowed_folders(stdio, tmp_path):
    docs = stdio.folder / "docs"
    docs.mkdir()
    (docs / "deploy.md").write_text("# Deploy\n\nThe billing job runs on Kubernetes and reads its settings from Vault.\n")
    report = ok(stdio.tool("alma_ingest", path=str(docs), agent="senior", domain="testing_strategy"))
    assert report["ok"] is True and report["added"]["domain_knowledge"] == 1 and report["files_ingested"] == 1
    again = ok(stdio.tool("alma_ingest", path=str(docs), agent="senior", domain="testing_strategy"))
    assert sum(again["added"].values()) == 0 and again["duplicates"] == {"domain_knowledge": 1}

    outside = tmp_path / "secrets"
    outside.mkdir()
    (outside / "notes.md").write_text("# Keys\n\nNot for the memory store.\n")
    for path in (str(outside), str(docs / ".." / ".." / outside.name), "/etc"):
        assert "PathNotAllowed" in error_text(stdio.tool("alma_ingest", path=path, agent="senior"))
    scope = error_text(stdio.tool("alma_ingest", path=str(docs), agent="junior", domain="production_access"))
    assert "ScopeViolationError" in scope


def test_a_link_inside_an_allowed_folder_cannot_read_outside_it(stdio, tmp_path):
    """Issue #12 item 2: every file's real path is checked, not only the path given."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret\n\nThe vault root token is hunter2-zebra-cobalt.\n")
    (outside / "secret.txt").write_text("alice: the vault root token is hunter2-zebra-cobalt\n")
    linked = stdio.folder / "linked"
    linked.mkdir()
    (linked / "readme.md").write_text("# Readme\n\nThe staging cluster restarts nightly.\n")
    (linked / "link.md").symlink_to(outside / "secret.md")
    (linked / "chat.txt").symlink_to(outside / "secret.txt")
    report = ok(stdio.tool("alma_ingest", path=str(linked), agent="senior", domain="testing_strategy"))
    skipped = {Path(p).name: reason for p, reason in report["skipped"].items()}
    assert "outside the folders" in skipped["link.md"] and report["files_ingested"] == 1
    chats = ok(stdio.tool("alma_ingest", path=str(linked), agent="senior", source="conversations",
                          domain="testing_strategy"))
    assert "outside the folders" in {Path(p).name: r for p, r in chats["skipped"].items()}["chat.txt"]
    found = ok(stdio.tool("alma_retrieve", task="vault root token", agent="senior", top_k=20))
    assert "hunter2" not in json.dumps(found)


def test_bad_arguments_are_tool_errors_and_the_server_stays_up(stdio):
    tool = stdio.tool
    assert "task" in error_text(tool("alma_retrieve", agent="junior"))  # missing a required argument
    assert "top_k" in error_text(tool("alma_retrieve", task="x", agent="junior", top_k="many"))  # wrong type
    assert "top_k" in error_text(tool("alma_retrieve", task="x", agent="junior", top_k=0))  # out of range
    assert "tsk_type" in error_text(tool("alma_learn", agent="junior", task="x", outcome=True, strategy_used="y",
                                         tsk_type="form_testing"))  # a misspelt argument is not ignored
    assert "kind" in error_text(tool("alma_forget", agent="junior", kind="everything"))
    # library errors keep their type and message
    scope = error_text(tool("alma_learn", agent="junior", task="Reset a production password", outcome=True,
                            strategy_used="SSH into prod", task_type="production_access"))
    assert "ScopeViolationError" in scope and "production_access" in scope
    assert "ValidationError" in error_text(tool("alma_retrieve", task="   ", agent="junior"))
    assert "ValidationError" in error_text(tool("alma_learn", agent="bad name!", task="x", outcome=True, strategy_used="y"))
    assert "ValidationError" in error_text(tool("alma_forget"))  # no criterion: refuses to archive everything
    assert "UnknownAgentError" in error_text(tool("alma_stats", agent="ghost"))
    assert "MemoryNotFoundError" in error_text(tool("alma_record_feedback", memory_id="nope", signal=1, agent="junior"))
    assert "EntityNotFoundError" in error_text(tool("alma_related", entity="Nobody Atall", agent="junior"))
    assert "ValidationError" in error_text(tool("alma_record_feedback", memory_id="nope", signal="meh", agent="junior"))
    unknown = stdio.tool("alma_does_not_exist")
    assert unknown.is_error
    assert ok(tool("alma_health"))["status"] == "ok"  # still serving


def test_workflow_and_lifecycle_tools_over_stdio(stdio):
    """The workflow tools and consolidate, each through the server, each result checked."""
    tool = stdio.tool
    first = ok(tool("alma_checkpoint", workflow_id="run-42", state={"step": "plan"}, agent="wfbot",
                    metadata={"node": "planner"}))["checkpoint"]
    second = ok(tool("alma_checkpoint", workflow_id="run-42", state={"step": "build", "done": ["plan"]}))["checkpoint"]
    assert (first["sequence"], second["sequence"]) == (1, 2) and first["metadata"] == {"node": "planner"}
    resumed = ok(tool("alma_resume", workflow_id="run-42"))
    assert resumed["found"] is True and resumed["checkpoint"]["state"] == {"step": "build", "done": ["plan"]}
    assert ok(tool("alma_resume", workflow_id="never-started")) == {"found": False, "checkpoint": None}

    merged = ok(tool("alma_merge_states", workflow_id="run-42", states={"a": {"n": 1, "tags": ["x"]},
                                                                        "b": {"n": 4, "tags": ["y", "x"]}},
                     reducer={"n": "sum", "tags": "union"}))
    assert merged["state"] == {"n": 5, "tags": ["x", "y"]}
    assert ok(tool("alma_resume", workflow_id="run-42"))["checkpoint"]["state"] == merged["state"]  # saved
    ok(tool("alma_merge_states", workflow_id="run-42", states=[{"n": 1}, {"n": 9}], reducer="max", save=False))
    assert ok(tool("alma_resume", workflow_id="run-42"))["checkpoint"]["sequence"] == 3  # save=False wrote nothing

    report = ok(tool("alma_link_artifact", workflow_id="run-42", artifact_type="report", ref="out/plan.md",
                     name="Plan", mime_type="text/markdown", size_bytes=120))["artifact"]
    assert (report["ref"], report["name"], report["size_bytes"]) == ("out/plan.md", "Plan", 120)
    ok(tool("alma_link_artifact", workflow_id="run-42", artifact_type="screenshot", ref="out/home.png"))
    artifacts = ok(tool("alma_get_artifacts", workflow_id="run-42"))["artifacts"]
    assert [a["ref"] for a in artifacts] == ["out/plan.md", "out/home.png"]
    assert [a["ref"] for a in ok(tool("alma_get_artifacts", workflow_id="run-42", artifact_type="screenshot"))[
        "artifacts"]] == ["out/home.png"]

    assert ok(tool("alma_cleanup_checkpoints", older_than_days=0, keep_latest=1, workflow_id="run-42")) == {
        "deleted": 2}
    assert ok(tool("alma_resume", workflow_id="run-42"))["checkpoint"]["sequence"] == 3  # the newest is kept

    # retrieve_scoped: only the workflow's memories, though a closer one exists outside it
    ok(tool("alma_learn", agent="wfbot", task="Export the monthly invoices to CSV", outcome=True,
            strategy_used="Stream rows in batches of 500", task_type="exports", workflow_id="run-42"))
    ok(tool("alma_learn", agent="wfbot", task="Export the weekly invoices to CSV", outcome=True,
            strategy_used="One big SELECT", task_type="exports"))
    scoped = ok(tool("alma_retrieve_scoped", task="Export the weekly invoices to CSV", agent="wfbot",
                     scope="workflow_only", workflow_id="run-42"))
    assert scoped["scope"] == "workflow_only"
    assert [o["task_description"] for o in scoped["outcomes"]] == ["Export the monthly invoices to CSV"]
    wide = ok(tool("alma_retrieve_scoped", task="Export the weekly invoices to CSV", agent="wfbot",
                   scope="agent_only"))
    assert wide["outcomes"][0]["task_description"] == "Export the weekly invoices to CSV"
    assert "ValidationError" in error_text(tool("alma_retrieve_scoped", task="x", agent="wfbot",
                                                scope="workflow_only"))  # needs a workflow_id

    # consolidate: two near-duplicate facts become one survivor
    for fact in ("The invoice export job runs every night at 02:00 UTC.",
                 "The invoice export job runs every night at 02:00 UTC!"):
        ok(tool("alma_add_knowledge", agent="wfbot", domain="exports", fact=fact))
    dry = ok(tool("alma_consolidate", agent="wfbot", kind="domain_knowledge", dry_run=True))
    assert dry["merged"] == 1 and dry["dry_run"] is True
    done = ok(tool("alma_consolidate", agent="wfbot", kind="domain_knowledge"))
    assert done["merged"] == 1 and len(done["groups"]) == 1 and done["groups"][0]["occurrence_count"] == 2
    assert ok(tool("alma_consolidate", agent="wfbot", kind="domain_knowledge"))["merged"] == 0  # nothing left
    assert ok(tool("alma_stats", agent="wfbot"))["by_kind"]["domain_knowledge"] == 1


def test_allow_path_lets_the_server_read_another_folder(tmp_path):
    """--allow-path adds a folder alma_ingest may read; the project folder is then no longer implied."""
    from mcp.client.stdio import StdioServerParameters, stdio_client

    config = write_config(tmp_path / "project", "allowpath")
    shared = tmp_path / "shared-docs"
    shared.mkdir()
    (shared / "runbook.md").write_text("# Runbook\n\nThe billing job restarts itself after a Vault outage.\n")
    (config.parent.parent / "local.md").write_text("# Local\n\nThe project folder's own notes.\n")
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "alma_graph.mcp", "--config", str(config), "--allow-path", str(shared)],
                                   env=server_env(), cwd=str(config.parent.parent))
    with open(tmp_path / "server.stderr", "w") as errlog:
        session = McpSession(lambda: stdio_client(params, errlog=errlog))
        try:
            report = ok(session.tool("alma_ingest", path=str(shared), agent="senior", domain="testing_strategy"))
            assert report["files_ingested"] == 1 and report["added"]["domain_knowledge"] == 1
            refused = error_text(session.tool("alma_ingest", path=str(config.parent.parent / "local.md"),
                                              agent="senior", domain="testing_strategy"))
            assert "PathNotAllowed" in refused and str(shared) in refused
        finally:
            session.close()


def test_resources(stdio):
    resources = {str(r.uri): r for r in stdio.call(lambda c: c.list_resources()).resources}
    assert set(resources) == {"alma://config", "alma://agents", "alma://schema"}

    def read(uri: str) -> Any:
        [content] = stdio.call(lambda c: c.read_resource(uri)).contents
        return json.loads(content.text)

    config = read("alma://config")
    assert config["project_id"] == "mcp" and config["neo4j"]["password"] == "***"
    agents = read("alma://agents")
    assert agents["junior"]["cannot_learn"] == ["production_access"] and agents["senior"]["in_config"] is True
    schema = read("alma://schema")
    assert schema["edges"]["LEARNED"] == {"from": "Agent", "to": "Memory", "properties": {}}
    assert "kind" in schema["nodes"]["Memory"]["properties"]


# -- Streamable HTTP ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(process: subprocess.Popen, port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the HTTP server exited with {process.returncode}: {process.stderr.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def http_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mcp-http")
    config = write_config(folder, "mcphttp")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "alma_graph.mcp", "--config", str(config), "--transport", "http", "--port", str(port)],
        env=server_env(ALMA_GRAPH_MCP_TOKEN=TOKEN), cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True)
    try:
        wait_for_port(process, port)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def http_transport(url: str, token: str | None):
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=60))


def test_http_with_the_right_token(http_server):
    session = McpSession(lambda: http_transport(http_server, TOKEN))
    try:
        names = {t.name for t in session.call(lambda c: c.list_tools()).tools}
        assert names == EXPECTED_TOOLS
        health = ok(session.tool("alma_health"))
        assert health["status"] == "ok" and health["project_id"] == "mcphttp"
        assert "UnknownAgentError" in error_text(session.tool("alma_stats", agent="ghost"))
    finally:
        session.close()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}], ids=["none", "wrong", "no-scheme", "basic"])
def test_http_without_the_right_token_is_401(http_server, headers):
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    response = httpx2.post(http_server, json=request, timeout=30,
                          headers={**headers, "Accept": "application/json, text/event-stream"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"] == "invalid_token"


def test_http_client_with_a_wrong_token_cannot_connect(http_server):
    with pytest.raises(BaseException) as refused:
        McpSession(lambda: http_transport(http_server, "wrong-token"), timeout=60)
    from mcp.shared.exceptions import MCPError

    # the SDK client turns the 401 into an MCPError inside its task groups
    assert isinstance(refused.value, MCPError) or refused.group_contains(MCPError)


def test_http_refuses_a_public_address_without_a_token(tmp_path):
    config = write_config(tmp_path, "public")
    result = subprocess.run(
        [sys.executable, "-m", "alma_graph.mcp", "--config", str(config), "--transport", "http", "--host", "0.0.0.0",
         "--port", str(free_port())],
        env=server_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 3
    assert "ALMA_GRAPH_MCP_TOKEN" in result.stderr and "0.0.0.0" in result.stderr


def test_a_bad_config_exits_3_before_serving(tmp_path):
    result = subprocess.run([sys.executable, "-m", "alma_graph.mcp", "--config", str(tmp_path / "none.yaml")],
                            env=server_env(), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 3 and "does not exist" in result.stderr
