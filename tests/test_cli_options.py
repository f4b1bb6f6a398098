"""Every option of the installed ``alma-graph`` entry point that changes what a command does,
run in a subprocess. The store is prepared in process (fast, with dates the CLI cannot set);
the commands under test run through the entry point.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from alma_graph import ALMA
from alma_graph.config import load_config

from test_cli import ALMA_GRAPH, run
from test_mcp import McpSession, error_text, ok, server_env

pytestmark = pytest.mark.skipif(not ALMA_GRAPH.exists(), reason=f"{ALMA_GRAPH} is not installed")

CHATS = Path(__file__).parent / "fixtures" / "chats"


def make_project(folder: Path, agents: dict | None = None) -> Path:
    config = folder / ".alma" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(yaml.safe_dump({"alma": {"project_id": folder.name, "storage": "kuzu", "storage_dir": ".alma",
                                               "agents": agents or {}}}))
    return config


def as_json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_ingest_conversations_with_a_format_and_a_user_then_retrieve_for_that_user(tmp_path):
    make_project(tmp_path, agents={"lead": {"share_with": ["dev"]}, "dev": {}})
    chat = next((CHATS / "claude_code").glob("*.jsonl"))
    report = as_json(run("ingest", str(chat), "--conversations", "--format", "claude_code", "--user-id", "dana",
                         "-a", "dev", "--no-progress", "--json", cwd=tmp_path))
    assert report["formats"] == {"claude_code": 1} and report["added"]["preference"] == 1
    forced = run("ingest", str(chat), "--conversations", "--format", "chatgpt", "-a", "dev", "--no-progress",
                 "--json", cwd=tmp_path)
    assert forced.returncode == 1 and json.loads(forced.stdout)["errors"]  # read as ChatGPT: not readable
    shared = as_json(run("add-knowledge", "The CI runners are shared with the data team.", "-a", "lead", "-d", "ci",
                         "--json", cwd=tmp_path))
    assert shared["knowledge"]["agent"] == "lead"

    query = "why are the checkout tests flaky on CI"
    for_dana = as_json(run("retrieve", query, "-a", "dev", "--user-id", "dana", "--top-k", "3", "--json",
                           cwd=tmp_path))
    assert [p["preference"] for p in for_dana["preferences"]] == ["Please always use type hints in new Python code."]
    assert "The CI runners are shared with the data team." in [k["fact"] for k in for_dana["domain_knowledge"]]
    own_only = as_json(run("retrieve", query, "-a", "dev", "--no-shared", "--top-k", "3", "--json", cwd=tmp_path))
    assert own_only["preferences"] == []  # no --user-id: nobody's preferences
    assert own_only["domain_knowledge"] and all(k["agent"] == "dev" for k in own_only["domain_knowledge"])


def test_forget_by_each_criterion(tmp_path, embedder):
    config = make_project(tmp_path)
    with ALMA(load_config(config), embedder=embedder) as alma:
        old = alma.add_knowledge("ops", "infra", "The old cluster ran in us-east-1.",
                                 timestamp=datetime(2020, 1, 1, tzinfo=timezone.utc))
        unsure = alma.add_knowledge("ops", "infra", "The backup bucket might be in eu-west-2.", confidence=0.3)
        sure = alma.add_knowledge("ops", "infra", "The backup job runs at 03:00 UTC.", confidence=0.9)
        anti = alma.add_anti_pattern("dev", "Deploying on Fridays", "Nobody is around", "Deploy Monday to Thursday")
        kept = alma.add_knowledge("dev", "infra", "Deploys go through the release branch.")

    def forget(*args: str) -> int:
        return as_json(run("forget", *args, "--yes", "--json", cwd=tmp_path))["archived"]

    def active() -> set[str]:
        with ALMA(load_config(config), embedder=embedder) as alma:
            return {r["id"] for r in alma.store.find_memories(archived=False)}

    assert forget("--below-confidence", "0.5") == 1
    assert active() == {old.id, sure.id, anti.id, kept.id}
    assert forget("--older-than-days", "365") == 1
    assert active() == {sure.id, anti.id, kept.id}
    assert forget("--agent", "dev", "--kind", "anti_pattern") == 1
    assert active() == {sure.id, kept.id}
    assert forget("--agent", "ops") == 1
    assert active() == {kept.id}
    assert unsure.id not in active()


def test_export_without_vectors_and_import_with_new_ids(tmp_path, embedder):
    config = make_project(tmp_path)
    with ALMA(load_config(config), embedder=embedder) as alma:
        fact = alma.add_knowledge("dev", "infra", "The staging cluster runs in eu-west-1.")
    backup = tmp_path / "backup.jsonl"
    assert as_json(run("export", str(backup), "--no-vectors", "--json", cwd=tmp_path))["nodes"]["Memory"] == 1
    memories = [r for r in map(json.loads, backup.read_text().splitlines()) if r.get("label") == "Memory"]
    assert len(memories) == 1 and memories[0]["properties"]["embedding"] is None

    imported = as_json(run("import", str(backup), "--new-ids", "--json", cwd=tmp_path))
    assert imported["memories_created"] == 1 and imported["vectors_derived"] == 1
    with ALMA(load_config(config), embedder=embedder) as alma:
        found = alma.retrieve("where does staging run", "dev").domain_knowledge
        assert len(found) == 2 and fact.id in {k.id for k in found}  # the copy, re-embedded, is found too


def test_serve_mcp_through_the_entry_point_with_allow_path(tmp_path):
    """`alma-graph serve mcp --allow-path DIR`: alma_ingest reads DIR, and nothing outside it."""
    from mcp.client.stdio import StdioServerParameters, stdio_client

    config = make_project(tmp_path / "project", agents={"dev": {}})
    shared = tmp_path / "shared-docs"
    shared.mkdir()
    (shared / "runbook.md").write_text("# Runbook\n\nThe billing job restarts itself after a Vault outage.\n")
    (config.parent.parent / "local.md").write_text("# Local\n\nThe project folder's own notes.\n")
    params = StdioServerParameters(command=str(ALMA_GRAPH),
                                   args=["serve", "mcp", "--config", str(config), "--allow-path", str(shared)],
                                   env=server_env(), cwd=str(config.parent.parent))
    with open(tmp_path / "server.stderr", "w") as errlog:
        session = McpSession(lambda: stdio_client(params, errlog=errlog))
        try:
            assert ok(session.tool("alma_health"))["project_id"] == "project"
            report = ok(session.tool("alma_ingest", path=str(shared), agent="dev", domain="ops"))
            assert report["files_ingested"] == 1 and report["added"]["domain_knowledge"] == 1
            refused = error_text(session.tool("alma_ingest", path=str(config.parent.parent / "local.md"),
                                              agent="dev", domain="ops"))
            assert "PathNotAllowed" in refused and str(shared) in refused
        finally:
            session.close()


def test_bench_runs_the_latency_benchmark(tmp_path):
    result = run("bench", "--sizes", "30", "--queries", "3", "--recipes", "similarity_only", "--out",
                 str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "retrieve latency" in result.stdout and "similarity_only" in result.stdout
    written = json.loads((tmp_path / "out" / "retrieve_latency_kuzu.json").read_text())
    [size] = written["results"]
    assert size["size"] == 30 and size["recipes"]["similarity_only"]["p50_ms"] > 0
