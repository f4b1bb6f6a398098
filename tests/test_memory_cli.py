"""The CLI commands get / list / update / history / delete / erase-user, run through the
real click entry point in this process (the model loads once), on both backends."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from alma_graph.interfaces import exitcodes
from alma_graph.cli import main


@pytest.fixture
def cli(store_config, tmp_path, embedder):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"alma": {**store_config, "agents": {"dev": {"share_with": ["qa"]}, "qa": {}}}}))
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, [*args, "--config", str(config)], catch_exceptions=False)
        return result.exit_code, result.output

    return run


def as_json(run, *args: str):
    code, out = run(*args, "--json")
    assert code == 0, out
    return json.loads(out)


def test_get_list_update_history_delete(cli):
    added = as_json(cli, "add-knowledge", "The Nimbleford cluster runs Kafka 3.7.", "--agent", "dev", "--domain", "infra")
    memory_id = added["knowledge"]["id"]
    assert as_json(cli, "get", memory_id[:8], "--agent", "qa")["memory"]["shared_from"] == "dev"
    code, out = cli("get", memory_id, "--agent", "nobody")
    assert code == exitcodes.USAGE and "MemoryNotFoundError" in out

    updated = as_json(cli, "update", memory_id, "--agent", "dev", "--text", "The Nimbleford cluster runs Kafka 3.8.",
                      "--metadata", '{"ticket": "OPS-1"}')
    new_id = updated["memory"]["id"]
    assert updated["supersedes"] == memory_id and updated["memory"]["metadata"] == {"ticket": "OPS-1"}
    code, out = cli("update", new_id, "--agent", "qa", "--text", "x")
    assert code == exitcodes.SCOPE
    code, out = cli("update", new_id, "--agent", "dev", "--metadata", "{not json")
    assert code == exitcodes.USAGE and "--metadata" in out

    versions = as_json(cli, "history", memory_id, "--agent", "dev")["versions"]
    assert [v["id"] for v in versions] == [new_id, memory_id]
    code, out = cli("history", new_id, "--agent", "dev")
    assert code == 0 and "archived" in out and "Kafka 3.7" in out

    listed = as_json(cli, "list", "--agent", "dev", "--limit", "1")
    assert [m["id"] for m in listed["memories"]] == [new_id] and listed["next_cursor"] is None
    assert len(as_json(cli, "list", "--agent", "dev", "--archived")["memories"]) == 2

    # --hard without --yes and without a terminal: refused, nothing erased
    code, out = cli("delete", new_id, "--agent", "dev", "--hard")
    assert code == exitcodes.USAGE and "--yes" in out
    assert as_json(cli, "get", new_id, "--agent", "dev")["memory"]["id"] == new_id
    erased = as_json(cli, "delete", new_id, "--agent", "dev", "--hard", "--yes")
    assert erased["hard"] is True and erased["memories"] == 2
    code, _ = cli("get", memory_id, "--agent", "dev")
    assert code == exitcodes.USAGE


def test_soft_delete_and_erase_user(cli):
    added = as_json(cli, "add-knowledge", "Staging deploys happen on Tuesdays.", "--agent", "dev", "--domain", "infra")
    code, out = cli("delete", added["knowledge"]["id"], "--agent", "dev")
    assert code == 0 and "archived 1 memory" in out and "restore" in out
    code, out = cli("erase-user", "dana")
    assert code == exitcodes.USAGE and "--yes" in out
    result = as_json(cli, "erase-user", "dana", "--yes")
    assert result == {"user_id": "dana", "memories": 0, "facts": 0, "entities": 0, "tasks": 0, "concepts": 0, "users": 0}
