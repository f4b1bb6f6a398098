"""graph(): the subgraph an agent may see, as nodes and edges for the web viewer."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from alma_graph.errors import NotFoundError, ValidationError

AGENTS = {
    "dev": {"share_with": ["qa"]},
    "qa": {},
    "junior": {"inherit_from": ["dev"]},
    "other": {},
}


@pytest.fixture
def alma(make_alma):
    alma = make_alma(AGENTS)
    alma.initech = alma.add_knowledge("dev", "people", "Bob Smith works at Initech.",
                                      timestamp=datetime(2024, 1, 1, tzinfo=timezone.utc))
    alma.globex = alma.add_knowledge("dev", "people", "Bob Smith works at Globex.",
                                     timestamp=datetime(2024, 6, 1, tzinfo=timezone.utc))
    alma.secret = alma.add_knowledge("other", "people", "Carol Jones from Hooli visited Initech.")
    return alma


def by_kind(view, kind):
    return {n["label"]: n for n in view["nodes"] if n["kind"] == kind}


def test_around_an_entity_facts_are_dated_and_superseded_ones_marked(alma):
    view = alma.graph("dev", center="Bob Smith", hops=1)
    entities = by_kind(view, "entity")
    assert {"Bob Smith", "Initech", "Globex"} <= set(entities) and "Hooli" not in entities
    assert view["center"] == entities["Bob Smith"]["id"] and entities["Bob Smith"]["props"]["type"] == "PERSON"
    facts = {(e["props"]["predicate"], entities_by_id(view)[e["target"]]): e["props"] for e in view["edges"]
             if e["type"] == "RELATED"}
    assert facts[("works_at", "Globex")]["superseded"] is False and facts[("works_at", "Globex")]["valid_to"] is None
    assert facts[("works_at", "Initech")]["superseded"] is True
    assert facts[("works_at", "Initech")]["valid_to"].startswith("2024-06-01")
    memories = {n["id"] for n in view["nodes"] if n["kind"] == "memory"}
    assert memories == {alma.initech.id, alma.globex.id}
    ids = {n["id"] for n in view["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in view["edges"])
    assert {e["type"] for e in view["edges"]} == {"RELATED", "MENTIONS"}


def entities_by_id(view):
    return {n["id"]: n["label"] for n in view["nodes"]}


def test_around_a_memory_two_hops_reach_its_agent_entities_and_their_facts(alma):
    view = alma.graph("qa", center=alma.globex.id[:8], hops=2)
    assert view["center"] == alma.globex.id
    assert {"agent:dev"} <= {n["id"] for n in view["nodes"] if n["kind"] == "agent"}
    [memory] = [n for n in view["nodes"] if n["id"] == alma.globex.id]
    assert memory["props"]["shared_from"] == "dev" and memory["label"] == "Bob Smith works at Globex."
    assert "Initech" in by_kind(view, "entity")  # through Bob Smith's facts at the second hop
    three = alma.graph("qa", center=alma.globex.id, hops=3)  # Initech's mentions: other's memory is not one
    assert alma.initech.id in {n["id"] for n in three["nodes"]}
    assert alma.secret.id not in {n["id"] for n in three["nodes"]} and "Hooli" not in by_kind(three, "entity")


def test_around_an_agent_and_the_overview_show_agents_and_their_links(alma):
    view = alma.graph("junior", center="agent:junior", hops=1)
    agents = by_kind(view, "agent")
    assert set(agents) == {"junior", "dev"} and agents["junior"]["props"]["relation"] == "self"
    assert {(e["source"], e["target"]) for e in view["edges"] if e["type"] == "INHERITS_FROM"} == \
        {("agent:junior", "agent:dev")}
    overview = alma.graph("qa")
    assert set(by_kind(overview, "agent")) == {"qa", "dev"}
    assert {("agent:dev", "agent:qa")} == {(e["source"], e["target"]) for e in overview["edges"]
                                            if e["type"] == "SHARES_WITH"}
    assert {"Bob Smith", "Globex", "Initech"} <= set(by_kind(overview, "entity"))
    assert "Hooli" not in by_kind(overview, "entity")


def test_only_what_the_agent_may_see_and_limits(alma):
    with pytest.raises(NotFoundError):
        alma.graph("dev", center="Hooli")  # only other's memory mentions it
    with pytest.raises(NotFoundError):
        alma.graph("dev", center=alma.secret.id)
    with pytest.raises(NotFoundError):
        alma.graph("dev", center="agent:other")
    small = alma.graph("dev", center="Bob Smith", hops=2, limit=2)
    assert len(small["nodes"]) == 2 and small["truncated"] is True
    for bad in ({"hops": 0}, {"hops": 5}, {"limit": 0}, {"limit": 1001}, {"center": "  "}, {"hops": "1"}):
        with pytest.raises(ValidationError):
            alma.graph("dev", **bad)
