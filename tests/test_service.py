"""The knowledge service as its clients see it: ``alma-graph serve`` in a subprocess with the real
models and a real store (Kuzu and Neo4j), driven by httpx, the MCP SDK's Streamable HTTP client
and the CLI entry point; three configured clients (admin, a bot limited to agent qa and user
dana, a read-only reader). One service per backend serves the whole module."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from contextlib import AsyncExitStack

import httpx
import pytest
from service_helpers import TOKENS, run_cli, service_env, start_service, write_config

pytestmark = pytest.mark.timeout(900)

ROUTES = {"/v1/health", "/v1/retrieve", "/v1/learn", "/v1/knowledge", "/v1/preferences", "/v1/anti-patterns",
          "/v1/feedback", "/v1/memories", "/v1/memories/{memory_id}", "/v1/memories/{memory_id}/history",
          "/v1/users/{user_id}", "/v1/graph", "/v1/stats", "/v1/tools", "/v1/tools/{name}"}
HEAVY = ("torch", "spacy", "kuzu", "sentence_transformers", "faiss", "neo4j")


@pytest.fixture(scope="module")
def service(backend, request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"service-{backend}")
    settings = {"storage": backend, "project_id": f"svc{uuid.uuid4().hex[:10]}"}
    if backend == "neo4j":
        server = request.getfixturevalue("neo4j_server")
        settings["neo4j"] = {"uri": server.uri, "user": server.user, "password": server.password}
    running = start_service(write_config(folder, settings))
    yield running
    running.stop()


def api(service, token: str | None = "admin") -> httpx.Client:
    headers = {"Authorization": f"Bearer {TOKENS.get(token, token)}"} if token else {}
    return httpx.Client(base_url=service.url, headers=headers, timeout=120)


def error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["type"] == kind, body
    return body["message"]


def test_health_needs_no_token_and_openapi_lists_every_route(service):
    with api(service, None) as http:
        health = http.get("/v1/health").json()
        assert health["status"] == "ok" and health["pid"] == service.info["pid"]
        schema = http.get("/openapi.json").json()
    assert ROUTES <= set(schema["paths"])
    assert {"RetrieveRequest", "RetrieveResponse", "Memory", "MemoryPatch", "ErrorResponse"} <= set(schema["components"]["schemas"])
    assert "/mcp" not in schema["paths"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-client-token-at-all"},
                                     {"Authorization": TOKENS["admin"]}, {"Authorization": f"Basic {TOKENS['admin']}"}],
                         ids=["none", "wrong", "no-scheme", "basic"])
def test_an_unknown_or_missing_token_is_401(service, headers):
    response = httpx.post(f"{service.url}/v1/retrieve", json={"task": "x", "agent": "qa"}, headers=headers, timeout=60)
    error(response, 401, "AuthenticationError")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_clients_act_only_as_their_agents_and_users(service):
    with api(service, "qa_bot") as bot:
        assert bot.post("/v1/retrieve", json={"task": "login form", "agent": "qa", "user_id": "dana"}).status_code == 200
        message = error(bot.post("/v1/retrieve", json={"task": "login form", "agent": "dev"}), 403, "AccessDeniedError")
        assert "'dev'" in message and "qa_bot" in message
        error(bot.post("/v1/retrieve", json={"task": "x", "agent": "qa", "user_id": "erin"}), 403, "AccessDeniedError")
        error(bot.post("/v1/knowledge", json={"agent": "dev", "domain": "testing", "fact": "Secret"}), 403,
              "AccessDeniedError")
        error(bot.get("/v1/stats"), 403, "AccessDeniedError")  # every agent's figures: not for a limited client
        assert bot.get("/v1/stats", params={"agent": "qa"}).json()["agent"] == "qa"
        error(bot.delete("/v1/users/erin", params={"hard": "true"}), 403, "AccessDeniedError")
    with api(service, "reader") as reader:
        assert reader.post("/v1/retrieve", json={"task": "login form", "agent": "dev"}).status_code == 200
        message = error(reader.post("/v1/knowledge", json={"agent": "qa", "domain": "testing", "fact": "Nope"}),
                        403, "AccessDeniedError")
        assert "read-only" in message
        error(reader.post("/v1/tools/alma_learn", json={"agent": "qa", "task": "t", "outcome": True,
                                                        "strategy_used": "s"}), 403, "AccessDeniedError")
    with api(service) as admin:  # nothing the refused calls tried was written
        facts = admin.get("/v1/memories", params={"agent": "dev", "kind": "domain_knowledge"}).json()["items"]
        assert all(m["text"] != "Secret" for m in facts)


def test_rest_routes_round_trip(service):
    with api(service) as http:
        fact = http.post("/v1/knowledge", json={"agent": "qa", "domain": "testing",
                                                "fact": "Acme accounts lock after 5 failed logins"})
        assert fact.status_code == 201, fact.text
        fact = fact.json()
        assert fact["kind"] == "domain_knowledge" and fact["fact"] == "Acme accounts lock after 5 failed logins"
        for _ in range(3):
            outcome = http.post("/v1/learn", json={"agent": "qa", "task": "Test the login form", "outcome": "success",
                                                   "strategy_used": "Boundary values on every field",
                                                   "task_type": "testing"})
            assert outcome.status_code == 201 and outcome.json()["kind"] == "outcome"
        pattern = http.post("/v1/anti-patterns", json={"agent": "qa", "pattern": "Fixed sleep() waits",
                                                       "why_bad": "Flaky on slow CI"}).json()
        pref = http.post("/v1/preferences", json={"user_id": "dana", "category": "reports",
                                                  "preference": "Failing cases first"}).json()
        assert pattern["kind"] == "anti_pattern" and pref["user_id"] == "dana"

        found = http.post("/v1/retrieve", json={"task": "How many failed logins lock an Acme account?", "agent": "qa",
                                                "user_id": "dana", "explain": True}).json()
        assert found["domain_knowledge"][0]["id"] == fact["id"]
        assert found["domain_knowledge"][0]["explain"]["recipe"] == "hybrid"
        assert found["preferences"][0]["id"] == pref["id"]
        heuristics = http.get("/v1/memories", params={"agent": "qa", "kind": "heuristic"}).json()["items"]
        assert [h["strategy"] for h in heuristics] == ["Boundary values on every field"]  # three successes
        assert "Failing cases first" in found["prompt"]

        rated = http.post("/v1/feedback", json={"memory_id": fact["id"], "signal": "positive", "agent": "qa"}).json()
        assert rated["id"] == fact["id"]

        page = http.get("/v1/memories", params={"agent": "qa", "limit": 2}).json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = http.get("/v1/memories", params={"agent": "qa", "limit": 50, "cursor": page["next_cursor"]}).json()
        assert not {m["id"] for m in page["items"]} & {m["id"] for m in rest["items"]}
        assert http.get(f"/v1/memories/{fact['id']}", params={"agent": "qa"}).json()["text"] == fact["fact"]

        newer = http.patch(f"/v1/memories/{fact['id']}", json={"agent": "qa",
                                                               "text": "Acme accounts lock after 3 failed logins"})
        assert newer.status_code == 200, newer.text
        newer = newer.json()
        assert newer["id"] != fact["id"] and newer["text"] == "Acme accounts lock after 3 failed logins"
        history = http.get(f"/v1/memories/{newer['id']}/history", params={"agent": "qa"}).json()
        assert [v["id"] for v in history["versions"]] == [newer["id"], fact["id"]]
        again = http.post("/v1/retrieve", json={"task": "failed logins lock an Acme account", "agent": "qa"}).json()
        assert [m["id"] for m in again["domain_knowledge"]][:1] == [newer["id"]]

        graph = http.get("/v1/graph", params={"agent": "qa", "center": newer["id"]})
        assert graph.status_code == 200, graph.text
        graph = graph.json()
        assert any(newer["id"] in n["id"] for n in graph["nodes"]) and graph["edges"]
        stats = http.get("/v1/stats", params={"agent": "qa"}).json()
        assert stats["by_kind"]["domain_knowledge"] >= 1

        archived = http.delete(f"/v1/memories/{pattern['id']}", params={"agent": "qa"})
        assert archived.status_code == 200 and archived.json()["hard"] is False
        erased = http.delete(f"/v1/memories/{newer['id']}", params={"agent": "qa", "hard": "true"}).json()
        assert erased["hard"] is True
        error(http.get(f"/v1/memories/{newer['id']}", params={"agent": "qa"}), 404, "MemoryNotFoundError")
        every = http.get("/v1/memories", params={"agent": "qa", "include_archived": "true", "limit": 1000}).json()
        assert not {newer["id"], fact["id"]} & {m["id"] for m in every["items"]}  # both versions erased
        exact = http.post("/v1/retrieve", json={"task": "Acme accounts lock after failed logins", "agent": "qa"}).json()
        assert "Acme accounts lock" not in json.dumps({k: v for k, v in exact.items() if k != "query"})
        error(http.delete("/v1/users/dana"), 422, "ValidationError")  # erasure needs hard=true
        gone = http.delete("/v1/users/dana", params={"hard": "true"}).json()
        assert gone["user_id"] == "dana" and gone["memories"] >= 1
        after = http.post("/v1/retrieve", json={"task": "reports", "agent": "qa", "user_id": "dana"}).json()
        assert after["preferences"] == []


def test_library_errors_are_typed_json(service):
    with api(service) as http:
        message = error(http.post("/v1/knowledge", json={"agent": "qa", "domain": "production", "fact": "x y z"}),
                        403, "ScopeViolationError")
        assert "production" in message
        error(http.post("/v1/retrieve", json={"task": "", "agent": "qa"}), 422, "ValidationError")
        error(http.post("/v1/retrieve", json={"task": "x", "agent": "qa", "tpo_k": 3}), 422, "ValidationError")
        error(http.post("/v1/retrieve", json={"task": "x", "agent": "qa", "recipe": "nope"}), 422, "ValidationError")
        error(http.post("/v1/feedback", json={"memory_id": "0" * 36, "signal": "positive", "agent": "qa"}),
              404, "MemoryNotFoundError")
        error(http.post("/v1/tools/alma_nothing", json={}), 404, "UnknownToolError")
        error(http.get("/v1/nowhere"), 404, "NotFound")


# -- MCP over /mcp ------------------------------------------------------------------------------------------

def mcp_call(url: str, token: str | None, calls):
    """Connect the SDK's Streamable HTTP client with ``token`` and run ``calls(client)``."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def run():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(Client(streamable_http_client(
                f"{url}/mcp", http_client=httpx2.AsyncClient(headers=headers, timeout=120))))
            return await calls(client)

    return asyncio.run(run())


