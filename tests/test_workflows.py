"""Workflows, scoped retrieval and session handoff, on both backends through the public API."""

from __future__ import annotations

import asyncio
import json

import pytest

from alma_graph import SessionNotFoundError, ValidationError, WorkflowNotFoundError
from alma_graph.graph_model import Edge, project_key
from alma_graph.interfaces.tools import TOOLS

from conftest import snapshot

AGENTS = {"lead": {}, "dev": {"inherit_from": ["lead"], "min_occurrences_for_heuristic": 2}, "other": {}}
TASK = "Test the login form with an invalid email"


def texts(memories) -> set[str]:
    return {m.text for m in memories.all()}


def test_resume_after_a_restart(make_alma, tmp_path):
    directory = tmp_path / "store"
    first = make_alma(AGENTS, directory=directory)
    one = first.checkpoint("run-1", {"step": "plan", "done": []}, metadata={"node": "planner"}, agent="dev")
    same = first.checkpoint("run-1", {"done": [], "step": "plan"})  # key order does not matter: unchanged
    assert (same.id, same.sequence) == (one.id, 1)
    two = first.checkpoint("run-1", {"step": "build", "done": ["plan"]})
    first.link_artifact("run-1", "report", "reports/plan.md", name="Plan", mime_type="text/markdown", agent="dev")
    first.link_artifact("run-1", "report", "reports/plan.md", name="Plan v2")  # same ref: updated, not doubled
    first.learn("dev", TASK, True, "Boundary values on the email field", task_type="forms", workflow_id="run-1")
    first.close()

    second = make_alma(AGENTS, directory=directory)  # a new process would open the same store
    resumed = second.resume("run-1")
    assert (resumed.id, resumed.sequence, resumed.state) == (two.id, 2, {"step": "build", "done": ["plan"]})
    assert second.get_resume_point("run-1").id == two.id
    assert one.metadata == {"node": "planner"} and one.agent == "dev"
    [artifact] = second.get_artifacts("run-1")
    assert (artifact.artifact_type, artifact.ref, artifact.name, artifact.mime_type) == (
        "report", "reports/plan.md", "Plan v2", "text/markdown")
    assert second.get_artifacts("run-1", artifact_type="screenshot") == []
    scoped = second.retrieve_scoped("Test the login form", "dev", "workflow_only", workflow_id="run-1")
    assert [o.task_description for o in scoped.outcomes] == [TASK]
    assert second.resume("never-started") is None
    assert asyncio.run(second.async_resume("run-1")).id == two.id


def test_merge_states_with_each_reducer(alma):
    per_agent = {"a": {"n": 1, "items": ["x"], "meta": {"tags": ["p"]}, "who": "a"},
                 "b": {"n": 5, "items": ["x", "y"], "meta": {"tags": ["q"]}, "who": "b"},
                 "c": {"n": 2, "who": "c"}}
    listed = list(per_agent.values())
    assert alma.merge_states("run", listed, "latest_wins") == {"n": 2, "items": ["x", "y"], "meta": {"tags": ["q"]},
                                                               "who": "c"}
    assert alma.merge_states("run", listed, "merge_lists") == {"n": 2, "items": ["x", "x", "y"],
                                                               "meta": {"tags": ["p", "q"]}, "who": "c"}
    assert alma.merge_states("run", listed, "union") == {"n": 2, "items": ["x", "y"], "meta": {"tags": ["p", "q"]},
                                                         "who": "c"}
    numbers = [{"n": 1, "t": 2.5}, {"n": 5}, {"n": 2, "t": 0.5}]
    assert alma.merge_states("run", numbers, "sum") == {"n": 8, "t": 3.0}
    assert alma.merge_states("run", numbers, "max") == {"n": 5, "t": 2.5}
    assert alma.merge_states("run", numbers, "min") == {"n": 1, "t": 0.5}
    assert alma.merge_states("run", per_agent, "priority_agent", priority=["b", "a"]) == {
        "n": 5, "items": ["x", "y"], "meta": {"tags": ["q"]}, "who": "b"}
    assert alma.merge_states("run", per_agent, "priority_agent")["who"] == "a"  # mapping order: a first
    assert alma.merge_states("run", per_agent, {"n": "sum", "items": "union", "*": "priority_agent"}) == {
        "n": 8, "items": ["x", "y"], "meta": {"tags": ["p"]}, "who": "a"}
    assert alma.merge_states("run", listed, {"n": lambda values: sorted(values)}) == {
        "n": [1, 2, 5], "items": ["x", "y"], "meta": {"tags": ["q"]}, "who": "c"}

    def vote(states):
        return {"winner": max(states, key=lambda s: s["n"])["who"]}

    assert alma.merge_states("run", listed, vote) == {"winner": "b"}
    latest = alma.resume("run")  # every merge was checkpointed; the last one says how it was made
    assert latest.state == {"winner": "b"} and latest.metadata["merge"] == {"merged_from": 3, "reducer": "vote"}
    assert latest.sequence == 11
    before = snapshot(alma)
    assert alma.merge_states("run", [{"k": 1}], "latest_wins", save=False) == {"k": 1}
    assert snapshot(alma) == before and alma.resume("run").id == latest.id


