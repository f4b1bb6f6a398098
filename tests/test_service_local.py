"""A loopback service without configured clients on an embedded Kuzu store: several stdio MCP
clients and the CLI sharing it, the Claude Code install and hooks, refusals, and SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from service_helpers import run_cli, service_env, start_service, write_config

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def local_service(tmp_path_factory):
    folder = tmp_path_factory.mktemp("local-service")
    running = start_service(write_config(folder, {"storage": "kuzu", "project_id": "local"}, clients=None))
    yield running
    running.stop()


def test_without_clients_only_loopback_requests_are_served(local_service):
    assert httpx.get(f"{local_service.url}/v1/stats", timeout=60).status_code == 200  # the implicit local client
    rebound = httpx.get(f"{local_service.url}/v1/stats", headers={"Host": "attacker.example"}, timeout=60)
    assert rebound.status_code == 403 and rebound.json()["error"]["type"] == "AccessDeniedError"
    cross_site = httpx.post(f"{local_service.url}/v1/knowledge", headers={"Origin": "https://attacker.example"},
                            json={"agent": "qa", "domain": "testing", "fact": "Injected"}, timeout=60)
    assert cross_site.status_code == 403


def test_a_public_address_without_clients_is_refused(tmp_path):
    config = write_config(tmp_path, {"storage": "kuzu"}, clients=None)
    result = run_cli("serve", "--config", str(config), "--host", "0.0.0.0", env=service_env(), cwd=tmp_path, timeout=120)
    assert result.returncode == 3
    assert "0.0.0.0" in result.stderr and "alma.server.clients" in result.stderr
    assert not (config.parent / "service.json").exists()


def test_a_client_whose_token_variable_is_unset_is_refused_by_serve(tmp_path):
    config = write_config(tmp_path, {"storage": "kuzu"}, clients={"ci": {"token": "${UNSET_TOKEN_VAR}", "agents": ["*"]}})
    result = run_cli("serve", "--config", str(config), env=service_env(), cwd=tmp_path, timeout=120)
    assert result.returncode == 3 and "alma.server.clients.ci.token" in result.stderr
    stats = run_cli("stats", "--json", "--config", str(config), env=service_env(), cwd=tmp_path)  # in-process use is fine
    assert stats.returncode == 0, stats.stderr


def _stdio_session(config: Path, calls):
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    async def run():
        params = StdioServerParameters(command=sys.executable, args=["-m", "alma_graph.mcp", "--config", str(config)],
                                       env=service_env(), cwd=str(config.parent.parent))
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(Client(stdio_client(params)))
            return await calls(client)

    return asyncio.run(run())


def test_two_stdio_mcp_clients_and_the_cli_share_one_embedded_store(local_service):
    """Without the service the second process could not open the Kuzu store at all."""
    config = local_service.config
    results: dict[str, object] = {}
    both_connected = threading.Barrier(2, timeout=300)

    def window(name: str, fact: str) -> None:
        async def calls(client):
            both_connected.wait()  # both processes are up at the same time
            added = await client.call_tool("alma_add_knowledge", {"agent": "qa", "domain": "testing", "fact": fact})
            both_connected.wait()  # ... and both have written before either reads
            found = await client.call_tool("alma_retrieve", {"task": "Which staging databases are refreshed?",
                                                             "agent": "qa", "top_k": 10})
            return added, found

        try:
            results[name] = _stdio_session(config, calls)
        except BaseException as exc:  # surfaced below
            results[name] = exc
            both_connected.abort()

    facts = {"one": "The orders staging database is refreshed on Mondays",
             "two": "The billing staging database is refreshed on Fridays"}
    threads = [threading.Thread(target=window, args=item) for item in facts.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    ids = {}
    for name in facts:
        assert not isinstance(results[name], BaseException), results[name]
        added, found = results[name]
        assert not added.is_error, added.content[0].text
        ids[name] = added.structured_content["knowledge"]["id"]
    for name in facts:
        seen = {m["id"] for m in results[name][1].structured_content["domain_knowledge"]}
        assert set(ids.values()) <= seen, (name, seen)

    cli = run_cli("retrieve", "Which staging databases are refreshed?", "--agent", "qa", "--top-k", "10", "--json",
                  "--config", str(config), env=service_env(), cwd=config.parent.parent)
    assert cli.returncode == 0, cli.stderr
    assert set(ids.values()) <= {m["id"] for m in json.loads(cli.stdout)["domain_knowledge"]}


def test_install_claude_code_merges_and_is_idempotent(tmp_path):
    write_config(tmp_path, {"storage": "kuzu"}, clients=None)
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"other": {"command": "other-server"}}}))
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    theirs = {"type": "command", "command": "echo theirs"}
    settings.write_text(json.dumps({"model": "x", "hooks": {"Stop": [{"hooks": [theirs]}]}}))
    before = {p: p.read_text() for p in (tmp_path / ".mcp.json", settings)}

    dry = run_cli("install", "claude-code", "--hooks", "--dry-run", env=service_env(), cwd=tmp_path)
    assert dry.returncode == 0 and "alma_graph.mcp" in dry.stdout and "UserPromptSubmit" in dry.stdout
    assert {p: p.read_text() for p in before} == before  # --dry-run writes nothing

    first = run_cli("install", "claude-code", "--hooks", env=service_env(), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    servers = json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]
    assert servers["other"] == {"command": "other-server"}
    assert servers["alma-graph"]["args"] == ["-m", "alma_graph.mcp", "--config", ".alma/config.yaml"]
    hooks = json.loads(settings.read_text())
    assert hooks["model"] == "x" and hooks["hooks"]["Stop"][0]["hooks"] == [theirs]
    assert "hook stop" in hooks["hooks"]["Stop"][1]["hooks"][0]["command"]
    assert "hook prompt" in hooks["hooks"]["UserPromptSubmit"][0]["hooks"][0]["command"]

    written = {p: p.read_text() for p in before}
    second = run_cli("install", "claude-code", "--hooks", env=service_env(), cwd=tmp_path)
    assert second.returncode == 0 and second.stdout.count("up to date") == 2
    assert {p: p.read_text() for p in before} == written


def test_hooks_retrieve_on_prompt_and_record_on_stop(local_service):
    config, folder = local_service.config, local_service.config.parent.parent
    transcript = folder / "session.jsonl"
    lines = [
        {"type": "user", "uuid": "u1", "parentUuid": None, "sessionId": "s1", "timestamp": "2026-11-30T10:00:00Z",
         "message": {"role": "user", "content": "Our deploy script lives in tools/ship.sh and needs Python 3.11."}},
        {"type": "assistant", "uuid": "a1", "parentUuid": "u1", "sessionId": "s1", "timestamp": "2026-11-30T10:00:05Z",
         "message": {"id": "m1", "role": "assistant", "content": [{"type": "text", "text": "Noted: tools/ship.sh deploys."}]}},
    ]
    transcript.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    stop = run_cli("hook", "stop", "--agent", "claude-code", "--config", str(config), env=service_env(), cwd=folder,
                   stdin=json.dumps({"session_id": "s1", "transcript_path": str(transcript)}))
    assert stop.returncode == 0 and stop.stderr == "", stop.stderr
    prompt = run_cli("hook", "prompt", "--agent", "claude-code", "--config", str(config), env=service_env(), cwd=folder,
                     stdin=json.dumps({"session_id": "s1", "prompt": "How do I run the deploy script?"}))
    assert prompt.returncode == 0 and "ship.sh" in prompt.stdout, (prompt.stdout, prompt.stderr)


def test_sigterm_drains_requests_closes_the_store_and_removes_the_discovery_file(local_service, tmp_path):
    """Runs last in this module: it stops the module's service."""
    docs = local_service.config.parent.parent / "notes"
    docs.mkdir()
    for i in range(12):
        (docs / f"note{i}.md").write_text(f"# Note {i}\n\nService {i} talks to the Redis cache on port {6000 + i}.\n")
    answer: dict[str, object] = {}

    def ingest() -> None:
        answer["response"] = httpx.post(f"{local_service.url}/v1/tools/alma_ingest", timeout=300,
                                        json={"path": str(docs), "agent": "dev"})

    request = threading.Thread(target=ingest)
    request.start()
    threading.Event().wait(1.0)  # the request is running when the signal comes
    code = local_service.stop(signal.SIGTERM, timeout=120)
    request.join(300)
    assert code == 0, local_service.log.read_text()
    assert answer["response"].status_code == 200, answer["response"].text
    assert not local_service.discovery.exists()
    # the store was closed cleanly: the CLI opens it in-process and sees the ingested notes
    stats = run_cli("stats", "--agent", "dev", "--json", "--config", str(local_service.config), env=service_env(),
                    cwd=tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["by_kind"]["domain_knowledge"] >= 12
