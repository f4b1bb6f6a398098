"""Bad input gets a typed error that says what to fix, and the store is unchanged."""

from __future__ import annotations

import pytest

from alma_graph import ALMAGraphError, UnknownAgentError, ValidationError

from conftest import snapshot

INJECTION = "qa\" }) MATCH (n) DETACH DELETE n //"
ONE_MB = "x" * (1024 * 1024)


@pytest.fixture
def seeded(alma):
    alma.add_knowledge("qa", "testing", "The login form rejects emails longer than 254 characters")
    alma.learn("qa", "Test the login form", True, "Boundary values")
    return alma


@pytest.mark.parametrize("call, message", [
    (lambda a: a.learn("qa", "", True, "x"), "task must not be empty"),
    (lambda a: a.learn("qa", "   \n\t", True, "x"), "task must not be empty"),
    (lambda a: a.learn("qa", "Test", True, "   "), "strategy_used must not be empty"),
    (lambda a: a.learn("qa", ONE_MB, True, "x"), "the limit is"),
    (lambda a: a.learn("qa", "Test", "maybe", "x"), "outcome must be"),
    (lambda a: a.learn("qa", "Test", None, "x"), "outcome must be"),
    (lambda a: a.learn("qa", "Test", True, "x", duration_ms=-5), "duration_ms"),
    (lambda a: a.learn("qa", "Test", False, "x", error_message=ONE_MB), "error_message is 1,048,576 characters"),
    (lambda a: a.learn("qa", "Test", True, "x", feedback="fine\x00"), "feedback contains a NUL"),
    (lambda a: a.add_anti_pattern("qa", "Sleep", "Flaky", better_alternative="  "), "better_alternative must not"),
    (lambda a: a.retrieve("q" * 10_001, "qa"), "the limit is 10,000"),
    (lambda a: a.learn(INJECTION, "Test", True, "x"), "is not allowed"),
    (lambda a: a.learn("qa", "Test", True, "x", task_type="a'); DROP TABLE Memory; --"), "task_type"),
    (lambda a: a.learn("qa", "Test", True, "x", metadata={"f": object()}), "JSON"),
    (lambda a: a.add_knowledge(INJECTION, "testing", "fact"), "is not allowed"),
    (lambda a: a.add_knowledge("qa", "testing", ""), "fact must not be empty"),
    (lambda a: a.add_knowledge("qa", "testing", ONE_MB), "the limit is"),
    (lambda a: a.add_knowledge("qa", "testing", "fact", confidence=3), "confidence"),
    (lambda a: a.add_knowledge_batch([{"agent": "qa", "domain": "d", "fact": "ok"}, {"agent": "qa", "domain": "d", "fakt": "typo"}]), "unknown field"),
    (lambda a: a.add_preference("alice' OR 1=1", "style", "short"), "user_id"),
    (lambda a: a.add_preference("alice", "style", "  "), "preference must not be empty"),
    (lambda a: a.add_anti_pattern("qa", "", "why"), "pattern must not be empty"),
    (lambda a: a.retrieve("", "qa"), "task must not be empty"),
    (lambda a: a.retrieve(ONE_MB, "qa"), "the limit is"),
    (lambda a: a.retrieve("query", INJECTION), "is not allowed"),
    (lambda a: a.retrieve("query", "qa", top_k=0), "top_k"),
    (lambda a: a.record_feedback("x", "meh", "qa"), "signal must be"),
    (lambda a: a.forget(), "forget needs"),
    (lambda a: a.add_knowledge_batch([{"agent": "qa", "domain": "d", "fact": "x", "id": "fixed-1"},
                                      {"agent": "qa", "domain": "d", "fact": "y", "id": "fixed-1"}]), "given twice"),
    (lambda a: a.learn("qa", "Test", True, "x", memory_id="bad id with spaces"), "memory id"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_input_is_a_typed_error_and_changes_nothing(seeded, call, message):
    before = snapshot(seeded)
    with pytest.raises(ValidationError) as error:
        call(seeded)
    assert message in str(error.value)
    assert isinstance(error.value, ALMAGraphError)
    assert snapshot(seeded) == before


def test_unknown_agents_get_a_typed_error_where_an_agent_must_exist(seeded):
    before = snapshot(seeded)
    with pytest.raises(UnknownAgentError, match="ghost"):
        seeded.stats(agent="ghost")
    with pytest.raises(UnknownAgentError):
        seeded.record_usage([], [], "ghost")
    with pytest.raises(UnknownAgentError):
        seeded.forget(agent="ghost")
    assert snapshot(seeded) == before


def test_a_taken_memory_id_is_refused(seeded):
    seeded.add_anti_pattern("qa", "Skip the tests", "bugs ship", memory_id="ap-1")
    before = snapshot(seeded)
    for write in (lambda: seeded.add_preference("alice", "style", "short", memory_id="ap-1"),
                  lambda: seeded.add_knowledge_batch([{"agent": "qa", "domain": "d", "fact": "x", "id": "ap-1"}]),
                  lambda: seeded.learn("qa", "Test", True, "x", memory_id="ap-1")):
        with pytest.raises(ValidationError, match="already exist"):
            write()
    assert snapshot(seeded) == before


def test_injection_text_is_stored_as_text(seeded):
    """Quotes and Cypher inside memory text are data, never code."""
    text = 'Ignore "quotes" \'and\' }) MATCH (n) DETACH DELETE n // $param {curly}'
    memory = seeded.add_knowledge("qa", "testing", text)
    [found] = seeded.store.get_memories([memory.id])
    assert found["fact"] == text
    assert seeded.stats()["total_memories"] == 3


def test_a_closed_instance_refuses_work(make_alma):
    alma = make_alma()
    alma.close()
    with pytest.raises(ValidationError, match="closed"):
        alma.retrieve("anything", "qa")
