"""Outcomes turn into heuristics and anti-patterns by themselves."""

from __future__ import annotations

from alma_graph import AntiPattern, Heuristic, MemoryKind
from alma_graph.graph_model import Edge

LOGIN_TASKS = [
    "Test the login form with an invalid email address",
    "Test the login form when the email field is empty",
    "Test the login form with a malformed email",
    "Test the login form with an email that is too long",
    "Test the login form with unicode in the email",
    "Test the login form email validation message",
]
STRATEGY = "Use boundary value testing on the email input field"


def heuristics(alma, agent="qa"):
    return alma.store.find_memories(agents=[agent], kind=MemoryKind.HEURISTIC.value, archived=False)


def anti_patterns(alma, agent="qa"):
    return alma.store.find_memories(agents=[agent], kind=MemoryKind.ANTI_PATTERN.value, archived=False)


def test_three_similar_successes_make_exactly_one_heuristic(alma):
    for task in LOGIN_TASKS[:2]:
        alma.learn("qa", task, True, STRATEGY, task_type="form_testing")
    assert heuristics(alma) == []  # below min_occurrences_for_heuristic (3)

    alma.learn("qa", LOGIN_TASKS[2], True, STRATEGY, task_type="form_testing")
    [row] = heuristics(alma)
    assert row["occurrence_count"] == 3 and row["success_count"] == 3
    assert row["strategy"] == STRATEGY and row["category"] == "form_testing"
    # the heuristic is linked to the three outcomes it came from
    sources = alma.store.targets(Edge.DERIVED_FROM, row["id"])
    outcomes = {r["id"] for r in alma.store.find_memories(kind=MemoryKind.OUTCOME.value)}
    assert set(sources) == outcomes and len(sources) == 3


def test_six_similar_successes_reinforce_one_heuristic(alma):
    for task in LOGIN_TASKS:
        alma.learn("qa", task, True, STRATEGY, task_type="form_testing")
    [row] = heuristics(alma)
    assert row["occurrence_count"] == 6 and row["success_count"] == 6
    assert len(alma.store.targets(Edge.DERIVED_FROM, row["id"])) == 6
    three_confidence = (3 + 1) / (3 + 2)
    assert row["confidence"] > three_confidence  # more evidence, more confidence


def test_a_similar_failure_counts_against_the_heuristic(alma):
    for task in LOGIN_TASKS[:3]:
        alma.learn("qa", task, True, STRATEGY, task_type="form_testing")
    before = heuristics(alma)[0]["confidence"]
    alma.learn("qa", LOGIN_TASKS[3], False, STRATEGY, task_type="form_testing", error_message="missed a case")
    [row] = heuristics(alma)
    assert row["occurrence_count"] == 4 and row["success_count"] == 3
    assert row["confidence"] < before


def test_dissimilar_successes_do_not_make_a_heuristic(alma):
    alma.learn("qa", "Test the login form with an invalid email", True, STRATEGY, task_type="form_testing")
    alma.learn("qa", "Benchmark the search API under load", True, "Ramp up virtual users with k6", task_type="form_testing")
    alma.learn("qa", "Review the color contrast of the dashboard", True, "Run axe accessibility checks", task_type="form_testing")
    assert heuristics(alma) == []


def test_same_strategy_in_another_task_type_is_not_merged(alma):
    for task in LOGIN_TASKS[:2]:
        alma.learn("qa", task, True, STRATEGY, task_type="form_testing")
    alma.learn("qa", LOGIN_TASKS[2], True, STRATEGY, task_type="api_testing")
    assert heuristics(alma) == []


def test_min_occurrences_comes_from_the_agent_config(make_alma):
    alma = make_alma(agents={"qa": {"min_occurrences_for_heuristic": 2}})
    for task in LOGIN_TASKS[:2]:
        alma.learn("qa", task, True, STRATEGY, task_type="form_testing")
    assert len(heuristics(alma)) == 1


WAIT_TASKS = ["Test the checkout form submit button", "Test the checkout form coupon button",
              "Test the checkout form pay button"]
WAIT_STRATEGY = "Wait until the button is enabled before clicking it, instead of sleeping"
UNRELATED = [("Deploy the orders service", "Split read and write paths (CQRS)"),
             ("Deploy the orders service to staging", "Split read and write paths (CQRS)"),
             ("Deploy the orders service to production", "Split read and write paths (CQRS)")]
SLEEP = "Wait with fixed sleep() calls before clicking"


def learn_successes(alma, pairs):
    for task, strategy in pairs:
        alma.learn("qa", task, True, strategy, task_type="form_testing")


