"""Reading and correcting single memories: get (short ids), list_memories (pages),
update (a new version behind SUPERSEDES), history — on both backends, with the
visibility and scope rules and typed errors that leave the store unchanged."""

from __future__ import annotations

import asyncio

import pytest

from alma_graph.errors import AmbiguousIdError, MemoryNotFoundError, NotFoundError, ScopeViolationError, ValidationError
from alma_graph.graph_model import Edge
from tests.conftest import snapshot

AGENTS = {
    "dev": {"can_learn": ["infra", "style"], "share_with": ["qa"]},
    "qa": {"can_learn": ["testing"]},
    "junior": {"inherit_from": ["dev"]},
    "other": {},
}


@pytest.fixture
def alma(make_alma):
    return make_alma(AGENTS)


def test_get_reads_own_shared_and_inherited_memories_and_hides_the_rest(alma):
    fact = alma.add_knowledge("dev", "infra", "The billing service runs on PostgreSQL 15.")
    assert alma.get(fact.id, "dev").shared_from is None
    assert alma.get(fact.id, "qa").shared_from == "dev"  # dev shares with qa
    assert alma.get(fact.id, "junior").shared_from == "dev"  # junior inherits from dev
    assert alma.get(fact.id, "dev").fact == "The billing service runs on PostgreSQL 15."
    with pytest.raises(MemoryNotFoundError) as hidden:
        alma.get(fact.id, "other")
    with pytest.raises(MemoryNotFoundError) as missing:
        alma.get("00000000-0000-4000-8000-000000000000", "other")
    # an invisible memory and a missing one are reported alike
    assert str(hidden.value).replace(fact.id, "X") == str(missing.value).replace("00000000-0000-4000-8000-000000000000", "X")
    assert isinstance(hidden.value, NotFoundError)
    assert asyncio.run(alma.async_get(fact.id, "qa")).id == fact.id


def test_get_accepts_an_unambiguous_prefix_of_eight_characters(alma):
    [a, b] = alma.add_knowledge_batch([
        {"agent": "dev", "domain": "infra", "fact": "Deploys go through Argo CD.", "id": "cafebabe-0001"},
        {"agent": "dev", "domain": "infra", "fact": "Secrets live in Vault.", "id": "cafebabe-0002"},
    ])
    assert alma.get("cafebabe-0001", "dev").id == a.id
    with pytest.raises(AmbiguousIdError) as ambiguous:
        alma.get("cafebabe", "dev")
    assert a.id in str(ambiguous.value) and b.id in str(ambiguous.value)
    assert alma.get("cafebabe-0002"[:13], "dev").id == b.id
    with pytest.raises(MemoryNotFoundError, match="at least 8"):
        alma.get("cafebab", "dev")  # seven characters are not a short id
    with pytest.raises(MemoryNotFoundError):  # another agent learns nothing from a prefix
        alma.get("cafebabe", "other")
    fact = alma.add_knowledge("dev", "infra", "Logs are shipped to Loki.")
    assert alma.get(fact.id[:8], "qa").id == fact.id


def test_list_pages_through_visible_memories_newest_first(alma):
    written = [alma.add_knowledge("dev", "infra", f"Service number {i} listens on port {8000 + i}.") for i in range(5)]
    alma.add_knowledge("other", "infra", "Another agent's private note about port 9999.")
    seen, cursor, pages = [], None, 0
    while True:
        page = alma.list_memories("dev", limit=2, cursor=cursor)
        pages += 1
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3 and [m.id for m in seen] == [m.id for m in reversed(written)]
    shared = alma.list_memories("qa", limit=10)
    assert {m.id for m in shared.items} == {m.id for m in written} and {m.shared_from for m in shared.items} == {"dev"}
    assert alma.list_memories("qa", kind="heuristic").items == []
    alma.forget(memory_ids=[written[0].id])
    assert written[0].id not in {m.id for m in alma.list_memories("dev").items}
    assert written[0].id in {m.id for m in alma.list_memories("dev", include_archived=True).items}


@pytest.mark.parametrize("arguments, message", [
    ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"limit": "5"}, "limit"), ({"limit": True}, "limit"),
    ({"kind": "fact"}, "kind"), ({"cursor": "not-a-cursor"}, "cursor"), ({"cursor": ""}, "cursor"),
])
def test_list_bad_input_is_a_validation_error(alma, arguments, message):
    alma.add_knowledge("dev", "infra", "Something to list.")
    before = snapshot(alma)
    with pytest.raises(ValidationError, match=message):
        alma.list_memories("dev", **arguments)
    assert snapshot(alma) == before


