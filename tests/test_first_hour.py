"""What a new user meets in the first hour (issue 11): each item stays fixed.

The CLI items run the installed ``alma-graph`` entry point in a subprocess, as a user does."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from alma_graph import ALMA, cli
from alma_graph.config import load_config, parse_config
from alma_graph.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def readme_config() -> str:
    [block] = [b for lang, b in re.findall(r"```(\w+)[^\n]*\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
               if lang == "yaml" and "project_id" in b]
    return block


# -- 2. a backend's settings are resolved only when that backend is used -----------------------

def test_the_readme_config_works_as_pasted_without_neo4j_password(tmp_path, monkeypatch, embedder):
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    (tmp_path / ".alma").mkdir()
    (tmp_path / ".alma" / "config.yaml").write_text(readme_config())
    config = load_config(tmp_path / ".alma" / "config.yaml")
    assert config.storage == "kuzu" and config.neo4j.password is None
    with ALMA(config, embedder=embedder) as alma:
        assert alma.stats()["storage"] == "kuzu"


def test_the_neo4j_password_is_still_required_when_neo4j_is_used(monkeypatch):
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    data = yaml.safe_load(readme_config())
    data["alma"]["storage"] = "neo4j"
    try:
        parse_config(data)
    except ConfigError as exc:
        assert "alma.neo4j.password" in str(exc) and "NEO4J_PASSWORD" in str(exc)
    else:
        raise AssertionError("storage: neo4j without NEO4J_PASSWORD must be a ConfigError")


def test_an_unused_backend_section_is_still_checked_for_unknown_keys(monkeypatch):
    try:
        parse_config({"alma": {"storage": "kuzu", "neo4j": {"pasword": "x"}}})
    except ConfigError as exc:
        assert "did you mean 'password'" in str(exc)
    else:
        raise AssertionError("a typo in neo4j: must be an error even with storage: kuzu")


# -- 15. the LoCoMo runner names its data relative to the repository ----------------------------

def test_benchmark_docstrings_name_no_machine_path():
    for script in sorted((ROOT / "benchmarks").glob("*.py")):
        doc = ast.get_docstring(ast.parse(script.read_text())) or ""
        assert not re.search(r"(?<![\w.~])/(?:work|home|Users|root)/", doc), f"{script.name}: {doc[:200]}"
    doc = ast.get_docstring(ast.parse((ROOT / "benchmarks" / "locomo.py").read_text()))
    assert "../shared/data/locomo" in doc


def test_the_locomo_default_data_is_beside_the_checkout():
    import runpy  # the script's globals, without running its main

    namespace = runpy.run_path(str(ROOT / "benchmarks" / "locomo.py"), run_name="not_main")
    assert Path(namespace["DEFAULT_DATA"]) == ROOT.parent / "shared" / "data" / "locomo"


# -- the CLI (items 5-10): in-process through click's runner, and as a subprocess where it matters --

@pytest.fixture
def cli_store(store_config, embedder, tmp_path, monkeypatch):
    """A config file for the backend under test, with three of qa's memories and one of dev's."""
    monkeypatch.chdir(tmp_path)
    config = tmp_path / ".alma" / "config.yaml"
    config.parent.mkdir()
    config.write_text(yaml.safe_dump({"alma": store_config}))
    with ALMA(load_config(config), embedder=embedder) as alma:
        ids = [alma.add_knowledge("qa", "testing", f"The staging login form locks after {n} failed attempts").id
               for n in (3, 5, 7)]
        ids.append(alma.add_knowledge("dev", "infra", "The deploy pipeline runs on Fridays").id)
    return config, ids


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli.main, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def live_ids(config, embedder) -> set[str]:
    with ALMA(load_config(config), embedder=embedder) as alma:
        return {r["id"] for r in alma.store.find_memories(archived=False)}


def test_forget_without_yes_archives_nothing_and_says_how(cli_store, embedder):
    config, ids = cli_store
    result = run("forget", "--agent", "qa", "--config", str(config))
    assert result.exit_code == 2 and "--yes" in result.output
    assert live_ids(config, embedder) == set(ids)


def test_forget_dry_run_lists_the_ids_and_archives_nothing(cli_store, embedder):
    config, ids = cli_store
    result = run("forget", "--agent", "qa", "--dry-run", "--json", "--config", str(config))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["dry_run"] is True and data["archived"] == 0 and set(data["memory_ids"]) == set(ids[:3])
    text = run("forget", "--agent", "qa", "--dry-run", "--config", str(config)).output
    assert "would archive 3 memories" in text and all(i in text for i in ids[:3])
    assert live_ids(config, embedder) == set(ids)


def test_forget_asks_at_a_terminal_and_prints_what_it_archived(cli_store, embedder, monkeypatch):
    config, ids = cli_store
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    declined = run("forget", "--agent", "qa", "--config", str(config), input="n\n")
    assert "Archive these 3 memories?" in declined.output and live_ids(config, embedder) == set(ids)
    accepted = run("forget", "--agent", "qa", "--config", str(config), input="y\n")
    assert accepted.exit_code == 0 and "archived 3 memories" in accepted.output
    assert all(i in accepted.output for i in ids[:3])
    assert live_ids(config, embedder) == {ids[3]}


def test_archived_and_audit_make_restore_usable_from_the_cli(cli_store, embedder):
    config, ids = cli_store
    assert run("forget", "--agent", "qa", "--yes", "--config", str(config)).exit_code == 0
    listed = json.loads(run("archived", "--json", "--config", str(config)).stdout)
    assert {m["id"] for m in listed["archived"]} == set(ids[:3])
    log = json.loads(run("audit", "--json", "--config", str(config)).stdout)["audit"]
    assert log[0]["action"] == "forget" and set(log[0]["memory_ids"]) == set(ids[:3])
    assert ids[0][:8] in run("audit", "--config", str(config)).output
    restored = run("restore", ids[0][:8], "--config", str(config))  # the 8 characters the tables print
    assert restored.exit_code == 0 and "restored 1 memories" in restored.output
    assert live_ids(config, embedder) == {ids[0], ids[3]}


def test_id_prefixes_like_git(cli_store, embedder):
    config, ids = cli_store
    result = run("forget", "--id", ids[1][:8], "--yes", "--json", "--config", str(config))
    assert json.loads(result.stdout)["memory_ids"] == [ids[1]]
    unknown = run("restore", "ffffffff-0000", "--json", "--config", str(config))
    assert unknown.exit_code == 2 and json.loads(unknown.stdout)["error"]["type"] == "MemoryNotFoundError"
    assert run("forget", "--id", "0000dead", "--yes", "--config", str(config)).exit_code == 2


def test_an_ambiguous_prefix_is_refused_with_the_candidates(cli_store, embedder):
    config, _ = cli_store
    twins = ["abcd1111-0000-4000-8000-000000000001", "abcd2222-0000-4000-8000-000000000002"]
    with ALMA(load_config(config), embedder=embedder) as alma:
        alma.add_knowledge_batch([{"agent": "qa", "domain": "testing", "fact": f"Twin fact {n}", "id": i}
                                  for n, i in enumerate(twins)])
    result = run("forget", "--id", "abcd", "--yes", "--config", str(config))
    assert result.exit_code == 2 and "ambiguous" in result.output and all(i in result.output for i in twins)
    assert run("forget", "--id", "abcd2", "--yes", "--config", str(config)).exit_code == 0
    assert live_ids(config, embedder).isdisjoint({twins[1]}) and twins[0] in live_ids(config, embedder)


def test_json_usage_errors_and_config_before_the_command(cli_store):
    config, ids = cli_store
    for args in (["--json", "stats", "--bogus"], ["stats", "--bogus", "--json"], ["--json", "no-such-command"]):
        result = run(*args)
        assert result.exit_code == 2, args
        error = json.loads(result.stdout)["error"]
        assert error["type"] == "UsageError" and error["exit_code"] == 2 and error["message"]
    before = run("--config", str(config), "--json", "stats")
    after = run("stats", "--config", str(config), "--json")
    assert before.exit_code == after.exit_code == 0
    assert json.loads(before.stdout)["total_memories"] == json.loads(after.stdout)["total_memories"] == len(ids)
    missing = run("--config", "nowhere.yaml", "--json", "stats")
    assert missing.exit_code == 3 and json.loads(missing.stdout)["error"]["type"] == "ConfigError"


HEAVY = ("torch", "sentence_transformers", "transformers", "spacy")
PROBE = """
import json, sys
from alma_graph import cli
from alma_graph.alma import ALMA
from alma_graph.config import load_config
config, memory_id = sys.argv[1], sys.argv[2]
for args in (["stats"], ["forget", "--agent", "qa", "--dry-run"], ["forget", "--id", memory_id[:8], "--yes"],
             ["archived"], ["audit"], ["restore", memory_id[:8]], ["export", "backup.jsonl"]):
    try:
        cli.main(["--config", config, "--json", *args], standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, (args, exc.code)
loaded = sorted(m for m in %r if m in sys.modules)
with ALMA(load_config(config)) as alma:
    first = alma.retrieve("How many failed attempts lock the login form?", "qa")
    second = alma.retrieve("When does the deploy pipeline run?", "qa")
print(json.dumps({"loaded": loaded, "first": [first.load_time_ms, first.retrieval_time_ms],
                  "second": [second.load_time_ms, second.retrieval_time_ms]}))
""" % (HEAVY,)


def test_commands_that_need_no_model_load_none_and_load_time_is_reported_apart(cli_store):
    config, ids = cli_store
    done = subprocess.run([sys.executable, "-c", PROBE, str(config), ids[0]], capture_output=True, text=True,
                          timeout=600, cwd=config.parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["loaded"] == []  # stats, forget, archived, audit, restore, export: no torch, no spaCy
    assert report["first"][0] > 0  # the first retrieve in a process loads the models, and says so apart
    assert report["second"][0] == 0


def test_bench_writes_its_results_into_the_current_folder(tmp_path):
    checkout_results = ROOT / "benchmarks" / "results"
    before = {p.name: p.stat().st_mtime for p in checkout_results.glob("*.json")}
    entry = Path(sys.executable).parent / "alma-graph"
    done = subprocess.run([str(entry), "bench", "--sizes", "20", "--queries", "2", "--recipes", "similarity_only"],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path, env={**os.environ})
    assert done.returncode == 0, done.stderr[-2000:]
    written = tmp_path / "retrieve_latency_kuzu.json"
    assert json.loads(written.read_text())["benchmark"] == "retrieve_latency_kuzu"
    assert {p.name: p.stat().st_mtime for p in checkout_results.glob("*.json")} == before


# -- 9. the ingestion report ------------------------------------------------------------------------

def test_duplicates_within_the_input_are_named_as_such_and_written_once(alma, tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    repeated = ("The billing job runs on Kubernetes in the payments cluster and reads its settings, "
                "including the database password, from Vault at start.")
    other = ("Alpha is the first service a request meets: it checks the session cookie, then routes the "
             "request to billing, search or the account pages.")
    (docs / "a.md").write_text(f"# A\n\n{repeated}\n\n{other}\n\n{repeated}\n")
    (docs / "b.md").write_text(f"# B\n\n{repeated}\n")
    report = alma.ingest_directory(docs, agent="dev", chunk_chars=200, show_progress=True)
    progress = capsys.readouterr().err
    assert "loading models" in progress and progress.index("loading models") < progress.index("ingest directory")
    assert report.duplicates_in_input["domain_knowledge"] == 2 and not report.duplicates
    summary = report.summary()
    assert "duplicate within the input (written once): 2" in summary and "already present (skipped): 0" in summary
    found = alma.retrieve("Where does the billing job read its settings from?", "dev", top_k=5)
    assert sum(repeated in m.fact for m in found.domain_knowledge) == 1
    again = alma.ingest_directory(docs, agent="dev", chunk_chars=200, show_progress=False)
    assert again.total_added == 0 and again.total_duplicates == report.total_added


# -- 14. docs/neo4j.md says what its startup time is, and where it was measured ----------------------

def test_the_neo4j_startup_time_says_what_was_measured_and_where():
    text = " ".join((ROOT / "docs" / "neo4j.md").read_text().split())
    assert "about 10 seconds" not in text and "about 10 s " not in text
    claim = re.search(r"It prints how long it took to start.*?bounds the wait\.", text)
    assert claim, "the startup paragraph is missing"
    assert "startup_seconds" in claim.group(0)  # what: the launcher's own measurement
    assert re.search(r"\d+-vCPU|\d+ cores", claim.group(0)) and re.search(r"\d+ s\b", claim.group(0))  # where, how long