def test_mcp_over_http_applies_the_clients_rights(service):
    async def calls(client):
        names = {t.name for t in (await client.list_tools()).tools}
        own = await client.call_tool("alma_retrieve", {"task": "login form", "agent": "qa"})
        other = await client.call_tool("alma_retrieve", {"task": "login form", "agent": "dev"})
        user = await client.call_tool("alma_add_preference", {"user_id": "erin", "category": "x", "preference": "y"})
        everyone = await client.call_tool("alma_forget", {"older_than_days": 10000})
        config = (await client.read_resource("alma://config")).contents[0].text
        return names, own, other, user, everyone, config

    names, own, other, user, everyone, config = mcp_call(service.url, TOKENS["qa_bot"], calls)
    assert "qa_bot" in config and not any(token in config for token in TOKENS.values())  # tokens redacted
    assert {"alma_retrieve", "alma_learn", "alma_get", "alma_erase_user", "alma_graph"} <= names
    assert not own.is_error and own.structured_content["agent"] == "qa"
    for refused in (other, user, everyone):
        assert refused.is_error and "AccessDeniedError" in refused.content[0].text

    async def write(client):
        return await client.call_tool("alma_add_knowledge", {"agent": "qa", "domain": "testing", "fact": "Read only"})

    refused = mcp_call(service.url, TOKENS["reader"], write)
    assert refused.is_error and "read-only" in refused.content[0].text


