"""Every code block of README.md and docs/*.md runs as written (issue 11, item 1).

The collector is generic: a new doc under docs/ is picked up without touching this file.
What a block is comes from its fence's language, so every block is accounted for:

| language | what the test does |
|---|---|
| `python` | run, every block of a doc in order in one namespace, in a fresh temp folder (the cwd) that holds the config `alma-graph init` writes (unless the doc runs `alma-graph init` itself) |
| `bash` | run with `bash -e` in that folder, with `alma-graph` (the installed entry point) on `PATH` |
| `console` | shown, not run: long-running servers, Docker, make, downloads, benchmarks |
| `yaml` | parsed; one with an `alma:` root is validated as a config |
| `json` | parsed |
| `cypher` | run against a real Neo4j server by tests/test_neo4j_docs.py |
| `text` | diagrams, synopses, output: nothing to run |

A fence may name a file (```` ```yaml file=.alma/config.yaml ````): the block is written there
before the doc's Python and shell blocks run. A doc whose files configure ``storage: neo4j`` runs
against the session's Neo4j server (``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD`` set).
A fence with no language or another language fails the test: say what the block is.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import BACKENDS, IN_CI

from alma_graph.config import parse_config
from alma_graph.interfaces.config_template import CONFIG_TEMPLATE

ROOT = Path(__file__).resolve().parent.parent
RUN, SHELL, SHOWN, YAML, JSON, CYPHER, TEXT = "python", "bash", "console", "yaml", "json", "cypher", "text"
KNOWN = {RUN, SHELL, SHOWN, YAML, JSON, CYPHER, TEXT}
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)
# Shell blocks another test runs against what they need (a live `alma-graph serve`).
SHELL_RUN_ELSEWHERE = {"docs/service.md": "tests/test_service.py::test_the_curl_examples_of_docs_service_md_run"}
PLACEHOLDER_ENV = {"ALMA_WEBHOOK_SECRET": "docs-test-secret", "ALMA_GRAPH_MCP_TOKEN": "docs-test-token"}


@dataclass
class Block:
    doc: str
    line: int
    language: str
    file: str | None
    code: str

    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        info = match.group(1).split()
        language = info[0] if info else ""
        options = dict(part.split("=", 1) for part in info[1:] if "=" in part)
        found.append(Block(path.relative_to(ROOT).as_posix(), text[:match.start()].count("\n") + 1, language,
                           options.get("file"), match.group(2)))
    return found


ALL = [b for doc in documents() for b in blocks(doc)]


def test_every_block_says_what_it_is():
    unmarked = [f"{b.where()} ({b.language or 'no language'})" for b in ALL if b.language not in KNOWN]
    assert not unmarked, f"mark these blocks with one of {sorted(KNOWN)}: {unmarked}"
    assert any(b.doc == "README.md" and b.language == RUN for b in ALL)


@pytest.mark.parametrize("block", [b for b in ALL if b.language in (YAML, JSON)], ids=Block.where)
def test_config_and_data_blocks_parse(block, monkeypatch):
    for name, value in PLACEHOLDER_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NEO4J_PASSWORD", "docs-test-password")
    if block.language == JSON:
        json.loads(block.code)
        return
    data = yaml.safe_load(block.code)
    if isinstance(data, dict) and "alma" in data:
        parse_config(data, block.where())


def test_cypher_blocks_are_where_a_real_server_runs_them():
    # tests/test_neo4j_docs.py runs every Cypher block of docs/neo4j.md against a real server.
    assert {b.doc for b in ALL if b.language == CYPHER} <= {"docs/neo4j.md"}


def runnable_docs() -> list[str]:
    return sorted({b.doc for b in ALL if b.language == RUN or (b.language == SHELL and b.doc not in SHELL_RUN_ELSEWHERE)})


def test_shell_blocks_run_elsewhere_are_run_there():
    for doc, test in SHELL_RUN_ELSEWHERE.items():
        path, name = test.split("::")
        assert f"def {name}(" in (ROOT / path).read_text() and Path(doc).name in (ROOT / path).read_text()


def _needs_neo4j(doc_blocks: list[Block]) -> bool:
    return any(b.file and re.search(r"storage:\s*neo4j", b.code) for b in doc_blocks)


@pytest.mark.parametrize("doc", runnable_docs())
def test_the_doc_runs_as_written(doc, tmp_path, monkeypatch, request, capsys):
    from alma_graph.interfaces.tools import RESOURCES, TOOLS

    doc_blocks = [b for b in ALL if b.doc == doc]
    env = dict(PLACEHOLDER_ENV)
    if _needs_neo4j(doc_blocks):
        if "neo4j" not in BACKENDS:
            if IN_CI:
                pytest.fail(f"{doc} needs the Neo4j server")
            pytest.skip(f"{doc} needs the Neo4j server (ALMA_GRAPH_TEST_BACKENDS has no neo4j)")
        server = request.getfixturevalue("neo4j_server")
        env.update(NEO4J_URI=server.uri, NEO4J_USER=server.user, NEO4J_PASSWORD=server.password)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    # A fresh project, as `alma-graph init` leaves it (unless the doc runs init itself), then
    # the files the doc writes down.
    if not any(b.language == SHELL and re.search(r"^alma-graph init\s*$", b.code, re.M) for b in doc_blocks):
        (tmp_path / ".alma").mkdir()
        (tmp_path / ".alma" / "config.yaml").write_text(CONFIG_TEMPLATE.format(project_id="docs", storage="kuzu"))
    for block in doc_blocks:
        if block.file:
            target = tmp_path / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code)

    tools, resources = dict(TOOLS), dict(RESOURCES)  # a doc may show how to register a tool
    namespace: dict = {"__name__": "__docs__"}
    try:
        for block in doc_blocks:
            if block.language == RUN:
                exec(compile(block.code, block.where(), "exec"), namespace)
            elif block.language == SHELL and doc not in SHELL_RUN_ELSEWHERE:
                _close_stores(namespace)  # embedded Kuzu: one process at a time
                _run_shell(block, tmp_path)
    finally:
        _close_stores(namespace)
        TOOLS.clear()
        TOOLS.update(tools)
        RESOURCES.clear()
        RESOURCES.update(resources)


def _close_stores(namespace: dict) -> None:
    from alma_graph import ALMA

    for value in list(namespace.values()):
        if isinstance(value, ALMA):
            value.close()


def _run_shell(block: Block, folder: Path) -> None:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.code], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{block.where()} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