BAD_INPUT = [
    (lambda a: a.checkpoint("run", {"blob": "x" * 1_000_001}), ValidationError, "the limit is 1,000,000"),
    (lambda a: a.checkpoint("run", ["not", "a", "dict"]), ValidationError, "JSON object"),
    (lambda a: a.checkpoint("run", {"x": float("nan")}), ValidationError, "JSON-serialisable"),
    (lambda a: a.checkpoint("run", {"x": object()}), ValidationError, "JSON-serialisable"),
    (lambda a: a.checkpoint("run' DETACH DELETE n", {"x": 1}), ValidationError, "workflow_id"),
    (lambda a: a.merge_states("run", [{"n": 1}, {"n": "two"}], "sum"), ValidationError, "needs numbers"),
    (lambda a: a.merge_states("run", [{"n": 1}], "average"), ValidationError, "unknown reducer"),
    (lambda a: a.merge_states("run", [{"n": 1}], "priority_agent"), ValidationError, "per agent"),
    (lambda a: a.merge_states("run", {"a": {"n": 1}}, "priority_agent", priority=["zed"]), ValidationError, "zed"),
    (lambda a: a.merge_states("run", [], "sum"), ValidationError, "must not be empty"),
    (lambda a: a.merge_states("run", [{"n": 1}], lambda states: ["no"]), ValidationError, "must return a dict"),
    (lambda a: a.link_artifact("run", "report", ""), ValidationError, "ref must not be empty"),
    (lambda a: a.link_artifact("run", "re'port", "x"), ValidationError, "artifact_type"),
    (lambda a: a.link_artifact("run", "report", "x", size_bytes=-1), ValidationError, "size_bytes"),
    (lambda a: a.get_artifacts("nope"), WorkflowNotFoundError, "no workflow 'nope'"),
    (lambda a: a.cleanup_checkpoints(older_than_days=-1), ValidationError, "older_than_days"),
    (lambda a: a.cleanup_checkpoints(keep_latest=1.5), ValidationError, "keep_latest"),
    (lambda a: a.cleanup_checkpoints(workflow_id="nope"), WorkflowNotFoundError, "nope"),
    (lambda a: a.learn("dev", TASK, True, "x", workflow_id="bad id!"), ValidationError, "workflow_id"),
    (lambda a: a.retrieve_scoped(TASK, "dev", "team_only"), ValidationError, "scope must be one of"),
    (lambda a: a.retrieve_scoped(TASK, "dev", "workflow_only"), ValidationError, "needs a workflow_id"),
    (lambda a: a.retrieve_scoped(TASK, "dev", "agent_only", workflow_id="run"), ValidationError, "workflow_only"),
    (lambda a: a.retrieve_scoped(TASK, "dev", "workflow_only", workflow_id="nope"), WorkflowNotFoundError, "nope"),
    (lambda a: a.get_resume_point("run", branch_id="b1"), ValidationError, "branch_id"),
    (lambda a: a.start_session("dev", "  "), ValidationError, "goal must not be empty"),
    (lambda a: a.create_handoff("dev", "no-such-session", "did x", "ok"), SessionNotFoundError, "no session"),
]


