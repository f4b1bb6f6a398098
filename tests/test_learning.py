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
    confidences = []
    for task in LOGIN_TASKS:
        alma.learn("qa", task, True, STRATEGY, task_type="form_testing")
        confidences += [r["confidence"] for r in heuristics(alma)]
    [row] = heuristics(alma)
    assert row["occurrence_count"] == 6 and row["success_count"] == 6
    assert len(alma.store.targets(Edge.DERIVED_FROM, row["id"])) == 6
    assert len(confidences) == 4  # one heuristic from the third success on, reinforced by each later one
    assert all(a < b for a, b in zip(confidences, confidences[1:])) and confidences[-1] < 1  # more evidence, more confidence


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


SLEEP = "Wait with fixed sleep() calls before clicking"
SIGNUP_FAILURES = ("Test the signup form submit button", "Test the signup form after submitting",
                   "Test the signup form error banner")


def recent(when) -> bool:
    from datetime import datetime, timedelta, timezone

    return when is not None and datetime.now(timezone.utc) - when < timedelta(minutes=10)


def test_what_is_learned_carries_its_text_and_times(alma):
    for task in LOGIN_TASKS[:3]:
        alma.learn("qa", task, True, STRATEGY, task_type="form_testing")
    [heuristic] = heuristics(alma)
    assert recent(heuristic["last_validated"])  # a heuristic is validated by the successes it came from
    alma.learn("qa", LOGIN_TASKS[3], True, STRATEGY, task_type="form_testing")
    [heuristic] = heuristics(alma)
    assert recent(heuristic["last_validated"])

    confidences = []
    for task in SIGNUP_FAILURES:
        alma.learn("qa", task, False, SLEEP, task_type="form_testing", error_message="flaky")
        rows = anti_patterns(alma)
        assert all(recent(r["last_seen"]) for r in rows)  # seen when made, and each time again
        confidences += [r["confidence"] for r in rows]
    [anti] = anti_patterns(alma)
    assert SLEEP in anti["pattern"]
    assert 0.5 < confidences[0] < confidences[1] < 1  # two failures already make it more likely than not
    # the agent's own memory, linked from the agent as its direct writes are
    from alma_graph.graph_model import agent_key

    learned = set(alma.store.targets(Edge.LEARNED, agent_key(alma.store.project_id, "qa")))
    assert {heuristic["id"], anti["id"]} <= learned


def test_only_the_agents_own_live_successes_count(make_alma):
    alma = make_alma(agents={"qa": {}, "other": {}})
    for task in LOGIN_TASKS[:2]:
        alma.learn("other", task, True, STRATEGY, task_type="form_testing")
    alma.learn("qa", LOGIN_TASKS[2], True, STRATEGY, task_type="form_testing")
    assert heuristics(alma, "qa") == [] and heuristics(alma, "other") == []  # 1 + 2, never 3 of one agent

    archived = alma.learn("qa", LOGIN_TASKS[3], True, STRATEGY, task_type="form_testing")
    alma.forget(memory_ids=[archived.id])
    alma.learn("qa", LOGIN_TASKS[4], True, STRATEGY, task_type="form_testing")
    assert heuristics(alma, "qa") == []  # the archived success no longer counts

    for task in SIGNUP_FAILURES[:2]:
        alma.learn("qa", task, False, STRATEGY, task_type="form_testing", error_message="flaky")
    assert heuristics(alma, "qa") == []  # failures of the same strategy are no successes


def test_the_alternative_comes_from_the_same_task_type(alma):
    for task in LOGIN_TASKS[:3]:
        alma.learn("qa", task, True, STRATEGY, task_type="api_testing")
    for task in SIGNUP_FAILURES[:2]:
        alma.learn("qa", task, False, SLEEP, task_type="form_testing", error_message="flaky")
    [anti] = anti_patterns(alma)
    assert anti["better_alternative"] is None  # the only heuristic is about api_testing


