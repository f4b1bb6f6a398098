"""The harness end to end with a stand-in LLM (a plain function: the callable a user supplies),
the pre-built schemas, the confidence engine and the layered wake-up context."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alma_graph import ScopeViolationError, ValidationError
from alma_graph.config import parse_config
from alma_graph.interfaces.harness import SCHEMAS, Agent, Context, Harness, LLMResponse, Setting, Tool, create_harness, get_schema

from conftest import snapshot

TDD = "Write a failing test first, then the fix"


class StandInLLM:
    """Answers from the prompt it is given and remembers every prompt."""

    def __init__(self):
        self.prompts: list[str] = []

    def __call__(self, prompt: str):
        self.prompts.append(prompt)
        if "crash" in prompt.split("## Task")[-1]:  # the task itself, not a remembered one
            raise TimeoutError("the model did not answer in 30 s")
        if "Strategies that worked" in prompt and TDD in prompt:
            return LLMResponse(output="Followed the remembered strategy", strategy=TDD, reflections=["memory helped"])
        return {"output": "Patched it", "success": True, "strategy": TDD}


def test_the_harness_runs_end_to_end(make_alma):
    schema = replace(get_schema("coding"), min_occurrences=2)
    alma = make_alma({"coder": schema.to_agent_config()})
    llm = StandInLLM()
    agent = Agent("coder", "a backend engineer", schema, traits=["Small commits"])
    setting = Setting("repo", "A Python service", tools=[Tool("pytest", "runs the tests", ["no network"]), "git"],
                      constraints=["Never push to main"])
    harness = Harness(setting, agent, alma, llm, evaluate=lambda context, output: "rejected" not in context.task)

    first = harness.run(Context("Fix the date parsing bug in the invoices module", task_type="debugging",
                                inputs={"issue": "#42"}, workflow_id="sprint-3"))
    assert first.success and first.outcome.success and first.task_type == "debugging" and first.strategy == TDD
    assert "## You are coder, a backend engineer" in first.prompt and "- pytest: runs the tests" in first.prompt
    assert "Relevant memory" not in first.prompt  # nothing learned yet
    harness.run(Context("Fix the time zone parsing bug in the invoices module", task_type="debugging"))

    third = harness.run(Context("Fix the currency parsing bug in the invoices module", task_type="debugging"))
    assert "Strategies that worked" in llm.prompts[-1] and TDD in llm.prompts[-1]  # the memory was injected
    assert third.output == "Followed the remembered strategy" and third.memories.heuristics
    assert third.outcome.user_feedback == "memory helped" and third.outcome.metadata == {"harness": "repo",
                                                                                            "schema": "coding"}

    failed = harness.run(Context("Fix the crash in the exporter", task_type="debugging"))
    assert not failed.success and failed.error == "TimeoutError: the model did not answer in 30 s"
    assert failed.outcome.success is False and failed.outcome.error_message == failed.error
    rejected = harness.run(Context("Fix the rejected upload", task_type="debugging"))
    assert not rejected.success and rejected.error == "the evaluation rejected the output"

    in_sprint = alma.retrieve_scoped("date parsing bug", "coder", "workflow_only", workflow_id="sprint-3")
    assert [o.task_description for o in in_sprint.outcomes] == ["Fix the date parsing bug in the invoices module"]
    assert alma.stats("coder")["by_kind"]["outcome"] == 5

    before, calls = snapshot(alma), len(llm.prompts)
    with pytest.raises(ScopeViolationError, match="credentials"):
        harness.run(Context("Rotate the API keys", task_type="credentials"))  # forbidden by the coding schema
    bad = Harness(setting, agent, alma, lambda prompt: 42)
    with pytest.raises(ValidationError, match="llm must return"):
        bad.run(Context("Fix the flaky test", task_type="testing"))
    assert snapshot(alma) == before and len(llm.prompts) == calls  # refused before the llm, nothing written


def test_prebuilt_schemas_make_valid_agent_configs():
    assert set(SCHEMAS) == {"coding", "research", "sales", "support", "content", "general"}
    config = parse_config({"agents": {f"{name}_agent": s.to_agent_config() for name, s in SCHEMAS.items()}})
    assert config.agent("coding_agent").cannot_learn == ["customer_data", "credentials"]
    assert config.agent("general_agent").can_learn == []  # learns anything
    for name, schema in SCHEMAS.items():
        assert schema.allows(schema.task_type(None)), name
        assert schema.domain in schema.to_prompt()
    mine = get_schema("sales")
    mine.learnable_categories.append("pricing")
    assert "pricing" not in SCHEMAS["sales"].learnable_categories  # a copy
    with pytest.raises(ValidationError, match="no pre-built schema"):
        get_schema("legal")


@pytest.mark.kuzu_only
def test_create_harness_for_a_domain(alma):
    harness = create_harness("support", alma, lambda prompt: "Asked for the logs first")
    result = harness.run(Context("Customer cannot log in after the update", user_id="dana"))
    assert result.success and result.task_type == "troubleshooting" and result.outcome.agent == "support_agent"


def test_assess_strategy_weighs_what_the_agent_can_see(make_alma):
    alma = make_alma({"lead": {}, "dev": {"inherit_from": ["lead"], "min_occurrences_for_heuristic": 2}})
    for task in ("Test the login form with a bad email", "Test the signup form with a bad email"):
        alma.learn("dev", task, True, "Boundary values on every field", task_type="forms")
    alma.add_anti_pattern("lead", "Fixed sleep() waits in UI tests", "Flaky on slow CI",
                          better_alternative="Wait for the element state", task_type="forms")

    good = alma.assess_strategy("Boundary values on every field", "Test the contact form with a bad email", "dev")
    assert good.recommendation in ("yes", "strong_yes") and good.confidence > 0.6
    [heuristic] = alma.retrieve("Test the contact form", "dev").heuristics
    assert heuristic.id in good.memory_ids and not good.risks
    assert sum(e.kind == "outcome" for e in good.supporting) == 0  # counted once, through the heuristic

    risky = alma.assess_strategy("Add fixed sleep() waits in the UI tests", "Test the login form", "dev")
    assert risky.recommendation in ("caution", "avoid") and risky.confidence < 0.5
    assert [e.kind for e in risky.risks] == ["anti_pattern"] and risky.risks[0].shared_from == "lead"
    assert "Wait for the element state" in risky.alternatives and "Risk:" in risky.to_prompt()

    unknown = alma.assess_strategy("Rewrite it in Haskell", "Plan the quarterly offsite", "dev")
    assert (unknown.recommendation, unknown.confidence, unknown.memory_ids) == ("neutral", 0.5, [])
    with pytest.raises(ValidationError):
        alma.assess_strategy("", "context", "dev")


def test_wake_up_layers_fit_the_budget(make_alma):
    alma = make_alma({"dev": {"domain": "payments", "can_learn": ["forms", "deploys"],
                              "description": "Backend developer on the payments team.",
                              "min_occurrences_for_heuristic": 2}})
    for task in ("Test the login form with a bad email", "Test the signup form with a bad email"):
        alma.learn("dev", task, True, "Boundary values on every field", task_type="forms")
    alma.add_anti_pattern("dev", "Deploying on Friday evening", "Nobody is on call", task_type="deploys")
    alma.add_knowledge("dev", "deploys", "Billing deploys need the on-call engineer online")
    alma.add_preference("dana", "reports", "Failing cases first")
    session = alma.start_session("dev", "Stabilise the login tests")
    alma.create_handoff("dev", session.session_id, "Ran the suite", "2 failures", next_steps=["Fix the selectors"])

    context = alma.wake_up("dev", user_id="dana", query="login form email validation", max_tokens=400)
    assert [layer.name for layer in context.layers] == ["identity", "essential_story", "on_demand"]
    prompt = context.to_prompt()
    assert len(prompt) <= 4 * 400 and context.tokens <= 400  # about four characters a token
    assert prompt.startswith("## Identity\nYou are dev, working on payments.")
    story = context.layer("essential_story").text
    for expected in ("Ran the suite -> 2 failures", "Fix the selectors", "Boundary values on every field",
                     "Deploying on Friday evening", "Failing cases first", "Billing deploys need"):
        assert expected in story
    assert "## Recall" in context.layer("on_demand").text

    small = alma.wake_up("dev", max_tokens=60)
    assert 0 < len(small.to_prompt()) <= 4 * 60 and small.layers[0].name == "identity"
    assert len(small.to_prompt()) < len(prompt)  # the smaller budget leaves things out
    with pytest.raises(ValidationError, match="max_tokens"):
        alma.wake_up("dev", max_tokens=10)