def test_bad_input_is_a_typed_error_and_changes_nothing(make_alma):
    alma = make_alma(AGENTS)
    alma.checkpoint("run", {"x": 1})
    for call, error, message in BAD_INPUT:
        before = snapshot(alma), alma.resume("run")
        with pytest.raises(error, match=message):
            call(alma)
        assert (snapshot(alma), alma.resume("run")) == before, message


def test_scoped_retrieval_excludes_what_it_must(make_alma):
    alma = make_alma(AGENTS)
    alma.learn("dev", TASK, True, "Boundary values on the email field", task_type="forms", workflow_id="run-1")
    alma.learn("dev", TASK + " and a long name", True, "Boundary values on the email field", task_type="forms",
               workflow_id="run-1")  # the second similar success induces a heuristic, also in run-1
    alma.learn("dev", "Test the login form with an empty password", False, "Only the happy path", task_type="forms",
               workflow_id="run-2")
    alma.add_knowledge("dev", "forms", "The login form rejects emails longer than 254 characters")
    alma.add_knowledge("lead", "forms", "Login form errors must be shown next to the field")
    alma.learn("other", "Test the login form with a bad email", True, "Fuzzing", task_type="forms",
               workflow_id="run-1")  # in run-1, but dev may not read other's memories
    for i in range(6):  # closer to the query than run-1's memories, outside every workflow
        alma.add_knowledge("dev", "forms", f"Test the login form with an invalid email, variant {i}")

    in_run = alma.retrieve_scoped(TASK, "dev", "workflow_only", workflow_id="run-1", top_k=10)
    assert {o.task_description for o in in_run.outcomes} == {TASK, TASK + " and a long name"}
    assert len(in_run.heuristics) == 1 and not in_run.domain_knowledge and not in_run.anti_patterns
    top1 = alma.retrieve_scoped(TASK, "dev", "workflow_only", workflow_id="run-1", top_k=1)
    assert top1.outcomes  # filtered before ranking: six closer memories outside run-1 do not crowd it out

    own = texts(alma.retrieve_scoped(TASK, "dev", "agent_only", top_k=20))
    everything = texts(alma.retrieve_scoped(TASK, "dev", "project_wide", top_k=20))
    assert "Login form errors must be shown next to the field" not in own  # inherited from lead
    assert "Login form errors must be shown next to the field" in everything
    assert "Test the login form with an empty password | strategy: Only the happy path" in own & everything
    assert not any("Fuzzing" in t for t in own | everything | texts(in_run))  # other's: never visible to dev
    alias = alma.retrieve_with_scope(TASK, "dev", context={"workflow_id": "run-1"}, scope="workflow", top_k=10)
    assert texts(alias) == texts(in_run)
    others_view = alma.retrieve_scoped(TASK, "other", "workflow_only", workflow_id="run-1")
    assert [o.strategy_used for o in others_view.outcomes] == ["Fuzzing"]


def test_cleanup_keeps_the_newest_checkpoints(alma):
    for step in range(4):
        alma.checkpoint("run-a", {"step": step})
    alma.checkpoint("run-b", {"step": 0})
    assert alma.cleanup_checkpoints() == 0  # nothing is a week old
    assert alma.cleanup_checkpoints(older_than_days=0, keep_latest=2, workflow_id="run-a") == 2
    assert alma.cleanup_checkpoints(older_than_days=0, keep_latest=1) == 1  # run-a's second newest; run-b keeps its one
    assert (alma.resume("run-a").state, alma.resume("run-b").state) == ({"step": 3}, {"step": 0})
    assert alma.checkpoint("run-a", {"step": 4}).sequence == 5  # numbering goes on