def test_a_later_heuristic_is_offered_only_to_its_own_task_type(alma):
    for task in LOGIN_TASKS[:4]:  # a well-supported heuristic about api_testing
        alma.learn("qa", task, True, STRATEGY, task_type="api_testing")
    for task in SIGNUP_FAILURES[:2]:
        alma.learn("qa", task, False, SLEEP, task_type="form_testing", error_message="flaky")
    [anti] = anti_patterns(alma)
    assert anti["better_alternative"] is None
    other = "Fill every field with its longest valid value first"
    for task in LOGIN_TASKS[:3]:  # a newer, less supported one about form_testing
        alma.learn("qa", task, True, other, task_type="form_testing")
    assert len(heuristics(alma)) == 2
    [anti] = anti_patterns(alma)
    assert anti["better_alternative"] == other


def test_learning_after_a_reopen_groups_with_the_outcomes_stored_before(make_alma, tmp_path):
    # The similar outcomes come from the vector index on an embedded store: after a reopen it is
    # the one loaded from its cache file (or rebuilt), and must hold the outcomes learned before.
    alma = make_alma(directory=tmp_path / "reopened")
    for task in LOGIN_TASKS[:2]:
        alma.learn("qa", task, True, STRATEGY, task_type="form_testing")
    sleep_failures(alma, 1)
    alma.close()

    alma = make_alma(directory=tmp_path / "reopened")
    alma.learn("qa", LOGIN_TASKS[2], True, STRATEGY, task_type="form_testing")
    [row] = heuristics(alma)
    assert row["occurrence_count"] == 3 and len(alma.store.targets(Edge.DERIVED_FROM, row["id"])) == 3
    sleep_failures(alma, 2, start=1)
    [anti] = anti_patterns(alma)
    assert anti["occurrence_count"] == 2
    alma.close()

    alma = make_alma(directory=tmp_path / "reopened")
    alma.learn("qa", LOGIN_TASKS[3], True, STRATEGY, task_type="form_testing")
    sleep_failures(alma, 3, start=2)
    assert heuristics(alma)[0]["occurrence_count"] == 4 and anti_patterns(alma)[0]["occurrence_count"] == 3


def test_the_index_and_the_store_find_the_same_similar_outcomes(alma):
    """The learner's two ways to the similar outcomes (the process's vector index on an embedded
    store, the store itself otherwise) agree with each other and with scoring every stored vector."""
    import numpy as np

    from alma_graph.memory.learning import Learner, _add_derived

    learn_successes(alma, [(t, STRATEGY) for t in LOGIN_TASKS[:4]] + UNRELATED)
    sleep_failures(alma, 3)
    alma.forget(memory_ids=[alma.learn("qa", LOGIN_TASKS[4], True, STRATEGY, task_type="form_testing").id])
    ctx, threshold = alma.context, alma.context.config.learning.similarity_threshold
    stored = alma.store.find_memories(with_embedding=True, agents=["qa"], kind=MemoryKind.OUTCOME.value,
                                      category="form_testing", archived=False)
    derived = {(kind, r["id"]): set(alma.store.targets(Edge.DERIVED_FROM, r["id"]))
               for kind, rows in (("heuristic", heuristics(alma)), ("anti_pattern", anti_patterns(alma))) for r in rows}
    assert len(derived) == 3  # email testing, deployments, sleeping
    assert (ctx.own_vectors() is not None) == (alma.store.name == "kuzu")
    sizes = []
    for task, strategy in [(LOGIN_TASKS[5], STRATEGY), (SIGNUP_FAILURES[0], SLEEP), UNRELATED[0]]:
        vector = ctx.embedder.embed(f"{task} | strategy: {strategy}")
        probe = {"id": "probe", "agent": "qa", "category": "form_testing"}
        found = [Learner(alma.store, ctx.config, vectors)._similar_outcomes(probe, vector)
                 for vectors in (ctx.own_vectors(), None)]
        for similar in found[0] + found[1]:  # a backend may leave them to be read one by one
            if similar.derived is None:
                _add_derived(similar, alma.store.derived_of(similar.id, "qa", "form_testing"))
        assert found[0] == found[1]
        sizes.append(len(found[0]))
        scores = np.asarray([r["embedding"] for r in stored], dtype=np.float32) @ vector
        assert {s.id for s in found[0]} == {r["id"] for r, score in zip(stored, scores) if score >= threshold}
        for similar in found[0]:
            assert {kind: d["id"] for kind, d in similar.derived.items()} == {
                kind: memory_id for (kind, memory_id), sources in derived.items() if similar.id in sources}
    assert sizes == [4, 3, 3]  # the live email successes, the sleep failures, the deployments
