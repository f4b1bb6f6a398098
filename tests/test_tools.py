"""The shared tool layer, JSON conversion, exit codes and the CLI's readable output, in process
(the subprocess tests in test_cli.py and test_mcp.py cover the entry points themselves)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from alma_graph import ALMA, errors
from alma_graph.cli import main as cli
from alma_graph.config import load_config
from alma_graph.interfaces.exitcodes import exit_code_for
from alma_graph.mcp.server import check_http_policy, is_loopback
from alma_graph.interfaces.serialize import slice_to_dict, to_jsonable
from alma_graph.interfaces.tools import RESOURCES, TOOLS


@pytest.fixture
def project(tmp_path, embedder) -> Path:
    """A project folder with a config and a few memories, written through the tools."""
    config = tmp_path / ".alma" / "config.yaml"
    config.parent.mkdir()
    config.write_text(yaml.safe_dump({"alma": {"project_id": "tools", "storage_dir": ".alma",
                                               "agents": {"qa": {"can_learn": ["forms", "people"]}}}}))
    with ALMA(load_config(config), embedder=embedder) as alma:
        for task in ("Test the login form", "Test the signup form", "Test the profile form"):
            TOOLS["alma_learn"](alma, agent="qa", task=task, outcome=True, task_type="forms",
                                strategy_used="Boundary values on every field")
        TOOLS["alma_add_knowledge"](alma, agent="qa", domain="people", fact="Dana Smith works at Acme Corp in Berlin.")
    return tmp_path


def test_every_tool_is_described_and_typed():
    assert all(name.startswith("alma_") for name in TOOLS)
    for spec in TOOLS.values():
        assert spec.description and spec.fn.__doc__
        for parameter in spec.parameters():
            assert parameter.annotation is not parameter.empty, f"{spec.name}.{parameter.name} has no type"
    assert set(RESOURCES) == {"alma://config", "alma://agents", "alma://schema"}


def test_results_are_json_with_iso_times(project, embedder):
    with ALMA(load_config(project / ".alma" / "config.yaml"), embedder=embedder) as alma:
        memories = alma.retrieve("Test the checkout form", "qa")
        data = slice_to_dict(memories, max_tokens=500)
        [heuristic] = data["heuristics"]
        assert heuristic["kind"] == "heuristic" and heuristic["success_rate"] == 1.0
        assert heuristic["created_at"].endswith("+00:00") and heuristic["text"].startswith(heuristic["condition"])
        assert data["prompt"] == memories.to_prompt(max_tokens=500)
        assert json.loads(json.dumps(data)) == data  # nothing left that JSON cannot hold, or changes through it
        stats = json.loads(json.dumps(TOOLS["alma_stats"](alma)))
        assert stats["by_kind"] == {"heuristic": 1, "outcome": 3, "preference": 0, "domain_knowledge": 1,
                                    "anti_pattern": 0}
        assert stats["by_agent"] == {"qa": 5} and stats["project_id"] == "tools"
        health = json.loads(json.dumps(TOOLS["alma_health"](alma)))
        assert health["status"] == "ok" and health["storage"] == "kuzu" and set(health["tools"]) == set(TOOLS)
        resources = {uri: json.loads(json.dumps(to_jsonable(spec.fn(alma)))) for uri, spec in RESOURCES.items()}
        assert resources["alma://config"]["project_id"] == "tools"
        assert resources["alma://agents"]["qa"]["can_learn"] == ["forms", "people"]
        assert "Memory" in resources["alma://schema"]["nodes"]


@pytest.mark.parametrize("error, code", [
    (errors.ConfigError("x"), 3), (errors.ScopeViolationError("x"), 4), (errors.StorageError("x"), 5),
    (errors.ValidationError("x"), 2), (errors.UnknownAgentError("x"), 2), (errors.MemoryNotFoundError("x"), 2),
    (errors.EmbeddingError("x"), 1), (RuntimeError("x"), 1),
])
def test_exit_codes(error, code):
    assert exit_code_for(error) == code


def test_http_policy():
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert is_loopback(host)
        check_http_policy(host, None)
    for host in ("0.0.0.0", "192.168.1.20", "::", "example.com"):
        assert not is_loopback(host)
        with pytest.raises(errors.ConfigError, match="ALMA_GRAPH_MCP_TOKEN"):
            check_http_policy(host, None)
        check_http_policy(host, "a-token")


def test_readable_output(project, monkeypatch):
    monkeypatch.chdir(project)
    runner = CliRunner()
    learned = runner.invoke(cli, ["learn", "-a", "qa", "-t", "Test the search form", "-s", "Fixed sleep() waits",
                                  "-o", "failure", "--task-type", "forms", "--error", "flaky on CI"])
    assert learned.exit_code == 0 and learned.output.startswith("recorded failure"), learned.output
    retrieved = runner.invoke(cli, ["retrieve", "Test the checkout form", "--agent", "qa"])
    assert retrieved.exit_code == 0, retrieved.output
    assert "KIND" in retrieved.output and "heuristic" in retrieved.output and "Boundary values" in retrieved.output
    prompt = runner.invoke(cli, ["retrieve", "Test the checkout form", "-a", "qa", "--prompt"])
    assert prompt.output.startswith("## Strategies that worked")

    context = runner.invoke(cli, ["context", "Acme Corp", "--agent", "qa"])
    assert context.exit_code == 0, context.output
    assert "Acme Corp (ORG)" in context.output and "works_at" in context.output

    stats = runner.invoke(cli, ["stats", "--agent", "qa"])
    assert stats.exit_code == 0 and "heuristic" in stats.output and "qa" in stats.output

    added = runner.invoke(cli, ["add-knowledge", "Forms post to /api/v2", "-a", "qa", "-d", "forms", "--json"])
    memory_id = json.loads(added.output)["knowledge"]["id"]
    refused = runner.invoke(cli, ["forget", "--id", memory_id])  # no terminal to ask at: --yes is needed
    assert refused.exit_code == 2 and "--yes" in refused.output
    forgotten = runner.invoke(cli, ["forget", "--id", memory_id, "--yes"])
    assert forgotten.exit_code == 0 and forgotten.output.startswith("archived 1 memories") and memory_id in forgotten.output
    restored = runner.invoke(cli, ["restore", memory_id, "--json"])
    assert json.loads(restored.output) == {"restored": 1, "memory_ids": [memory_id]}

    (project / "docs").mkdir()
    (project / "docs" / "deploy.md").write_text("# Deploy\n\nThe billing job runs on Kubernetes.\n")
    ingested = runner.invoke(cli, ["ingest", "docs", "--agent", "qa", "--domain", "forms", "--no-progress"])
    assert ingested.exit_code == 0, ingested.output
    assert "domain_knowledge 1" in ingested.output
    refused = runner.invoke(cli, ["ingest", "docs", "--agent", "qa", "--domain", "billing", "--json"])
    assert refused.exit_code == 4 and json.loads(refused.stdout)["error"]["type"] == "ScopeViolationError"
    misuse = runner.invoke(cli, ["ingest", "docs", "--agent", "qa", "--user-id", "dana"])
    assert misuse.exit_code == 2


def test_init_for_neo4j_and_demo(tmp_path, monkeypatch, embedder):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["init", "--storage", "neo4j", "--config", "conf/alma.yaml", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["storage"] == "neo4j"
    assert load_config(tmp_path / "conf" / "alma.yaml").storage == "neo4j"

    demo = runner.invoke(cli, ["demo", "--storage-dir", str(tmp_path / "demo")])
    assert demo.exit_code == 0, demo.output
    assert "heuristic appeared" in demo.output and "ScopeViolationError" in demo.output