def test_mcp_without_a_valid_token_is_refused(service):
    response = httpx.post(f"{service.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                          headers={"Accept": "application/json, text/event-stream"}, timeout=60)
    error(response, 401, "AuthenticationError")
    from mcp.shared.exceptions import MCPError

    with pytest.raises(BaseException) as refused:
        mcp_call(service.url, "wrong-token-wrong-token", lambda c: c.list_tools())
    assert isinstance(refused.value, MCPError) or refused.group_contains(MCPError)


# -- the CLI as a thin client ------------------------------------------------------------------------------

def test_cli_sends_its_commands_to_the_service(service, tmp_path):
    env = service_env(ALMA_GRAPH_TOKEN=TOKENS["qa_bot"])  # found through the discovery file
    folder = service.config.parent.parent
    added = run_cli("add-knowledge", "The staging database is refreshed every Monday", "--agent", "qa",
                    "--domain", "testing", "--json", "--config", str(service.config), env=env, cwd=folder)
    assert added.returncode == 0, added.stderr
    memory_id = json.loads(added.stdout)["knowledge"]["id"]
    found = run_cli("retrieve", "When is the staging database refreshed?", "--agent", "qa", "--json",
                    "--config", str(service.config), env=env, cwd=folder)
    assert found.returncode == 0, found.stderr
    assert memory_id in [m["id"] for m in json.loads(found.stdout)["domain_knowledge"]]
    shown = run_cli("get", memory_id, "--agent", "qa", "--json", "--config", str(service.config), env=env, cwd=folder)
    assert shown.returncode == 0 and json.loads(shown.stdout)["memory"]["id"] == memory_id
    refused = run_cli("retrieve", "x", "--agent", "dev", "--json", "--config", str(service.config), env=env, cwd=folder)
    assert refused.returncode == 6 and json.loads(refused.stdout)["error"]["type"] == "AccessDeniedError"
    # ALMA_GRAPH_URL works from any folder, without a config file
    anywhere = run_cli("stats", "--agent", "qa", "--json", env={**env, "ALMA_GRAPH_URL": service.url}, cwd=tmp_path)
    assert anywhere.returncode == 0 and json.loads(anywhere.stdout)["by_kind"]["domain_knowledge"] >= 1
    unknown = run_cli("stats", "--agent", "qa", env=service_env(ALMA_GRAPH_URL=service.url, ALMA_GRAPH_TOKEN="x" * 20),
                      cwd=tmp_path)
    assert unknown.returncode == 6 and "ALMA_GRAPH_TOKEN" in unknown.stderr


def test_the_thin_cli_loads_no_model_and_no_store_driver(service):
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['alma-graph', 'retrieve', 'login form', '--agent', 'qa', '--json', '--config', sys.argv[1]]\n"
        "try:\n    runpy.run_module('alma_graph.cli', run_name='__main__')\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", probe, str(service.config)], capture_output=True, text=True,
                            env=service_env(ALMA_GRAPH_TOKEN=TOKENS["qa_bot"]), timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.split("HEAVY")[0])["agent"] == "qa"
    assert result.stdout.strip().endswith("HEAVY []")


