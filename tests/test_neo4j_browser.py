"""docs/neo4j.md's "Look at it in Neo4j Browser", done in a real browser: Neo4j Browser's
own files (from Maven Central) in headless chromium, connected over Bolt-on-WebSocket to
the test's Neo4j server, the project's style loaded with ``:style URL``, a documented
query run; its nodes must render in Browser's graph view with the style's colours."""

from __future__ import annotations

import re
import shutil
import uuid
from urllib.parse import quote

import pytest
from browser_support import ROOT, StaticServer, chromium, save_screenshot, unpack_neo4j_browser  # noqa: F401
from conftest import BACKENDS
from test_neo4j_docs import cypher_blocks

from alma_graph import ALMA

GRASS = ROOT / "docker" / "browser-style.grass"
AGENT_BLUE, KNOWLEDGE_PURPLE = "#4C8EDA", "#C990C0"  # node.Agent / node.DomainKnowledge in the style


@pytest.fixture(scope="module")
def browser_files(tmp_path_factory):
    """Neo4j Browser's static files with the project's style beside them, on a local port."""
    files = unpack_neo4j_browser(tmp_path_factory.mktemp("neo4j-browser"))
    shutil.copyfile(GRASS, files / GRASS.name)
    server = StaticServer(files)
    yield server
    server.close()


@pytest.mark.skipif("neo4j" not in BACKENDS, reason="Neo4j backend not selected")
def test_neo4j_browser_draws_a_documented_query_with_the_project_style(
        neo4j_server, embedder, tmp_path, browser_files, chromium):  # noqa: F811 - fixtures
    project = f"t{uuid.uuid4().hex[:12]}"
    agents = {"senior_dev": {"share_with": ["junior_dev"]}, "lead": {}, "junior_dev": {"inherit_from": ["lead"]}}
    settings = {"storage": "neo4j", "project_id": project, "agents": agents, "storage_dir": str(tmp_path / "store"),
                "neo4j": {"uri": neo4j_server.uri, "user": neo4j_server.user, "password": neo4j_server.password}}
    with ALMA(settings, embedder=embedder) as alma:
        alma.add_knowledge("lead", "architecture", "The payments API depends on Redis")
        alma.add_knowledge("senior_dev", "architecture", "Alice Chen maintains the payments API at Acme Corp")

    inherits_query = cypher_blocks()[0]  # "What junior_dev inherits, and from whom", as paths
    assert "INHERITS_FROM" in inherits_query and "RETURN p" in inherits_query

    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    # Browser's own URL parameters: the Bolt address to connect to. Served from
    # "localhost" because Browser fetches remote styles only from allow-listed hosts.
    base = browser_files.url("localhost")
    page.goto(f"{base}/?dbms={quote(neo4j_server.uri, safe='')}")
    page.get_by_test_id("username").fill(neo4j_server.user)
    page.get_by_test_id("password").fill(neo4j_server.password)
    page.get_by_test_id("connect").click()
    page.get_by_text("You are connected as user", exact=False).first.wait_for(timeout=30_000)

    def run(command: str) -> None:
        editor = page.get_by_test_id("activeEditor")
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.insert_text(command)
        page.get_by_test_id("editor-Run").click()

    run(f":style {base}/{GRASS.name}")
    page.get_by_test_id("frame").filter(has_text="node.Agent").first.wait_for(timeout=15_000)
    run(f":param project => '{project}'")
    page.get_by_test_id("frame").filter(has_text=project).first.wait_for(timeout=15_000)
    run(inherits_query)

    nodes = page.locator("svg.neod3viz g.node")
    nodes.first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # let the force layout settle before the screenshot
    fills = {fill.upper() for fill in nodes.locator("circle.b-outline").evaluate_all(
        "circles => circles.map(c => c.getAttribute('fill'))") if fill}
    captions = " ".join(nodes.locator("text").evaluate_all("texts => texts.map(t => t.textContent || '')"))
    save_screenshot(page, "neo4j-browser", docs_name="neo4j-browser")

    # junior_dev -> lead -> "The payments API depends on Redis", and senior_dev's shared fact.
    assert nodes.count() >= 5, console[-20:]
    assert AGENT_BLUE in fills and KNOWLEDGE_PURPLE in fills, fills  # the style was applied
    assert re.search(r"junior_dev", captions) and re.search(r"lead", captions), captions  # "{name}" captions
    page.close()
