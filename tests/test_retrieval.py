"""Ranking v1: relevance, per-kind top_k, score breakdowns, feedback and usage."""

from __future__ import annotations

import pytest

from alma_graph import MemoryNotFoundError, UnknownAgentError


def test_most_relevant_memory_ranks_first_with_a_breakdown(alma):
    alma.add_knowledge("dev", "infra", "The CI pipeline runs on GitHub Actions with four parallel jobs")
    alma.add_knowledge("dev", "infra", "Production databases are backed up nightly to S3")
    alma.add_knowledge("dev", "frontend", "The design system uses Tailwind CSS")
    result = alma.retrieve("Where are database backups stored?", "dev")
    top = result.domain_knowledge[0]
    assert top.fact == "Production databases are backed up nightly to S3"
    assert set(top.score_breakdown) >= {"similarity", "recency", "success_rate", "confidence", "feedback", "total"}
    assert top.score == pytest.approx(top.score_breakdown["total"])
    scores = [k.score for k in result.domain_knowledge]
    assert scores == sorted(scores, reverse=True)


def test_top_k_applies_per_kind(alma):
    alma.add_knowledge_batch([{"agent": "dev", "domain": "python", "fact": f"Python tip number {i}: use list comprehensions"}
                              for i in range(8)])
    for i in range(4):
        alma.learn("dev", f"Write a python list comprehension {i}", True, "Use a generator first")
    result = alma.retrieve("python list comprehensions", "dev", top_k=3)
    assert len(result.domain_knowledge) == 3
    assert len(result.outcomes) == 3


def test_unrelated_memories_are_not_returned(alma):
    alma.add_knowledge("dev", "cooking", "Boil pasta in salted water for nine minutes")
    assert alma.retrieve("Configure TLS certificates for the nginx reverse proxy", "dev").domain_knowledge == []


def test_feedback_changes_later_ranking(alma):
    first = alma.add_knowledge("dev", "deploys", "Deploy the web app with the blue-green script")
    second = alma.add_knowledge("dev", "deploys", "Deploy the web app with the canary script")
    before = [k.id for k in alma.retrieve("how do I deploy the web app", "dev").domain_knowledge]
    loser = before[0]
    winner = second.id if loser == first.id else first.id
    alma.record_feedback(loser, "negative", "dev")
    alma.record_feedback(winner, "positive", "dev")
    after = [k.id for k in alma.retrieve("how do I deploy the web app", "dev").domain_knowledge]
    assert after[0] == winner


def test_record_usage_rewards_used_memories(alma):
    a = alma.add_knowledge("dev", "deploys", "Deploy the web app with the blue-green script")
    b = alma.add_knowledge("dev", "deploys", "Deploy the web app with the canary script")
    ids = [k.id for k in alma.retrieve("how do I deploy the web app", "dev").domain_knowledge]
    unused = ids[0]
    used = b.id if unused == a.id else a.id
    summary = alma.record_usage(ids, [used], "dev")
    assert summary == {"used": 1, "unused": 1}
    [row] = alma.store.get_memories([used])
    assert row["use_count"] == 1 and row["last_used_at"] is not None
    assert [k.id for k in alma.retrieve("how do I deploy the web app", "dev").domain_knowledge][0] == used


def test_feedback_on_unknown_or_invisible_memory_is_an_error(make_alma):
    alma = make_alma(agents={"a": {}, "b": {}})
    memory = alma.add_knowledge("a", "x", "Only agent a can see this fact")
    with pytest.raises(MemoryNotFoundError):
        alma.record_feedback(memory.id, "positive", "b")
    with pytest.raises(MemoryNotFoundError):
        alma.record_feedback("no-such-id", "positive", "a")
    with pytest.raises(UnknownAgentError):
        alma.record_feedback(memory.id, "positive", "ghost")


def test_to_prompt_respects_the_token_budget(alma):
    alma.add_knowledge_batch([{"agent": "dev", "domain": "api", "fact": f"Endpoint /v1/items/{i} returns the item with id {i} as JSON"}
                              for i in range(20)])
    result = alma.retrieve("what does the items endpoint return", "dev", top_k=20)
    full = result.to_prompt(max_tokens=10_000)
    assert all(f"/v1/items/{i} " in full for i in range(20))  # a large budget leaves nothing out
    budgets = (30, 60, 120, 240)
    prompts = [result.to_prompt(max_tokens=budget) for budget in budgets]
    for budget, prompt in zip(budgets, prompts):
        # about four characters a token: a budget of n tokens holds at most 4n characters
        assert 0 < len(prompt) <= 4 * budget, budget
        assert prompt.startswith("## Knowledge")
    kept = [prompt.count("/v1/items/") for prompt in prompts]
    assert kept == sorted(kept) and kept[0] < kept[-1] < 20  # a larger budget keeps more, the best first
    first_items = [line for line in prompts[0].splitlines() if "/v1/items/" in line]
    assert all(line in prompts[-1] for line in first_items)


def test_forget_archives_and_restore_brings_back(alma):
    memory = alma.add_knowledge("dev", "infra", "The staging cluster runs in eu-west-1")
    assert alma.forget(memory_ids=[memory.id]) == 1
    assert alma.retrieve("where does staging run", "dev").domain_knowledge == []
    assert alma.stats()["archived"] == 1
    assert alma.restore([memory.id]) == 1
    assert [k.id for k in alma.retrieve("where does staging run", "dev").domain_knowledge] == [memory.id]


def test_stats_count_per_kind_and_agent(alma):
    alma.add_knowledge("dev", "infra", "The staging cluster runs in eu-west-1")
    alma.learn("dev", "Deploy staging", True, "Use the deploy script")
    alma.add_preference("alice", "style", "Short answers")
    alma.add_anti_pattern("ops", "Deploy on Fridays", "Nobody is around to fix it", "Deploy Monday to Thursday")
    stats = alma.get_stats()
    assert stats["total_memories"] == 4
    assert stats["by_kind"] == {"heuristic": 0, "outcome": 1, "preference": 1, "domain_knowledge": 1, "anti_pattern": 1}
    assert stats["by_agent"] == {"dev": 2, "ops": 1}
    assert alma.stats(agent="ops")["total_memories"] == 1


def test_aliases_and_async_twins(alma):
    import asyncio

    cache = alma.add_domain_knowledge("dev", "infra", "The cache is Redis 7")
    bullets = alma.add_user_preference("alice", "style", "Use bullet points")
    assert (cache.agent, cache.domain, cache.fact) == ("dev", "infra", "The cache is Redis 7")
    assert (bullets.user_id, bullets.category, bullets.preference) == ("alice", "style", "Use bullet points")
    found = alma.retrieve("which cache do we use", "dev", user_id="alice")
    assert cache.id in [k.id for k in found.domain_knowledge] and [p.id for p in found.preferences] == [bullets.id]
    assert alma.get_stats() == alma.stats()

    async def run():
        await alma.async_add_knowledge("dev", "infra", "The queue is RabbitMQ")
        return await alma.async_retrieve("which message queue do we use", "dev")

    result = asyncio.run(run())
    assert result.domain_knowledge[0].fact == "The queue is RabbitMQ"