def sleep_failures(alma, n=2, start=0):
    for task, error in [("Test the signup form submit button", "Flaky: the button was not yet enabled"),
                        ("Test the signup form after submitting", "Flaky: timing-dependent waits"),
                        ("Test the signup form error banner", "Flaky: the banner came late")][start:n]:
        alma.learn("qa", task, False, SLEEP, task_type="form_testing", error_message=error)


def test_two_similar_failures_make_one_anti_pattern_advised_by_the_most_similar_heuristic(alma):
    # The most confident heuristic of the task type (six successes) is about email fields, another
    # about deployments: neither is advice about sleeping before a click; the waiting one is.
    learn_successes(alma, [(t, STRATEGY) for t in LOGIN_TASKS] + UNRELATED + [(t, WAIT_STRATEGY) for t in WAIT_TASKS])
    sleep_failures(alma, 1)
    assert anti_patterns(alma) == []
    sleep_failures(alma, 2, start=1)
    [row] = anti_patterns(alma)
    assert row["occurrence_count"] == 2
    assert row["why_bad"] == "Flaky: timing-dependent waits"
    assert row["better_alternative"] == WAIT_STRATEGY
    assert len(alma.store.targets(Edge.DERIVED_FROM, row["id"])) == 2

    alma.learn("qa", "Test the signup form error banner", False, SLEEP, task_type="form_testing")
    [row] = anti_patterns(alma)
    assert row["occurrence_count"] == 3


def test_no_fitting_heuristic_leaves_the_alternative_empty(alma):
    learn_successes(alma, [(t, STRATEGY) for t in LOGIN_TASKS] + UNRELATED)
    sleep_failures(alma)
    [row] = anti_patterns(alma)
    assert row["better_alternative"] is None  # not "split read and write paths" nor the email advice
    assert "Instead" not in alma.retrieve("test the signup form submit button", "qa").to_prompt()


def test_anti_pattern_gets_its_alternative_when_a_fitting_heuristic_appears_later(alma):
    sleep_failures(alma)
    [row] = anti_patterns(alma)
    assert row["better_alternative"] is None
    learn_successes(alma, [(t, STRATEGY) for t in LOGIN_TASKS[:3]] + UNRELATED)  # unrelated ones: still empty
    [row] = anti_patterns(alma)
    assert row["better_alternative"] is None
    learn_successes(alma, [(t, WAIT_STRATEGY) for t in WAIT_TASKS])
    [row] = anti_patterns(alma)
    assert row["better_alternative"] == WAIT_STRATEGY


def test_advice_a_person_wrote_is_kept_when_a_heuristic_appears(alma):
    alma.add_anti_pattern("qa", SLEEP, "Flaky on slow CI", "Poll for the element state", task_type="form_testing")
    learn_successes(alma, [(t, WAIT_STRATEGY) for t in WAIT_TASKS])
    [row] = anti_patterns(alma)
    assert row["better_alternative"] == "Poll for the element state"


def test_learned_memories_are_retrieved_as_typed_objects(alma):
    for task in LOGIN_TASKS[:3]:
        alma.learn("qa", task, True, STRATEGY, task_type="form_testing")
    for task in ("Test the signup form submit button", "Test the signup form after submitting"):
        alma.learn("qa", task, False, "Wait with fixed sleep() calls", task_type="form_testing", error_message="flaky")
    result = alma.retrieve("How should I test the email field of the login form?", "qa")
    assert isinstance(result.heuristics[0], Heuristic) and result.heuristics[0].strategy == STRATEGY
    assert isinstance(result.anti_patterns[0], AntiPattern)
    assert result.outcomes and result.outcomes[0].task_description in LOGIN_TASKS
    prompt = result.to_prompt()
    assert STRATEGY in prompt and "sleep()" in prompt and "Relevant past outcomes" in prompt


def test_outcome_strings_and_metadata_round_trip(alma):
    from datetime import datetime, timezone

    when = datetime(2024, 5, 8, 13, 56, tzinfo=timezone.utc)
    outcome = alma.learn("qa", "Deploy the staging build", "success", "Blue-green deploy", timestamp=when,
                         metadata={"ticket": "QA-12", "tags": ["deploy"]}, duration_ms=1200)
    assert outcome.success is True and outcome.timestamp == when and outcome.duration_ms == 1200
    [found] = alma.retrieve("deploy staging", "qa").outcomes
    assert found.id == outcome.id and found.metadata == {"ticket": "QA-12", "tags": ["deploy"]}
    assert found.timestamp == when
