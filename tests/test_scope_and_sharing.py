"""Scoped learning (can_learn / cannot_learn) and visibility along the agent graph."""

from __future__ import annotations

import pytest

from alma_graph import ScopeViolationError

from conftest import snapshot

AGENTS = {
    "senior_dev": {"can_learn": ["architecture", "coding_patterns"], "share_with": ["reviewer"]},
    "junior_dev": {"can_learn": ["coding_patterns"], "cannot_learn": ["database_queries"],
                   "inherit_from": ["senior_dev"]},
    "reviewer": {},
    "ops": {"share_with": ["*"]},
}


@pytest.fixture
def team(make_alma):
    return make_alma(agents=AGENTS)


@pytest.mark.parametrize("write", [
    lambda a: a.learn("junior_dev", "Optimise the orders query", True, "Add an index", task_type="database_queries"),
    lambda a: a.learn("junior_dev", "Design the event bus", True, "Use Kafka", task_type="architecture"),
    lambda a: a.add_knowledge("junior_dev", "database_queries", "The orders table has 40M rows"),
    lambda a: a.add_knowledge_batch([
        {"agent": "junior_dev", "domain": "coding_patterns", "fact": "Prefer composition"},
        {"agent": "junior_dev", "domain": "database_queries", "fact": "Use EXPLAIN"},
    ]),
    lambda a: a.add_preference("alice", "database_queries", "Always use CTEs", agent="junior_dev"),
    lambda a: a.add_anti_pattern("junior_dev", "SELECT *", "fetches unused columns", task_type="database_queries"),
], ids=["learn-cannot", "learn-not-in-can", "knowledge", "batch-second-item", "preference", "anti-pattern"])
def test_out_of_scope_writes_raise_and_change_nothing(team, write):
    before = snapshot(team)
    with pytest.raises(ScopeViolationError) as error:
        write(team)
    assert "junior_dev" in str(error.value)
    assert snapshot(team) == before


def test_in_scope_writes_and_unconfigured_agents_succeed(team):
    team.learn("junior_dev", "Refactor the payment module", True, "Extract small pure functions",
               task_type="coding_patterns")
    team.add_knowledge("stranger", "anything", "Agents not in the config may learn anything")
    assert team.stats()["by_agent"] == {"junior_dev": 1, "stranger": 1}


def test_junior_reads_its_seniors_memories_but_not_the_reverse(team):
    team.add_knowledge("senior_dev", "architecture", "The auth service stores sessions in Redis")
    team.add_knowledge("junior_dev", "coding_patterns", "The auth client wraps every call in a retry helper")

    junior = team.retrieve("how does the auth service work", "junior_dev")
    by_fact = {k.fact: k for k in junior.domain_knowledge}
    assert by_fact["The auth service stores sessions in Redis"].shared_from == "senior_dev"
    assert by_fact["The auth client wraps every call in a retry helper"].shared_from is None
    assert "(from senior_dev)" in junior.to_prompt()

    senior = team.retrieve("how does the auth service work", "senior_dev")
    assert [k.fact for k in senior.domain_knowledge] == ["The auth service stores sessions in Redis"]


def test_share_with_is_honoured_and_only_for_the_named_agents(team):
    team.add_knowledge("senior_dev", "architecture", "Payments go through the ledger service")
    reviewer = team.retrieve("how do payments work", "reviewer")
    assert [(k.fact, k.shared_from) for k in reviewer.domain_knowledge] == [
        ("Payments go through the ledger service", "senior_dev")]
    assert team.retrieve("how do payments work", "unrelated_agent").domain_knowledge == []


def test_share_with_everyone(team):
    team.add_knowledge("ops", "infra", "Deploys happen every Tuesday at 10:00 UTC")
    for agent in ("senior_dev", "junior_dev", "reviewer", "someone_new"):
        [fact] = team.retrieve("when are deploys", agent).domain_knowledge
        assert fact.shared_from == "ops"


def test_inheritance_is_transitive(make_alma):
    alma = make_alma(agents={"lead": {}, "senior": {"inherit_from": ["lead"]}, "junior": {"inherit_from": ["senior"]}})
    alma.add_knowledge("lead", "process", "Every change needs two reviews")
    [fact] = alma.retrieve("how many reviews does a change need", "junior").domain_knowledge
    assert fact.shared_from == "lead"


def test_include_shared_false_reads_only_own_memories(team):
    shared = team.add_knowledge("senior_dev", "architecture", "The auth service stores sessions in Redis")
    own = team.add_knowledge("junior_dev", "coding_patterns", "The auth service signs sessions with RS256")
    with_shared = team.retrieve("auth sessions", "junior_dev").domain_knowledge
    assert {k.id for k in with_shared} == {shared.id, own.id}  # by default junior sees what it inherits
    only_own = team.retrieve("auth sessions", "junior_dev", include_shared=False).domain_knowledge
    assert [k.id for k in only_own] == [own.id] and only_own[0].shared_from is None


def test_agent_finds_its_own_memory_among_hundreds_of_closer_ones(make_alma):
    alma = make_alma()
    crowd = [
        {"agent": f"agent_{i:03d}", "domain": "billing", "fact": f"Invoices for customer {i} are sent on the first of the month"}
        for i in range(300)
    ]
    alma.add_knowledge_batch(crowd)
    alma.add_knowledge("loner", "billing", "Late invoices get a reminder after 14 days")
    result = alma.retrieve("When are invoices sent to customers on the first of the month?", "loner", top_k=3)
    # 300 other agents hold closer matches; a global top-k filtered afterwards would return nothing
    assert [k.fact for k in result.domain_knowledge] == ["Late invoices get a reminder after 14 days"]
    assert all(k.agent == "loner" for k in result.domain_knowledge)


def test_preferences_follow_the_user_not_the_agent(team):
    team.add_preference("alice", "code_style", "Use type hints everywhere")
    with_user = team.retrieve("write a python function", "junior_dev", user_id="alice")
    assert [p.preference for p in with_user.preferences] == ["Use type hints everywhere"]
    assert team.retrieve("write a python function", "junior_dev", user_id="bob").preferences == []
    assert team.retrieve("write a python function", "junior_dev").preferences == []


def test_own_memory_writes_keep_what_each_reader_may_see(make_alma, monkeypatch):
    """Agent links change only when a store opens with its config: after this process's own
    memory writes a reader's visible agents are not traversed again, and new memories of
    an agent it inherits from are seen at once."""
    alma = make_alma(agents={"lead": {}, "junior": {"inherit_from": ["lead"]}, "outsider": {}})
    alma.add_knowledge("lead", "team", "Carol works at Umbrella.")
    assert [k.agent for k in alma.retrieve("Where does Carol work?", "junior").domain_knowledge] == ["lead"]
    traversals = []
    traverse = alma.store.visible_agents
    monkeypatch.setattr(alma.store, "visible_agents", lambda *a, **k: traversals.append(a) or traverse(*a, **k))
    alma.add_knowledge("lead", "team", "Dave works at Initech.")
    alma.add_knowledge("outsider", "gossip", "Dave lives in Lisbon.")
    found = alma.retrieve("Where does Dave work?", "junior").domain_knowledge
    assert {k.agent for k in found} == {"lead"} and any("Initech" in k.fact for k in found)
    assert traversals == []
