"""Issue #12 items 6-9: arguments that used to pass validation or fail untyped."""

from __future__ import annotations

import math
import time

import pytest

from alma_graph import ALMA, ALMAGraphError, ValidationError
from alma_graph.errors import ScopeViolationError
from alma_graph.memory.validation import check_metadata, check_name, shown

from conftest import snapshot
from fuzz_public_api import deep_dict, deep_list

DEEP = deep_dict(5_000)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, embedder):
    """One store for the module: every call here is refused, which the snapshots check.
    (Validation runs before the backend is touched; the fuzz runs these on Neo4j too.)"""
    alma = ALMA({"storage": "kuzu", "storage_dir": str(tmp_path_factory.mktemp("validation")), "project_id": "v",
                 "agents": {"qa": {}, "junior": {"cannot_learn": ["database_queries"]}}}, embedder=embedder)
    alma.add_knowledge_batch([{"agent": "qa", "domain": "testing", "fact": "Acme Corp builds the login form",
                               "id": "k-1"}])
    alma.learn("qa", "Test the login form", True, "Boundary values")
    alma.checkpoint("wf-1", {"step": 1})
    yield alma
    alma.close()


# 6. lone surrogates are valid JSON escapes (reachable over MCP) but not text
@pytest.mark.parametrize("call", [
    lambda a: a.retrieve("login \ud800", "qa"),
    lambda a: a.learn("qa", "Test \udfff", True, "x"),
    lambda a: a.add_knowledge("qa", "testing", "fact \ud800"),
    lambda a: a.add_preference("alice", "style", "\ud800 short"),
    lambda a: a.add_anti_pattern("qa", "\ud800", "why"),
    lambda a: a.learn("qa", "Test", True, "x", metadata={"note": "\ud800"}),
], ids=["retrieve", "learn", "add_knowledge", "add_preference", "add_anti_pattern", "metadata"])
def test_lone_surrogates_are_refused_with_a_typed_error(seeded, call):
    before = snapshot(seeded)
    with pytest.raises(ValidationError, match="surrogate"):
        call(seeded)
    assert snapshot(seeded) == before


# 7. fullmatch: a trailing newline is not a new name
@pytest.mark.parametrize("name", ["qa\n", "junior\n", "wf-1\n", "k-1\n"])
def test_names_with_a_trailing_newline_are_refused(name):
    with pytest.raises(ValidationError, match="not allowed"):
        check_name(name)


def test_a_trailing_newline_does_not_escape_cannot_learn(seeded):
    with pytest.raises(ScopeViolationError):
        seeded.add_knowledge("junior", "database_queries", "Use SELECT *")
    before = snapshot(seeded)
    for call in (lambda: seeded.add_knowledge("junior\n", "database_queries", "Use SELECT *"),
                 lambda: seeded.learn("qa\n", "Test", True, "x"),
                 lambda: seeded.checkpoint("wf-1\n", {"step": 2}),
                 lambda: seeded.start_session("qa", "goal", session_id="s-1\n"),
                 lambda: seeded.learn("qa", "Test", True, "x", memory_id="m-1\n")):
        with pytest.raises(ValidationError, match="not allowed"):
            call()
    assert snapshot(seeded) == before
    assert "junior\n" not in seeded.store.agent_names()


# 8. accepted where it should have been refused
def test_a_negative_age_does_not_archive_everything(seeded):
    before = snapshot(seeded)
    with pytest.raises(ValidationError, match="older_than_days"):
        seeded.forget(agent="qa", older_than_days=-1)
    assert snapshot(seeded) == before
    assert seeded.stats("qa")["archived"] == 0


def test_restore_refuses_a_string_quickly(seeded):
    started = time.perf_counter()
    with pytest.raises(ValidationError, match="list of ids"):
        seeded.restore("x" * 2_000_000)
    with pytest.raises(ValidationError, match="list of ids"):
        seeded.restore("abc")
    assert time.perf_counter() - started < 2.0  # it was 7.8 s, one character at a time


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_not_stored_in_metadata(seeded, value):
    before = snapshot(seeded)
    with pytest.raises(ValidationError, match="NaN"):
        seeded.add_knowledge("qa", "testing", "a fact", metadata={"score": value})
    assert snapshot(seeded) == before


# 9. ordinary bad arguments, each once an untyped error
BAD_CALLS = {
    "forget kind bogus": lambda a: a.forget(agent="qa", kind="bogus"),
    "forget older abc": lambda a: a.forget(agent="qa", older_than_days="abc"),
    "forget older nan": lambda a: a.forget(agent="qa", older_than_days=math.nan),
    "forget older 1e300": lambda a: a.forget(agent="qa", older_than_days=1e300),
    "forget below x": lambda a: a.forget(agent="qa", below_confidence="x"),
    "forget ids object": lambda a: a.forget(memory_ids=object()),
    "restore None": lambda a: a.restore(None),
    "record_usage None": lambda a: a.record_usage(None, [], "qa"),
    "record_feedback dict": lambda a: a.record_feedback({"a": 1}, "positive", "qa"),
    "batch None": lambda a: a.add_knowledge_batch(None),
    "batch 5": lambda a: a.add_knowledge_batch(5),
    "path max_hops x": lambda a: a.path("Acme Corp", "Acme Corp", "qa", max_hops="x"),
    "consolidate kind 5": lambda a: a.consolidate("qa", kind=5),
    "retrieve only_ids 5": lambda a: a.retrieve("login", "qa", only_ids=5),
    "retrieve recipe dict": lambda a: a.retrieve("login", "qa", recipe={"signals": []}),
    "merge_states metadata x": lambda a: a.merge_states("wf-1", [{"a": 1}], metadata="x"),
    "cleanup 1.7e9 days": lambda a: a.cleanup_checkpoints(older_than_days=1.7e9),
    "ingest long path": lambda a: a.ingest_directory("/tmp/" + "x" * 5000, "qa"),
    "deep metadata": lambda a: a.learn("qa", "Test", True, "x", metadata=DEEP),
    "deep number": lambda a: a.retrieve("login", "qa", top_k=DEEP),
    "deep days": lambda a: a.forget(agent="qa", older_than_days=deep_list(5_000)),
    "deep state": lambda a: a.checkpoint("wf-1", DEEP),
    "deep signal": lambda a: a.record_feedback("k-1", DEEP, "qa"),
    "deep hops": lambda a: a.entity_context("Acme Corp", "qa", hops=DEEP),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_arguments_get_a_typed_error_naming_the_argument(seeded, name):
    before = snapshot(seeded)
    with pytest.raises(ALMAGraphError) as error:
        BAD_CALLS[name](seeded)
    assert len(str(error.value)) < 1_000  # says what to fix without echoing the argument
    assert snapshot(seeded) == before


def test_error_messages_never_repr_an_unbounded_argument():
    assert shown(DEEP) == "a dict"
    assert len(shown("x" * 2_000_000)) < 80
    assert "digits" in shown(10 ** 5000)
    with pytest.raises(ValidationError, match="nested more than"):
        check_metadata({"k": DEEP})
