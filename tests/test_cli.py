"""The installed ``alma-graph`` entry point, run in a subprocess as a user or a script would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alma_graph.config import load_config

ALMA_GRAPH = Path(sys.executable).parent / "alma-graph"
pytestmark = pytest.mark.skipif(not ALMA_GRAPH.exists(), reason=f"{ALMA_GRAPH} is not installed (run scripts/bootstrap.sh)")


def run(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLUMNS": "200"}
    env.pop("ALMA_GRAPH_CONFIG", None)
    return subprocess.run([str(ALMA_GRAPH), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A folder with a config written by `alma-graph init` and one agent with a scope."""
    folder = tmp_path_factory.mktemp("cli-project")
    result = run("init", cwd=folder)
    assert result.returncode == 0, result.stderr
    config = folder / ".alma" / "config.yaml"
    data = yaml.safe_load(config.read_text())
    data["alma"]["agents"] = {"qa": {"can_learn": ["form_testing", "testing_strategy"]}}
    config.write_text(yaml.safe_dump(data))
    return folder


def test_init_writes_a_valid_commented_config_and_refuses_to_overwrite(tmp_path):
    result = run("init", "--project-id", "shop", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = tmp_path / ".alma" / "config.yaml"
    text = config.read_text()
    assert text.count("#") > 10 and "can_learn" in text  # commented, with the agent example
    loaded = load_config(config)
    assert loaded.project_id == "shop" and loaded.storage == "kuzu"
    assert loaded.storage_dir == str((tmp_path / ".alma").resolve())

    again = run("init", "--project-id", "other", cwd=tmp_path)
    assert again.returncode == 3 and "already exists" in again.stderr
    assert config.read_text() == text


def test_learn_retrieve_stats(project):
    # each learn / retrieve loads the embedding model in its own process: keep them few
    learned = run("learn", "--agent", "qa", "--task", "Test the login form with an invalid email",
                  "--strategy", "Boundary-value tests on every field", "--outcome", "success",
                  "--task-type", "form_testing", "--json", cwd=project)
    assert learned.returncode == 0, learned.stderr
    outcome = json.loads(learned.stdout)["outcome"]
    assert outcome["success"] is True and outcome["task_type"] == "form_testing"

    retrieved = run("retrieve", "Test the password reset form", "--agent", "qa", "--json", cwd=project)
    assert retrieved.returncode == 0, retrieved.stderr
    data = json.loads(retrieved.stdout)
    assert data["agent"] == "qa" and data["total_items"] == 1
    assert outcome["id"] in {o["id"] for o in data["outcomes"]}
    assert "Boundary-value tests on every field" in data["prompt"]
    assert all(isinstance(o["created_at"], str) for o in data["outcomes"])  # ISO strings

    stats = run("stats", "--json", cwd=project)
    assert stats.returncode == 0, stats.stderr
    figures = json.loads(stats.stdout)
    assert figures["by_kind"]["outcome"] == 1 and figures["by_agent"] == {"qa": 1}
    readable = run("stats", cwd=project)
    assert readable.returncode == 0 and "outcome" in readable.stdout and "qa" in readable.stdout


def test_a_scope_violation_exits_4_and_writes_nothing(project):
    result = run("learn", "-a", "qa", "-t", "Reset a production password", "-s", "SSH into prod", "-o", "success",
                 "--task-type", "production_access", "--json", cwd=project)
    assert result.returncode == 4
    assert json.loads(result.stdout)["error"]["type"] == "ScopeViolationError"
    assert "production_access" in result.stderr
    knowledge = run("add-knowledge", "Prod runs on Postgres 15", "-a", "qa", "-d", "databases", cwd=project)
    assert knowledge.returncode == 4


def test_config_errors_exit_3(tmp_path):
    missing = run("stats", "--config", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert missing.returncode == 3 and "does not exist" in missing.stderr and "alma-graph init" in missing.stderr

    bad = tmp_path / "bad.yaml"
    bad.write_text("alma:\n  storage: kuzu\n  retrieval: {default_top_kk: 3}\n")
    typo = run("stats", "--config", str(bad), "--json", cwd=tmp_path)
    assert typo.returncode == 3
    error = json.loads(typo.stdout)["error"]
    assert error["type"] == "ConfigError" and "default_top_k" in error["message"]


def test_usage_and_validation_errors_exit_2(project):
    assert run("retrieve", "a task", cwd=project).returncode == 2  # --agent missing
    assert run("frobnicate", cwd=project).returncode == 2
    empty = run("retrieve", "   ", "--agent", "qa", cwd=project)
    assert empty.returncode == 2 and "ValidationError" in empty.stderr
    bad_outcome = run("learn", "-a", "qa", "-t", "x", "-s", "y", "-o", "maybe", cwd=project)
    assert bad_outcome.returncode == 2 and "outcome must be" in bad_outcome.stderr
    unknown_agent = run("stats", "--agent", "ghost", cwd=project)
    assert unknown_agent.returncode == 2 and "UnknownAgentError" in unknown_agent.stderr


def test_help_lists_the_commands(tmp_path):
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("init", "demo", "retrieve", "learn", "add-knowledge", "stats", "forget", "serve", "bench"):
        assert command in result.stdout
    serve = run("serve", "mcp", "--help", cwd=tmp_path)
    assert serve.returncode == 0 and "--transport" in serve.stdout and "ALMA_GRAPH_MCP_TOKEN" in serve.stdout


def test_export_then_import_into_another_project(tmp_path):
    source, target = tmp_path / "source", tmp_path / "target"
    for folder, name in ((source, "src"), (target, "dst")):
        folder.mkdir()
        assert run("init", "--project-id", name, cwd=folder).returncode == 0
    added = run("add-knowledge", "Bob works at Globex.", "--agent", "dev", "--domain", "infra",
                cwd=source)
    assert added.returncode == 0, added.stderr
    backup = tmp_path / "backup.jsonl"
    exported = run("export", str(backup), "--json", cwd=source)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["nodes"]["Memory"] == 1

    for attempt in range(2):  # importing twice adds nothing
        imported = run("import", str(backup), "--json", cwd=target)
        assert imported.returncode == 0, imported.stderr
    stats = json.loads(run("stats", "--json", cwd=target).stdout)
    assert stats["project_id"] == "dst" and stats["total_memories"] == 1 and stats["by_agent"] == {"dev": 1}
    assert run("import", str(tmp_path / "missing.jsonl"), cwd=target).returncode == 2
