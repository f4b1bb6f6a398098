"""The web viewer at /ui/, in a real browser (Debian's chromium via Playwright) against a
real ``alma-graph serve`` on each backend: sign in with a client token, see the agents and
counts, search with explanations, open a memory and its history, edit it, expand a graph
node by clicking it; a narrower client's token shows none of another agent's memories."""

from __future__ import annotations

import secrets

import pytest
import yaml
from browser_support import RunningService, chromium, save_screenshot  # noqa: F401

from alma_graph import ALMA

AGENTS = {"lead": {"can_learn": ["architecture", "deploys"]}, "junior": {"inherit_from": ["lead"]},
          "senior": {"share_with": ["junior"]}, "other": {}}
SECRET = "The payments API keys rotate every Monday"


@pytest.fixture
def viewer(store_config, embedder, tmp_path):
    """A store with memories of four agents, served with an admin and a read-only junior client."""
    settings = {**store_config, "agents": AGENTS}
    with ALMA(settings, embedder=embedder) as alma:
        first = alma.add_knowledge("lead", "architecture", "The payments API depends on Redis")
        current = alma.update(first.id, "lead", text="The payments API depends on Redis and Postgres")
        alma.add_knowledge("senior", "architecture", "Alice Chen maintains the payments API at Acme Corp")
        for i in range(3):
            alma.learn("lead", f"Deploy the payments API, attempt {i}", True, "Blue-green deploy behind the load balancer",
                       task_type="deploys")
        alma.add_anti_pattern("lead", "Deploying the payments API on Friday evening", "Nobody is on call",
                              better_alternative="Deploy on Tuesday morning")
        secret = alma.add_knowledge("other", "architecture", SECRET)
    tokens = {"admin": secrets.token_hex(16), "junior": secrets.token_hex(16)}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"alma": {**settings, "server": {"clients": {
        "admin": {"token": "${VIEWER_ADMIN_TOKEN}", "agents": ["*"], "users": ["*"]},
        "junior": {"token": "${VIEWER_JUNIOR_TOKEN}", "agents": ["junior"], "users": [], "read_only": True},
    }}}}))
    service = RunningService(config, {"VIEWER_ADMIN_TOKEN": tokens["admin"], "VIEWER_JUNIOR_TOKEN": tokens["junior"]})
    yield {"url": service.url, "tokens": tokens, "first": first.id, "current": current.id, "secret": secret.id}
    service.stop()


def sign_in(chromium, url, token):  # noqa: F811 - the fixture
    page = chromium.new_page(viewport={"width": 1500, "height": 950})
    page.goto(f"{url}/ui/")
    page.fill("#token", token)
    page.click("#sign-in-button")
    page.wait_for_selector("#whoami:not([hidden])")
    page.wait_for_function("() => Number(document.getElementById('graph').dataset.nodes || 0) > 0")
    return page


def graph_node_ids(page) -> set[str]:
    return set(page.evaluate("() => window.viewer.cy.nodes().map(n => n.id())"))