def test_update_writes_a_new_version_and_keeps_the_old_one(alma):
    old = alma.add_knowledge("dev", "infra", "Bob Smith works at Initech.")
    new = alma.update(old.id, "dev", text="Bob Smith works at Globex.", confidence=0.8, metadata={"ticket": "OPS-7"})
    assert new.id != old.id and new.fact == "Bob Smith works at Globex." and new.confidence == 0.8
    assert new.metadata == {"ticket": "OPS-7"} and new.domain == "infra" and new.agent == "dev"
    assert alma.get(old.id, "dev").archived is True and alma.get(new.id, "dev").archived is False
    assert alma.store.sources(Edge.SUPERSEDES, old.id) == [new.id]
    assert alma.store.sources(Edge.LEARNED, new.id) == [f"{alma.config.project_id}/dev"]
    # both indexes swapped the old id for the new one
    assert new.id in alma.context.indexes.vectors.ids() and old.id not in alma.context.indexes.vectors.ids()
    found = alma.retrieve("Where does Bob Smith work?", "dev").domain_knowledge
    assert [m.id for m in found] == [new.id]
    # entities and facts follow the new text; the old statement no longer holds
    assert {f.object for f in alma.related("Bob Smith", "dev")} == {"Globex"}
    assert {m["id"] for m in alma.entity_context("Globex", "dev").memories} == {new.id}
    # a second correction: history from any version, newest first
    newest = alma.update(new.id, "dev", text="Bob Smith works at Umbrella.")
    for any_version in (old.id, new.id, newest.id):
        assert [m.id for m in alma.history(any_version, "dev")] == [newest.id, new.id, old.id]
    assert [m.id for m in alma.history(old.id, "qa")] == [newest.id, new.id, old.id]  # readable where shared
    assert {f.object for f in alma.related("Bob Smith", "dev")} == {"Umbrella"}
    assert alma.stats()["total_memories"] == 1 and alma.stats()["archived"] == 2


def test_update_metadata_only_keeps_text_entities_and_counts(alma):
    old = alma.add_anti_pattern("dev", "Editing prod configs by hand", "Drift nobody can review",
                                better_alternative="Change them through Terraform", task_type="infra")
    new = alma.update(old.id, "dev", metadata={"reviewed": True})
    assert (new.pattern, new.why_bad, new.better_alternative) == (old.pattern, old.why_bad, old.better_alternative)
    assert new.metadata == {"reviewed": True} and new.occurrence_count == old.occurrence_count
    assert alma.context.indexes.vectors.vector(new.id) is not None
    renamed = alma.update(new.id, "dev", text="Editing staging configs by hand")
    assert renamed.pattern == "Editing staging configs by hand" and renamed.why_bad == old.why_bad


def test_a_preference_is_updated_by_an_agent_allowed_its_category(alma):
    preference = alma.add_preference("dana", "style", "Dana wants tabs", agent="dev")
    with pytest.raises(ScopeViolationError):
        alma.update(preference.id, "qa", text="Dana wants spaces")  # qa may only learn testing
    updated = alma.update(preference.id, "dev", text="Dana wants four spaces")
    assert updated.preference == "Dana wants four spaces" and updated.user_id == "dana"
    assert alma.store.sources(Edge.STATED, updated.id) == [f"{alma.config.project_id}/dana"]
    assert [p.id for p in alma.retrieve("indentation", "qa", user_id="dana").preferences] == [updated.id]


def test_only_the_owner_may_update_and_nothing_changes_otherwise(alma):
    fact = alma.add_knowledge("dev", "infra", "The cache is Redis 7.")
    before = snapshot(alma)
    with pytest.raises(ScopeViolationError, match="belongs to agent 'dev'"):
        alma.update(fact.id, "qa", text="The cache is Memcached.")  # qa reads it (shared) but does not own it
    with pytest.raises(MemoryNotFoundError):
        alma.update(fact.id, "other", text="The cache is Memcached.")  # other cannot even see it
    assert snapshot(alma) == before


@pytest.mark.parametrize("changes, error", [
    ({}, "at least one"), ({"confidence": 1.5}, "confidence"), ({"confidence": "high"}, "confidence"),
    ({"text": "   "}, "text"), ({"text": 42}, "text"), ({"metadata": ["a"]}, "metadata"),
    ({"metadata": {"x": object()}}, "metadata"),
])
def test_update_bad_input_is_a_validation_error(alma, changes, error):
    fact = alma.add_knowledge("dev", "infra", "Queues run on RabbitMQ.")
    before = snapshot(alma)
    with pytest.raises(ValidationError, match=error):
        alma.update(fact.id, "dev", **changes)
    assert snapshot(alma) == before


def test_an_outcome_text_and_an_old_version_are_not_updated(alma):
    outcome = alma.learn("dev", "Deploy the billing service", True, "Blue-green deploy", task_type="infra")
    fact = alma.add_knowledge("dev", "infra", "Alerts go to PagerDuty.")
    newer = alma.update(fact.id, "dev", text="Alerts go to Opsgenie.")
    before = snapshot(alma)
    with pytest.raises(ValidationError, match="outcome"):
        alma.update(outcome.id, "dev", text="Deploy something else")
    with pytest.raises(ValidationError, match="archived"):
        alma.update(fact.id, "dev", text="Alerts go to email.")
    with pytest.raises(ValidationError):
        alma.get("", "dev")
    with pytest.raises(ValidationError):
        alma.history(newer.id, "not a name!")
    assert snapshot(alma) == before
    revised = alma.update(outcome.id, "dev", metadata={"ticket": "OPS-9"})  # an outcome's metadata may change
    assert revised.metadata == {"ticket": "OPS-9"} and revised.task_description == outcome.task_description
    assert alma.store.targets(Edge.ABOUT, revised.id) == alma.store.targets(Edge.ABOUT, outcome.id)