def test_session_handoff_survives_a_restart(make_alma, tmp_path):
    directory = tmp_path / "store"
    first = make_alma(AGENTS, directory=directory)
    session = first.start_session("dev", "Fix the flaky login tests")
    assert session.last_handoff is None
    handoff = first.create_handoff("dev", session.session_id, "Ran the suite three times", "2 of 40 tests still fail",
                                   next_steps=["Replace sleep() with waits"], blockers=["CI runner is down"],
                                   decisions=["Keep Playwright"], active_files=["tests/login.spec.ts"], confidence=0.6)
    assert handoff.handoff_at is not None and handoff.confidence == 0.6
    first.start_session("lead", "Unrelated work")  # another agent's sessions are its own
    first.close()

    second = make_alma(AGENTS, directory=directory)
    resumed = second.start_session("dev", "Finish the flaky login tests")
    last = resumed.last_handoff
    assert (last.session_id, last.goal, last.last_outcome, last.next_steps, last.blockers, last.active_files) == (
        session.session_id, "Fix the flaky login tests", "2 of 40 tests still fail", ["Replace sleep() with waits"],
        ["CI runner is down"], ["tests/login.spec.ts"])
    assert "Replace sleep() with waits" in last.to_prompt()
    store = second.store
    assert store.targets(Edge.HANDOFF, project_key(store.project_id, session.session_id)) == [
        project_key(store.project_id, resumed.session_id)]
    assert second.start_session("lead", "More work").last_handoff is None
    with pytest.raises(SessionNotFoundError):  # the session is dev's, not lead's
        second.create_handoff("lead", resumed.session_id, "x", "y")
    again = second.create_handoff("dev", session.session_id, "Fixed it", "all green")  # replaces the handoff
    assert second.start_session("dev", "Next").last_handoff.last_outcome == "all green" and again.next_steps == []


@pytest.mark.kuzu_only
def test_workflow_tools_return_json(alma):
    call = lambda name, **args: json.loads(json.dumps(TOOLS[name](alma, **args)))  # noqa: E731
    saved = call("alma_checkpoint", workflow_id="run", state={"step": 1}, agent="dev")["checkpoint"]
    assert saved["sequence"] == 1 and saved["created_at"].endswith("+00:00")
    assert call("alma_resume", workflow_id="run")["checkpoint"]["state"] == {"step": 1}
    assert call("alma_resume", workflow_id="none") == {"found": False, "checkpoint": None}
    assert call("alma_merge_states", workflow_id="run", states={"a": {"n": 1}, "b": {"n": 2}},
                reducer={"n": "sum"})["state"] == {"n": 3}
    artifact = call("alma_link_artifact", workflow_id="run", artifact_type="log", ref="s3://bucket/run.log")
    assert call("alma_get_artifacts", workflow_id="run")["artifacts"] == [artifact["artifact"]]
    assert call("alma_cleanup_checkpoints", older_than_days=0)["deleted"] == 1
    alma.learn("dev", TASK, True, "Boundary values", task_type="forms", workflow_id="run")
    scoped = call("alma_retrieve_scoped", task=TASK, agent="dev", scope="workflow_only", workflow_id="run")
    assert scoped["scope"] == "workflow_only" and len(scoped["outcomes"]) == 1 and scoped["prompt"]
    alma.add_knowledge("dev", "forms", "The login form locks after five failed attempts")
    alma.add_knowledge("dev", "forms", "The login form locks after 5 failed attempts")
    report = call("alma_consolidate", agent="dev", kind="domain_knowledge", similarity_threshold=0.8)
    assert report["merged"] == 1 and len(report["groups"]) == 1
