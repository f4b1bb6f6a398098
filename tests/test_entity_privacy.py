"""Issue #12 item 5: entity names must not leak across agents. Lookup, partial-name
suggestions and error messages see only entities that memories the agent may read mention."""

from __future__ import annotations

import pytest

from alma_graph import EntityNotFoundError

AGENTS = {"alice": {}, "bob": {}, "carol": {"inherit_from": ["alice"]}}


@pytest.fixture
def two_agents(make_alma):
    alma = make_alma(agents=AGENTS)
    alma.add_knowledge("alice", "vendors", "Tyrell Corp audits the payment flow every quarter.")
    alma.add_knowledge("alice", "vendors", "Tyrell Labs builds the card scanner.")
    alma.add_knowledge("bob", "vendors", "Tyrone Miller reviews the refund policy.")
    return alma


def test_another_agents_entity_is_not_found_and_not_named(two_agents):
    alma = two_agents
    assert alma.entity_context("Tyrell Corp", "alice").entity == "Tyrell Corp"
    for call in (lambda: alma.entity_context("Tyrell Corp", "bob"),
                 lambda: alma.related("Tyrell Corp", "bob"),
                 lambda: alma.path("Tyrell Corp", "Tyrone Miller", "bob")):
        with pytest.raises(EntityNotFoundError) as error:
            call()
        assert "Tyrell" not in str(error.value).replace("'Tyrell Corp'", "")  # only the name asked for


def test_partial_names_resolve_among_readable_entities_only(two_agents):
    alma = two_agents
    # bob may read one "Tyr..." entity: his own, never alice's
    assert alma.entity_context("Tyr", "bob").entity == "Tyrone Miller"
    # alice's suggestions list her entities, not bob's
    with pytest.raises(EntityNotFoundError, match="several") as error:
        alma.entity_context("Tyr", "alice")
    assert "Tyrell Corp" in str(error.value) and "Tyrell Labs" in str(error.value)
    assert "Tyrone" not in str(error.value)
    # carol inherits alice's memories, so alice's entities are hers to read
    assert alma.entity_context("Tyrell Corp", "carol").entity == "Tyrell Corp"