def click_graph_node(page, node_id: str) -> None:
    """A real mouse click on the node where cytoscape drew it on its canvas."""
    box = page.locator("#graph").bounding_box()
    x, y = page.evaluate("id => { const p = window.viewer.cy.getElementById(id).renderedPosition(); return [p.x, p.y]; }",
                         node_id)
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_viewer_signs_in_searches_opens_a_memory_and_expands_the_graph(viewer, chromium, backend):  # noqa: F811
    page = sign_in(chromium, viewer["url"], viewer["tokens"]["admin"])
    assert "admin" in page.inner_text("#whoami")
    agents = page.inner_text("#agents")
    assert "INHERITS_FROM → lead" in agents and "SHARES_WITH → junior" in agents
    assert "may learn: architecture, deploys" in agents
    count = lambda row: int(page.locator(f"#counts tr[{row}] td").nth(1).inner_text())  # noqa: E731
    assert count("data-kind=anti_pattern") == 1 and count("data-kind=heuristic") == 1
    assert count("data-kind=domain_knowledge") == 3  # the current versions only: lead's, senior's, other's
    assert count("data-agent=lead") == 6 and count("data-agent=other") == 1  # 3 outcomes, a heuristic, ...

    # The graph around an entity, then expanded by clicking a memory node.
    page.select_option("#agent", "junior")
    page.fill("#graph-center", "Redis")
    page.select_option("#graph-hops", "1")
    page.click("#graph-form button")
    page.wait_for_function("() => document.getElementById('graph').dataset.center.endsWith('/redis')")
    before = graph_node_ids(page)
    assert viewer["current"] in before  # the memory that mentions Redis
    click_graph_node(page, viewer["current"])
    page.wait_for_function(f"() => window.viewer.cy.getElementById('{viewer['current']}').hasClass('expanded')")
    page.wait_for_selector("#memory[data-memory]")
    after = graph_node_ids(page)
    assert after > before, "clicking the memory added the entities it mentions"
    assert {"Postgres", "API"} <= {page.evaluate(f"() => window.viewer.cy.getElementById({i!r}).data('label')") for i in after}
    page.wait_for_timeout(300)
    save_screenshot(page, f"viewer-graph-{backend}", docs_name="viewer-graph" if backend == "kuzu" else None)

    # Search with explanations: per-signal ranks and the graph path of each result.
    page.fill("#search-input", "Change the payments API")
    page.click("#search-button")
    page.wait_for_selector("#results li[data-memory]")
    results = page.locator("#results li[data-memory]")
    texts = results.all_inner_texts()
    assert any("Redis and Postgres" in t for t in texts) and any("Alice Chen" in t for t in texts)
    assert all("dense #" in t and "bm25 #" in t for t in texts), texts
    assert page.locator("#results .path").count() >= 1
    save_screenshot(page, f"viewer-search-{backend}", docs_name="viewer-search" if backend == "kuzu" else None)

    # Open the edited memory: its details and both versions; then a writer's edit adds a third.
    page.click(f"#results li[data-memory='{viewer['current']}']")
    page.wait_for_selector(f"#memory[data-memory='{viewer['current']}']")
    history = page.locator("#history li").all_inner_texts()
    assert len(history) == 2 and "depends on Redis" in history[0] and "Redis and Postgres" in history[1]
    assert page.locator("#edit-text").count() == 0  # junior only inherits it: no edit controls
    page.select_option("#agent", "lead")  # edits are made as the memory's own agent
    page.wait_for_function("() => document.querySelectorAll('#results li').length === 0")
    page.click("#search-button")
    page.click(f"#results li[data-memory='{viewer['current']}']")
    page.wait_for_selector("#edit-text")
    page.fill("#edit-text", "The payments API depends on Redis, Postgres and Kafka")
    page.click("#save")
    page.wait_for_function("() => document.querySelectorAll('#history li').length === 3")
    assert "Kafka" in page.inner_text("#memory-text")
    save_screenshot(page, f"viewer-memory-history-{backend}", docs_name="viewer-memory-history" if backend == "kuzu" else None)
    assert page.locator("#error").is_hidden()
    page.close()


def test_a_narrower_client_sees_none_of_another_agents_memories(viewer, chromium, backend):  # noqa: F811
    page = sign_in(chromium, viewer["url"], viewer["tokens"]["junior"])
    assert "read-only" in page.inner_text("#whoami")
    assert page.locator("#agent option").all_inner_texts() == ["junior"]
    assert "other" not in page.locator("#agents li").evaluate_all("items => items.map(i => i.dataset.agent)")
    assert page.locator("#counts tr[data-agent=other]").count() == 0
    assert viewer["secret"] not in graph_node_ids(page)

    page.fill("#search-input", "payments API keys")
    page.click("#search-button")
    page.wait_for_selector("#results li")
    assert SECRET not in page.inner_text("#results")
    assert page.locator("#results li[data-memory]").count() >= 1  # it does see its own sources' memories
    page.click("#results li[data-memory] >> nth=0")
    page.wait_for_selector("#memory[data-memory]")
    assert page.locator("#edit-text").count() == 0  # a read-only client gets no edit controls

    # The graph around the secret's id is refused, and the page says why.
    page.fill("#graph-center", viewer["secret"])
    page.click("#graph-form button")
    page.wait_for_selector("#error:not([hidden])")
    assert viewer["secret"] not in graph_node_ids(page)
    assert SECRET not in page.content()
    page.close()
