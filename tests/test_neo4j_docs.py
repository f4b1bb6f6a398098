"""docs/neo4j.md and docker/ stay true: every Cypher query in the doc runs on a real
server and finds what it promises; the Browser style covers every label; the
Docker config is one alma_graph accepts."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import yaml
from conftest import BACKENDS

from alma_graph import ALMA
from alma_graph.config import load_config
from alma_graph.graph_model import EDGE_PROPERTIES, MEMORY_PROPERTIES, NODE_PROPERTIES, Edge, Node
from alma_graph.queries.neo4j import KIND_LABELS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "neo4j.md"
GRASS = ROOT / "docker" / "browser-style.grass"


def cypher_blocks() -> list[str]:
    blocks = re.findall(r"```cypher\n(.*?)```", DOC.read_text(), flags=re.S)
    statements = []
    for block in blocks:
        lines = [line for line in block.splitlines() if not line.startswith(":param")]
        if any(line.strip() for line in lines):
            statements.append("\n".join(lines))
    return statements


@pytest.mark.skipif("neo4j" not in BACKENDS, reason="Neo4j backend not selected")
def test_every_cypher_query_in_the_doc_finds_what_it_promises(neo4j_server, embedder, tmp_path):
    agents = {"senior_dev": {"share_with": ["junior_dev"]}, "lead": {},
              "junior_dev": {"inherit_from": ["lead"], "min_occurrences_for_heuristic": 2}}
    settings = {"storage": "neo4j", "project_id": f"t{uuid.uuid4().hex[:12]}", "agents": agents,
                "storage_dir": str(tmp_path / "store"),
                "neo4j": {"uri": neo4j_server.uri, "user": neo4j_server.user, "password": neo4j_server.password}}
    with ALMA(settings, embedder=embedder) as alma:
        alma.add_knowledge("lead", "architecture", "The payments API depends on Redis")
        alma.add_knowledge("senior_dev", "architecture", "Alice Chen maintains the payments API at Acme Corp")
        for i in range(2):
            alma.learn("junior_dev", f"Deploy the billing service, attempt {i}", False, "Deploy on Friday evening",
                       task_type="deploys", error_message="Nobody was on call")
        statements = cypher_blocks()
        assert len(statements) >= 6
        for statement in statements:
            rows = alma.store.run(statement, {"project": alma.config.project_id})
            assert rows, f"no rows from:\n{statement}"
        table = alma.store.run(statements[1], {"project": alma.config.project_id})
        assert {(r["from_agent"], r["how"]) for r in table} == {("lead", "inherits"), ("senior_dev", "shared with it")}
        [pattern] = alma.store.run(statements[3], {"project": alma.config.project_id})
        assert len(pattern["failures"]) == 2


def test_the_browser_style_colours_and_captions_every_label():
    text = GRASS.read_text()
    rules = dict(re.findall(r"^(node(?:\.\w+)?|relationship(?:\.\w+)?)\s*\{(.*?)^\}", text, flags=re.S | re.M))
    properties = {node.value: NODE_PROPERTIES[node] for node in Node}
    properties.update({label: MEMORY_PROPERTIES for label in KIND_LABELS.values()})
    for label in [n.value for n in Node if n is not Node.MEMORY] + list(KIND_LABELS.values()):
        body = rules.get(f"node.{label}")
        assert body is not None, f"no style for :{label}"
        assert re.search(r"\bcolor:\s*#[0-9A-Fa-f]{6};", body), f":{label} has no colour"
        caption = re.search(r'caption:\s*"\{(\w+)\}";', body)
        assert caption and caption.group(1) in properties[label], f":{label} caption is not one of its properties"
    for selector, body in rules.items():
        if selector.startswith("relationship."):
            edge = Edge(selector.split(".", 1)[1])
            for name in re.findall(r"\{(\w+)\}", body):
                assert name in EDGE_PROPERTIES.get(edge, {})


def test_the_docker_setup_is_consistent(monkeypatch):
    compose = yaml.safe_load((ROOT / "docker" / "docker-compose.yml").read_text())
    neo4j, service = compose["services"]["neo4j"], compose["services"]["alma"]
    assert neo4j["image"] == "neo4j:5" and {"7474:7474", "7687:7687"} <= set(neo4j["ports"])
    assert "NEO4J_PASSWORD" in neo4j["environment"]["NEO4J_AUTH"]
    dockerfile = (ROOT / service["build"]["dockerfile"]).read_text()  # relative to the context, the repo root
    assert 'ENTRYPOINT ["python", "-m", "alma_graph.mcp"]' in dockerfile

    for name, value in {"NEO4J_URI": "bolt://neo4j:7687", "NEO4J_PASSWORD": "secret-password", "ALMA_PROJECT_ID": "team"}.items():
        monkeypatch.setenv(name, value)
    config = load_config(ROOT / "docker" / "config.yaml")
    assert (config.storage, config.project_id, config.neo4j.uri, config.neo4j.password) == (
        "neo4j", "team", "bolt://neo4j:7687", "secret-password")