def test_a_second_serve_on_the_same_store_is_refused(service):
    result = run_cli("serve", "--config", str(service.config), env=service_env(), cwd=service.config.parent.parent,
                     timeout=120)
    assert result.returncode == 5
    assert f"pid {service.info['pid']}" in result.stderr and service.url in result.stderr
    assert json.loads(service.discovery.read_text())["pid"] == service.info["pid"]  # the running one's file stays


def test_the_curl_examples_of_docs_service_md_run(service, tmp_path):
    """Every shell block of the Routes section, in order, as one script (they share $ID)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "service.md").read_text()
    routes = text.split("## Routes", 1)[1].split("\n## ", 1)[0]
    blocks = [b for b in re.findall(r"```bash\n(.*?)```", routes, flags=re.S) if not b.startswith("export ")]
    assert sum(b.count("curl ") for b in blocks) >= 16
    script = tmp_path / "examples.sh"
    script.write_text("set -euo pipefail\n" + "\n".join(blocks))
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=300,
                            env=service_env(ALMA_GRAPH_URL=service.url, ALMA_GRAPH_TOKEN=TOKENS["admin"]))
    assert result.returncode == 0, result.stderr + result.stdout
    assert '"error"' not in result.stdout
    assert "Accounts at Acme lock after 3 failed logins" in result.stdout  # the history shows the new version
