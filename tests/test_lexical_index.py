"""The incremental BM25 index scores as a from-scratch ``bm25s`` index of the same texts.

The index is built through a history of writes — batches, conversation turns arriving
out of order, removals (of a turn before another, too), re-adds with a new text — and
compared, query by query, with ``bm25s.BM25`` indexed once over the final documents
(each turn with the text of the turn before it): the same scores (1e-5 relative) and the
same ids, up to the order among equal scores, under owner/kind restriction and ``only_ids``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import bm25s
import numpy as np
import pytest
import Stemmer

from alma_graph.indexes.lexical import LexicalIndex
from alma_graph.indexes.vectors import VectorEntry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from _vs_alma_workload import facts, queries  # noqa: E402

STEMMER = Stemmer.Stemmer("english")
TURNS = [
    "Caroline: I went to the LGBTQ support group yesterday and it was so powerful.",
    "Melanie: That's great! What did you talk about there?",
    "Caroline: Mostly about transgender stories, and how much courage it takes.",
    "Melanie: Yes, last Tuesday! I painted a sunrise over the lake with my kids.",
    "Caroline: Running, swimming and painting: the kids keep you busy.",
    "Melanie: We're going camping in the mountains next month.",
    "Caroline: The the the and of — to be or not to be.",
    "Melanie: Ok!",
]
OWNERS = ["dev", "ops", "user:ann"]
KINDS = ["domain_knowledge", "heuristic"]


def _tokens(texts):
    return bm25s.tokenize(texts, stopwords="en", stemmer=STEMMER, show_progress=False, return_ids=False)


class Model:
    """What the index should hold: id -> (entry, text, position), in insertion order."""

    def __init__(self):
        self.docs = {}

    def add(self, index, rows):
        index.add([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
        for entry, text, position in rows:
            self.docs.pop(entry.memory_id, None)
            self.docs[entry.memory_id] = (entry, text, position)

    def remove(self, index, ids):
        index.remove(ids)
        for i in ids:
            self.docs.pop(i, None)

    def reference(self):
        """bm25s over the final documents, each turn with the text of the one before it."""
        docs = list(self.docs.values())
        by_position = {p: t for _, t, p in docs if p is not None}

        def with_context(text, position):
            if position is None:
                return text
            previous = by_position.get((position[0], position[1] - 1))
            return f"{previous} {text}" if previous else text

        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenize([with_context(t, p) for _, t, p in docs], stopwords="en", stemmer=STEMMER,
                                       show_progress=False), show_progress=False)
        return retriever, [e for e, _, _ in docs]


def _check(index, model, query_list, rng, n=10):
    retriever, entries = model.reference()
    owners = np.array([e.owner for e in entries], dtype=object)
    kinds = np.array([e.kind for e in entries], dtype=object)
    ids = [e.memory_id for e in entries]
    compared = 0
    for query in query_list:
        visible_owners = set(rng.sample(OWNERS, rng.randint(1, len(OWNERS))))
        kind = rng.choice(KINDS)
        only = set(rng.sample(ids, len(ids) // 3)) if rng.random() < 0.3 else None
        mask = ((kinds == kind) & np.isin(owners, list(visible_owners))).astype(np.float32)
        if only is not None:
            mask *= np.array([i in only for i in ids], dtype=np.float32)
        tokens = _tokens([query])[0]
        expected = np.zeros(len(ids), dtype=np.float32)
        if tokens:
            expected = retriever.get_scores(tokens, weight_mask=mask)
        by_id = dict(zip(ids, expected.tolist()))
        best = sorted((s for s in expected.tolist() if s > 0), reverse=True)[:n]

        got = index.search(query, visible_owners, kind, n, only_ids=only)
        assert [s for _, s in got] == pytest.approx(best, rel=1e-5), query
        # each id returned holds that score in the reference, so the ids are the same up to ties
        for memory_id, score in got:
            assert by_id[memory_id] == pytest.approx(score, rel=1e-5), (query, memory_id)
        assert len({i for i, _ in got}) == len(got)
        assert all(a[1] >= b[1] for a, b in zip(got, got[1:]))
        compared += len(got)
    return compared


def _fact_rows(texts, start, rng):
    return [(VectorEntry(f"f{start + i}", rng.choice(OWNERS), rng.choice(KINDS)), text, None)
            for i, text in enumerate(texts)]


def _turn_rows(session, turns, rng):
    return [(VectorEntry(f"{session}-{seq}", rng.choice(OWNERS[:2]), "domain_knowledge"), TURNS[seq], (session, seq))
            for seq in turns]


def test_tokens_are_bm25s_tokens():
    index = LexicalIndex()
    texts = TURNS + facts(50) + ["", "  ", "Ünïcode ÉCOLE naïve café straße ΟΔΟΣ", "a I x 42 4 2a under_score"]
    assert index._tokenize(texts) == _tokens(texts)


def test_incremental_index_matches_a_bm25s_index_of_the_same_texts():
    rng = random.Random(3)
    index, model = LexicalIndex(), Model()
    corpus = facts(600)
    query_list = queries(40) + [t.split(":", 1)[1] for t in TURNS] + [
        "painting kids", "camping mountains next month", "courage transgender support", "the and of",
        "Redis Redis failover", "nothing matches zzzqx", ""]

    model.add(index, _fact_rows(corpus[:300], 0, rng))  # one batch, as on open
    for i in range(300, 400):  # then one by one, as add_knowledge does
        model.add(index, _fact_rows([corpus[i]], i, rng))
    # conversation turns: in order, out of order, and in one batch holding both
    model.add(index, _turn_rows("s1", [0, 1, 2, 3], rng))
    model.add(index, _turn_rows("s2", [3], rng))
    model.add(index, _turn_rows("s2", [1], rng))
    model.add(index, _turn_rows("s2", [2], rng))  # between two: both neighbours change
    model.add(index, _turn_rows("s3", [5, 4, 7, 6], rng))
    assert len(index) == len(model.docs)
    assert _check(index, model, query_list, rng) > 100

    model.remove(index, ["s1-1", "f3", "f10", "missing"])  # s1-2 loses its context
    model.add(index, _turn_rows("s2", [0], rng))
    # re-adds replace: a new text, a new owner, a turn moved to another position
    model.add(index, [(VectorEntry("f20", "ops", "heuristic"), "Kafka lags behind when painting sunrise", None),
                      (VectorEntry("s1-3", "dev", "domain_knowledge"), TURNS[5], ("s1", 3))])
    model.add(index, [(VectorEntry("s3-5", "dev", "domain_knowledge"), TURNS[1], ("s9", 1))])
    model.add(index, _fact_rows(corpus[400:600], 400, rng))
    assert len(index) == len(model.docs)
    assert _check(index, model, query_list, rng) > 100


def test_removals_compact_and_scores_still_match():
    rng = random.Random(5)
    index, model = LexicalIndex(), Model()
    corpus = facts(3000)
    model.add(index, _fact_rows(corpus, 0, rng))
    model.add(index, _turn_rows("s", range(len(TURNS)), rng))
    model.remove(index, [f"f{i}" for i in range(0, 3000, 3)] + [f"f{i}" for i in range(1, 3000, 3)] + ["s-2"])
    assert len(index._slot_ids) < 2 * len(model.docs)  # compacted: dead slots dropped
    model.add(index, _fact_rows(corpus[:50], 5000, rng))
    assert _check(index, model, queries(30) + ["kids painting lake", "camping"], rng) > 50


def test_ties_are_ordered_by_memory_id_and_visibility_applies_before_the_top_n():
    index = LexicalIndex()
    entries = [VectorEntry(f"m{i}", "dev" if i % 2 else "ops", "domain_knowledge") for i in range(6)]
    index.add(entries[::-1], ["redis cluster failover"] * 6)  # indexed last to first: the order is the ids'

    assert [i for i, _ in index.search("redis", {"dev", "ops"}, "domain_knowledge", 4)] == ["m0", "m1", "m2", "m3"]
    assert [i for i, _ in index.search("redis", {"dev"}, "domain_knowledge", 2)] == ["m1", "m3"]
    assert [i for i, _ in index.search("redis", {"ops"}, "domain_knowledge", 9, only_ids={"m4", "m5"})] == ["m4"]
    assert index.search("redis", {"ops"}, "heuristic", 5) == []
    assert index.search("redis", {"nobody"}, "domain_knowledge", 5) == []
    assert index.search("the of", {"dev"}, "domain_knowledge", 5) == []
    index.remove([e.memory_id for e in entries])
    assert len(index) == 0 and index.search("redis", {"dev"}, "domain_knowledge", 5) == []
