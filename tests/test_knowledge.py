"""Entities and dated relationships in the graph, and the relationship-context queries."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from alma_graph import EntityNotFoundError

JAN, MAR, JUN = (datetime(2024, m, 1, tzinfo=timezone.utc) for m in (1, 3, 6))


def test_every_write_links_memories_to_the_entities_they_mention(alma):
    memory = alma.add_knowledge("dev", "team", "Alice from Acme Corp reviewed the PR that Bob submitted.")
    alma.learn("dev", "Deploy the Payments API to Kubernetes", True, "Use the Helm chart")
    context = alma.entity_context("Alice", "dev")
    assert context.type == "PERSON"
    assert [m["id"] for m in context.memories] == [memory.id]
    assert any(f.subject == "Alice" and f.object == "Acme Corp" for f in context.facts)
    names = {row["name"] for row in alma.store.entity_names()}
    assert {"Alice", "Bob", "Acme Corp"} <= names
    assert alma.stats()["graph"]["Entity"] >= 4  # and the deploy outcome's entities


def test_a_newer_single_valued_fact_closes_the_older_one(alma):
    alma.add_knowledge("lead", "team", "Bob works at Globex.", timestamp=JAN)
    alma.add_knowledge("lead", "team", "Bob works at Initech.", timestamp=JUN)
    [current] = alma.related("Bob", "lead", predicate="works_at")
    assert current.object == "Initech" and current.valid_to is None and current.memory_text == "Bob works at Initech."
    [then] = alma.related("Bob", "lead", predicate="works_at", as_of=MAR)
    assert then.object == "Globex" and then.valid_to == JUN
    history = alma.related("Bob", "lead", predicate="works_at", include_history=True)
    assert [(f.object, f.valid_from, f.valid_to) for f in history] == [("Globex", JAN, JUN), ("Initech", JUN, None)]


def test_an_older_fact_arriving_late_is_closed_by_the_newer_one(alma):
    alma.add_knowledge("lead", "team", "Alice moved to Berlin.", timestamp=JUN)
    alma.add_knowledge("lead", "team", "Alice lives in Paris.", timestamp=JAN)
    alma.add_knowledge("lead", "team", "Alice lives in Berlin.", timestamp=JUN)
    [now] = alma.related("Alice", "lead", predicate="lives_in")
    assert now.object == "Berlin"
    [before] = alma.related("Alice", "lead", predicate="lives_in", as_of=MAR)
    assert before.object == "Paris" and before.valid_to == JUN


def test_facts_in_one_batch_get_the_same_history_as_one_write_each(alma):
    """add_knowledge_batch resolves a batch's facts together: the dates they hold must be those of
    the same facts written one by one (a late arrival, a return to an earlier employer, a stored fact
    closed by the batch)."""
    AUG = datetime(2024, 8, 1, tzinfo=timezone.utc)
    stated = [("Bob works at Globex.", JAN), ("Bob works at Initech.", AUG), ("Bob works at Hooli.", MAR),
              ("Bob works at Globex.", JUN)]
    alma.add_knowledge("one_by_one", "team", "Carol works at Umbrella.", timestamp=JAN)
    alma.add_knowledge("batched", "team", "Dave works at Umbrella.", timestamp=JAN)
    for fact, when in stated:
        alma.add_knowledge("one_by_one", "team", fact.replace("Bob", "Carol"), timestamp=when)
    alma.add_knowledge_batch([{"agent": "batched", "domain": "team", "fact": fact.replace("Bob", "Dave"),
                               "timestamp": when} for fact, when in stated])

    def history(name: str, agent: str) -> list:
        facts = alma.related(name, agent, predicate="works_at", include_history=True)
        return sorted((f.object, f.valid_from, f.valid_to) for f in facts)

    expected = history("Carol", "one_by_one")
    assert len(expected) == 5 and [f for f in expected if f[2] is None] == [("Initech", AUG, None)]
    assert history("Dave", "batched") == expected


def test_multi_valued_predicates_accumulate(alma):
    alma.add_knowledge("dev", "stack", "The checkout service uses PostgreSQL.", timestamp=JAN)
    alma.add_knowledge("dev", "stack", "The checkout service uses Redis.", timestamp=JUN)
    objects = {f.object for f in alma.related("checkout service", "dev", predicate="uses")}
    assert {"PostgreSQL", "Redis"} <= objects


def test_context_queries_respect_visibility(make_alma):
    alma = make_alma(agents={"lead": {}, "junior": {"inherit_from": ["lead"]}, "outsider": {}})
    alma.add_knowledge("lead", "team", "Carol works at Umbrella.")
    alma.add_knowledge("outsider", "gossip", "Carol lives in Lisbon.")
    junior = {(f.predicate, f.object) for f in alma.related("Carol", "junior")}
    assert junior == {("works_at", "Umbrella")}
    assert {(f.predicate, f.object) for f in alma.related("Carol", "outsider")} == {("lives_in", "Lisbon")}
    context = alma.entity_context("Carol", "junior", hops=2)
    assert all(m["agent"] == "lead" for m in context.memories)
    assert "Lisbon" not in context.to_prompt()


def test_path_links_two_entities_through_visible_facts(make_alma):
    alma = make_alma(agents={"a": {}, "b": {}})
    alma.add_knowledge("a", "org", "Dave works at Soylent.")
    alma.add_knowledge("a", "org", "Soylent owns Tyrell.")
    steps = alma.path("Dave", "Tyrell", "a")
    assert [(s.subject, s.predicate, s.object) for s in steps] == [
        ("Dave", "works_at", "Soylent"), ("Soylent", "owns", "Tyrell")]
    assert all(s.memory_id for s in steps)
    # b may read nothing about Dave or Tyrell: to b they are unknown names (issue #12 item 5)
    with pytest.raises(EntityNotFoundError):
        alma.path("Dave", "Tyrell", "b")


def test_unknown_entities_are_a_typed_error(alma):
    alma.add_knowledge("dev", "team", "Erin works at Hooli.")
    with pytest.raises(EntityNotFoundError, match="Zelda"):
        alma.related("Zelda", "dev")
