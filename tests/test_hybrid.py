"""Each signal of the hybrid ranker changes results where it should, and scope holds in all of them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from alma_graph import ValidationError

WEEKEND_CHATTER = [
    ("Gina", "On weekends I usually go hiking in the mountains with my dog."),
    ("Gina", "My weekends are for baking bread and reading novels."),
    ("Tom", "Weekends mean football practice and a barbecue for me."),
    ("Tom", "I spend most weekends fixing up my old motorbike."),
    ("Maria", "Every weekend I take the kids to the swimming pool."),
    ("Maria", "Weekend mornings are for yoga, afternoons for gardening."),
    ("Gina", "Last weekend I went kayaking on the lake, it was lovely."),
    ("Tom", "My weekend plans usually involve a long bike ride."),
]
TARGET = ("Jolene", "I mostly spend my Saturdays volunteering at the animal shelter.")


def conversation(alma, agent="chat", turns=(*WEEKEND_CHATTER, TARGET), day=None, name_in_text=True):
    items = [{"agent": agent, "domain": "conversation", "speaker": speaker,
              "fact": f"{speaker}: {text}" if name_in_text else text,
              "session_id": "s1", "sequence": i, "timestamp": day}
             for i, (speaker, text) in enumerate(turns)]
    return alma.add_knowledge_batch(items)


def facts(result):
    return [k.fact for k in result.domain_knowledge]


def test_a_speakers_turn_is_found_by_name(alma):
    """The speaker is a property of the turn, not in its words: only the graph links them."""
    conversation(alma, name_in_text=False)
    target = TARGET[1]
    query = "What does Jolene do on weekends?"
    without_graph = facts(alma.retrieve(query, "chat", top_k=3, recipe="dense_bm25"))
    with_graph = alma.retrieve(query, "chat", top_k=3, recipe="dense_bm25_graph", explain=True)
    assert target not in without_graph
    assert target in facts(with_graph)
    found = next(k for k in with_graph.domain_knowledge if k.fact == target)
    assert found.explain["signals"]["graph"]["rank"] == 1
    assert any("Jolene" in path and "MENTIONS" in path for path in found.explain["paths"])


def test_an_entity_one_relation_away_is_reached_through_the_graph(alma):
    alma.add_knowledge_batch([
        {"agent": "dev", "domain": "people", "fact": "Alice works at Acme Corp."},
        {"agent": "dev", "domain": "companies", "fact": "Acme Corp builds rocket engines in Texas."},
        {"agent": "dev", "domain": "companies", "fact": "Globex builds electric cars in Ohio."},
        {"agent": "dev", "domain": "companies", "fact": "Initech builds office printers in Oregon."},
        {"agent": "dev", "domain": "companies", "fact": "Hooli builds phones and laptops in California."},
        {"agent": "dev", "domain": "companies", "fact": "Umbrella builds medical devices in Nevada."},
    ])
    query = "What does the company that employs Alice build?"
    result = alma.retrieve(query, "dev", top_k=2, explain=True)
    rocket = next(k for k in result.domain_knowledge if "rocket" in k.fact)
    assert any("RELATED {works_at}" in path for path in rocket.explain["paths"])
    assert facts(result).index(rocket.fact) <= 1
    # without the graph signal the same words and meaning leave it outside the top two
    without_graph = facts(alma.retrieve(query, "dev", top_k=6, recipe="dense_bm25"))
    assert without_graph.index(rocket.fact) > 1


def test_a_dated_question_prefers_memories_from_that_time(alma):
    months = {1: "January", 3: "March", 5: "May", 7: "July"}
    for month in months:
        alma.add_knowledge("dev", "work", f"Worked on the billing service migration, part {month}.",
                           timestamp=datetime(2024, month, 12, tzinfo=timezone.utc))
    result = alma.retrieve("What did I work on in March 2024?", "dev", top_k=1, explain=True)
    [top] = result.domain_knowledge
    assert top.timestamp.month == 3
    assert "time" in top.explain["signals"]
    relative = alma.retrieve("What did I work on last week?", "dev", top_k=1,
                             as_of=datetime(2024, 5, 20, tzinfo=timezone.utc), explain=True)
    assert relative.domain_knowledge[0].timestamp.month == 5


def test_session_neighbours_come_along(alma):
    conversation(alma, turns=[
        ("Nate", "Guess what, I finally adopted a puppy!"),
        ("Joanna", "No way, what's its name?"),
        ("Nate", "Her name is Biscuit, she's a beagle."),
        ("Joanna", "I'm writing a screenplay about a lighthouse."),
    ])
    result = alma.retrieve("Did Nate adopt a dog?", "chat", top_k=4, explain=True)
    by_fact = {k.fact: k for k in result.domain_knowledge}
    reply = by_fact.get("Joanna: No way, what's its name?")
    assert reply is not None and "neighbors" in reply.explain["signals"]


def test_scope_holds_in_every_signal(make_alma):
    alma = make_alma(agents={"a": {}, "b": {}})
    secret = "Jolene: I mostly spend my Saturdays volunteering at the animal shelter in March 2024."
    alma.add_knowledge_batch([{"agent": "b", "domain": "conversation", "fact": secret, "speaker": "Jolene",
                               "session_id": "s9", "sequence": 0,
                               "timestamp": datetime(2024, 3, 3, tzinfo=timezone.utc)}])
    conversation(alma, agent="a", turns=WEEKEND_CHATTER)
    query = "What does Jolene do at the animal shelter on Saturdays in March 2024?"
    for recipe in ("similarity_only", "bm25_only", "dense_bm25", "dense_bm25_graph", "hybrid"):
        result = alma.retrieve(query, "a", top_k=20, recipe=recipe)
        assert secret not in facts(result), recipe
        assert all(k.agent == "a" for k in result.domain_knowledge), recipe
        # the secret is findable by this signal: it is scope, not the ranker, that keeps it from "a"
        assert facts(alma.retrieve(query, "b", top_k=20, recipe=recipe))[0] == secret, recipe


def test_recipes_are_named_and_unknown_ones_rejected(make_alma):
    alma = make_alma(retrieval={"recipe": "bm25_only", "recipes": {
        "lexical_heavy": {"signals": {"dense": {"n": 10, "weight": 0.2}, "bm25": {"n": 10, "weight": 2.0}}},
        "meaning_only": {"signals": {"dense": {"n": 10}}}}})
    alma.add_knowledge("dev", "x", "The zebrafish tank needs cleaning every Tuesday.")
    [custom] = alma.retrieve("zebrafish tank", "dev", recipe="lexical_heavy", explain=True).domain_knowledge
    assert custom.explain["recipe"] == "lexical_heavy" and set(custom.explain["signals"]) == {"dense", "bm25"}
    [dense] = alma.retrieve("zebrafish tank", "dev", recipe="meaning_only", explain=True).domain_knowledge
    assert set(dense.explain["signals"]) == {"dense"}  # the words match too, but this recipe does not look
    [default] = alma.retrieve("zebrafish tank", "dev", explain=True).domain_knowledge  # the config's recipe
    assert default.explain["recipe"] == "bm25_only" and set(default.explain["signals"]) == {"bm25"}
    with pytest.raises(ValidationError, match="unknown recipe"):
        alma.retrieve("zebrafish", "dev", recipe="nope")
