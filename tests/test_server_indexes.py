"""On Neo4j, retrieval runs on the server's own indexes (``retrieval.indexes: server``, the
default there): no copy in the process, visibility applied before the top-n, the BM25
text the embedded index builds (a turn with the one before it), writes seen by every
instance at once, and stores written before these indexes get them on open."""

from __future__ import annotations

import uuid

import pytest
from conftest import BACKENDS

from alma_graph import ALMA
from alma_graph.indexes import server as server_indexes
from alma_graph.indexes.server import ServerIndexes

pytestmark = pytest.mark.skipif("neo4j" not in BACKENDS, reason="Neo4j backend not selected")

AGENTS = {"alice": {}, "bob": {}, "carol": {"inherit_from": ["alice"]}}


@pytest.fixture
def settings(neo4j_server, tmp_path):
    return {"storage": "neo4j", "project_id": f"t{uuid.uuid4().hex[:12]}", "storage_dir": str(tmp_path / "store"),
            "agents": AGENTS,
            "neo4j": {"uri": neo4j_server.uri, "user": neo4j_server.user, "password": neo4j_server.password}}


def facts(alma: ALMA, query: str, agent: str, recipe: str = "hybrid", top_k: int = 50) -> list[str]:
    return [m.fact for m in alma.retrieve(query, agent, top_k=top_k, recipe=recipe).domain_knowledge]


def search_text(alma: ALMA, memory_id: str) -> str | None:
    [row] = alma.store.run("MATCH (m:Memory {id: $id}) RETURN m.search_text AS text", {"id": memory_id})
    return row["text"]


def test_the_server_indexes_are_the_default_and_nothing_is_kept_beside_the_store(settings, embedder, tmp_path):
    with ALMA(settings, embedder=embedder) as alma:
        assert isinstance(alma.context.indexes, ServerIndexes)
        alma.add_knowledge("alice", "payments", "Refunds are paid back within five working days")
        for recipe in ("similarity_only", "bm25_only", "hybrid"):
            assert facts(alma, "how long do refunds take", "alice", recipe) == [
                "Refunds are paid back within five working days"], recipe
        assert len(alma.context.indexes.vectors) == len(alma.context.indexes.lexical) == 1
    store_dir = tmp_path / "store"
    assert not store_dir.exists() or not any(p.is_file() for p in store_dir.rglob("*"))


def test_a_write_in_one_instance_is_retrieved_by_another_at_once(settings, embedder, tmp_path):
    one = ALMA({**settings, "storage_dir": str(tmp_path / "one")}, embedder=embedder)
    two = ALMA({**settings, "storage_dir": str(tmp_path / "two")}, embedder=embedder)
    try:
        assert facts(two, "the billing job schedule", "alice") == []
        one.add_knowledge("alice", "billing", "The billing job runs at two in the morning")
        for recipe in ("similarity_only", "bm25_only", "hybrid"):
            assert facts(two, "the billing job schedule", "alice", recipe) == [
                "The billing job runs at two in the morning"], recipe
        [memory] = two.retrieve("billing job", "alice").domain_knowledge
        two.forget(agent="alice", memory_ids=[memory.id])
        assert facts(one, "the billing job schedule", "alice", "bm25_only") == []
        assert facts(one, "the billing job schedule", "alice", "similarity_only") == []
    finally:
        one.close()
        two.close()


@pytest.mark.parametrize("path", ["exact", "hnsw"])
def test_visibility_is_applied_before_the_top_n(settings, embedder, monkeypatch, path):
    """Bob holds many memories closer to the query than alice's; alice (and carol, who
    inherits from her) still get every one of hers, and never one of bob's — through the
    exact scan of a small visible set and through the HNSW index with widening."""
    if path == "hnsw":
        monkeypatch.setattr(server_indexes, "EXACT_LIMIT", 0)
        monkeypatch.setattr(server_indexes, "MIN_FETCH", 1)
    with ALMA(settings, embedder=embedder) as alma:
        alma.add_knowledge_batch(
            [{"agent": "bob", "domain": "deploys", "fact": f"Deploys of the checkout service use blue-green slot {i}"}
             for i in range(60)]
            + [{"agent": "alice", "domain": "deploys", "fact": f"Alice's deploy checklist {i} covers database migrations"}
               for i in range(3)])
        wanted = {f"Alice's deploy checklist {i} covers database migrations" for i in range(3)}
        for agent in ("alice", "carol"):
            found = facts(alma, "how are checkout deploys done", agent, "similarity_only", top_k=10)
            assert set(found) == wanted, (agent, found)
            found = facts(alma, "checkout deploys checklist", agent, "bm25_only", top_k=10)
            assert set(found) == wanted, (agent, found)
        found = facts(alma, "how are checkout deploys done", "bob", "similarity_only", top_k=100)
        assert len(found) == 50 and all(f.startswith("Deploys of the checkout") for f in found)  # dense n is 50


def test_the_hnsw_path_and_the_exact_scan_agree(settings, embedder, monkeypatch):
    with ALMA(settings, embedder=embedder) as alma:
        alma.add_knowledge_batch([{"agent": ("alice", "bob")[i % 2], "domain": "ops",
                                   "fact": f"Service {i} restarts after {i % 7} failed health checks"}
                                  for i in range(80)])
        vectors = alma.context.indexes.vectors
        query = vectors.query(embedder.embed("which service restarts after three failures"),  # type: ignore[attr-defined]
                              "domain_knowledge", "agent", ["alice"], 10, None)
        exact = vectors.exact(query)  # type: ignore[attr-defined]
        monkeypatch.setattr(server_indexes, "MIN_FETCH", 1)
        nearest = vectors.nearest(query)  # type: ignore[attr-defined]
        assert len(exact) == 10 and nearest is not None
        assert [i for i, _ in nearest] == [i for i, _ in exact]
        assert [round(s, 5) for _, s in nearest] == [round(s, 5) for _, s in exact]
        cosines = vectors.cosines(embedder.embed("which service restarts after three failures"), [i for i, _ in exact])
        assert all(abs(cosines[i] - s) < 1e-5 for i, s in exact)


def test_a_reader_of_many_memories_searches_the_hnsw_index_and_gets_the_exact_top_k(settings, embedder, monkeypatch):
    """Past ``EXACT_LIMIT`` visible memories, the fetch is sized from the reader's share of the
    server's memories (and widens): the top k must still be the exact scan's."""
    with ALMA(settings, embedder=embedder) as alma:
        alma.add_knowledge_batch([{"agent": ("alice", "bob", "carol")[i % 3], "domain": "ops",
                                   "fact": f"Service {i} restarts after {i % 7} failed health checks"}
                                  for i in range(90)])
        vectors = alma.context.indexes.vectors
        vector = embedder.embed("which service restarts after three failures")
        exact = vectors.exact(vectors.query(vector, "domain_knowledge", "agent", ["alice", "bob"], 8, None))  # type: ignore[attr-defined]
        monkeypatch.setattr(server_indexes, "EXACT_LIMIT", 10)
        monkeypatch.setattr(server_indexes, "MIN_FETCH", 1)
        monkeypatch.setattr(server_indexes, "SHARE_SLACK", 0.01)  # a small first fetch, so it widens
        fetches = []
        candidates = alma.store.vector_candidates
        monkeypatch.setattr(alma.store, "vector_candidates", lambda **q: fetches.append(q["fetch"]) or candidates(**q))
        found = vectors.search(vector, ["alice", "bob"], "domain_knowledge", 8)
        assert fetches and fetches == sorted(fetches)  # through the index, widening
        assert [i for i, _ in found] == [i for i, _ in exact] and len(found) == 8


def test_bm25_stops_lucene_early_and_widens_to_the_top_n_of_every_match(settings, embedder, monkeypatch):
    """Lucene ranks the server's every match unless told where to stop: the search asks for its
    best ``fetch``, sized from the reader's share, widening while too few are visible and
    Lucene had more. Its top n must be the unlimited search's."""
    with ALMA(settings, embedder=embedder) as alma:
        alma.add_knowledge_batch([{"agent": ("alice", "bob", "carol")[i % 3], "domain": "ops",
                                   "fact": f"Service {i} restarts after {'failed ' * (i % 5)}health checks"}
                                  for i in range(90)])
        lexical = alma.context.indexes.lexical
        terms = lexical._lucene("which service restarts after failed health checks")  # type: ignore[attr-defined]
        every = alma.store.text_search(terms, "domain_knowledge", "agent", ["alice"], 12)
        monkeypatch.setattr(server_indexes, "MIN_FETCH", 1)
        monkeypatch.setattr(server_indexes, "SHARE_SLACK", 0.01)  # a small first fetch, so it widens
        fetches = []
        candidates = alma.store.text_candidates
        monkeypatch.setattr(alma.store, "text_candidates", lambda *a: fetches.append(a[5]) or candidates(*a))
        found = lexical.search("which service restarts after failed health checks", {"alice"}, "domain_knowledge", 12)
        assert len(fetches) > 1 and fetches == sorted(fetches)  # stopped early, then widened
        assert len(found) == 12 and [round(s, 4) for _, s in found] == [round(s, 4) for _, s in every]
        last = round(every[-1][1], 4)  # memories tied with the n-th may differ; every one above it may not
        assert [i for i, s in found if round(s, 4) > last] == [i for i, s in every if round(s, 4) > last]


def test_a_turn_is_searched_with_the_turn_before_it_and_loses_it_when_that_goes(settings, embedder):
    with ALMA(settings, embedder=embedder) as alma:
        question, reply, later = alma.add_knowledge_batch([
            {"agent": "alice", "domain": "chat", "fact": "Did the plumber fix the kitchen sink?",
             "session_id": "s1", "sequence": 0},
            {"agent": "alice", "domain": "chat", "fact": "Yes, last Tuesday!", "session_id": "s1", "sequence": 1},
            {"agent": "alice", "domain": "chat", "fact": "Great, thanks.", "session_id": "s1", "sequence": 2},
        ])
        assert search_text(alma, reply.id) == "Did the plumber fix the kitchen sink? Yes, last Tuesday!"
        assert reply.fact in facts(alma, "plumber kitchen sink", "alice", "bm25_only")

        alma.forget(agent="alice", memory_ids=[question.id])  # archived: the reply no longer carries its words
        assert search_text(alma, question.id) is None
        assert search_text(alma, reply.id) == "Yes, last Tuesday!"
        assert facts(alma, "plumber kitchen sink", "alice", "bm25_only") == []
        alma.restore([question.id])
        assert search_text(alma, reply.id) == "Did the plumber fix the kitchen sink? Yes, last Tuesday!"

        alma.delete(reply.id, "alice", hard=True)  # erased: no other memory keeps its text
        assert search_text(alma, later.id) == "Great, thanks."
        rows = alma.store.run("MATCH (m:Memory) WHERE m.project_id = $p AND m.search_text CONTAINS 'Tuesday' "
                              "RETURN m.id AS id", {"p": settings["project_id"]})
        assert rows == []


def test_a_store_written_before_the_server_indexes_gets_them_on_open(settings, embedder):
    with ALMA({**settings, "retrieval": {"indexes": "local"}}, embedder=embedder) as alma:
        alma.add_knowledge_batch([
            {"agent": "alice", "domain": "chat", "fact": "Where did you hike in May?", "session_id": "s", "sequence": 0},
            {"agent": "alice", "domain": "chat", "fact": "Up on Mount Rainier.", "session_id": "s", "sequence": 1}])
        # as an older alma_graph left it: no search text, no record of having filled it in
        alma.store.run("MATCH (m:Memory) WHERE m.project_id = $p REMOVE m.search_text, m.search_prev",
                       {"p": settings["project_id"]})
        alma.store.run("MATCH (x:Meta {key: $key}) DELETE x", {"key": f"{settings['project_id']}/search_text"})
    with ALMA(settings, embedder=embedder) as alma:
        assert facts(alma, "where was the hike", "alice", "bm25_only") == [
            "Where did you hike in May?", "Up on Mount Rainier."]
        assert len(alma.context.indexes.lexical) == 2


def test_local_indexes_stay_an_option_on_neo4j_and_follow_other_writers(settings, embedder, tmp_path):
    local = ALMA({**settings, "storage_dir": str(tmp_path / "local"), "retrieval": {"indexes": "local"}},
                 embedder=embedder)
    server = ALMA({**settings, "storage_dir": str(tmp_path / "server")}, embedder=embedder)
    try:
        assert not isinstance(local.context.indexes, ServerIndexes)
        server.add_knowledge("bob", "ops", "The nightly backup goes to the cold storage bucket")
        assert facts(local, "where do backups go", "bob") == ["The nightly backup goes to the cold storage bucket"]
        local.add_knowledge("bob", "ops", "Backups are kept for ninety days")
        assert set(facts(server, "where do backups go", "bob")) == {
            "The nightly backup goes to the cold storage bucket", "Backups are kept for ninety days"}
    finally:
        local.close()
        server.close()


def test_bm25_weighs_words_by_this_project_not_by_the_whole_server(settings, embedder, tmp_path):
    """A speaker's name in every turn singles nothing out in this project, however rare it is
    among the server's other projects: the server ranks like the embedded BM25 does."""
    turns = [f"Caroline: I painted the {thing} today" for thing in ("fence", "kitchen", "garage", "porch", "shed")]
    turns += ["Melanie: My garden finally has tomatoes", "Caroline: Caroline Caroline, that is me"]
    server = ALMA({**settings, "storage_dir": str(tmp_path / "server")}, embedder=embedder)
    try:
        server.add_knowledge_batch([{"agent": "alice", "domain": "chat", "fact": t} for t in turns])
        local = ALMA({**settings, "storage_dir": str(tmp_path / "local"), "retrieval": {"indexes": "local"}},
                     embedder=embedder)
        try:
            for query, best in (("What did Caroline say about the garden tomatoes?", turns[5]),
                                ("Caroline painted the porch", turns[3])):
                assert facts(server, query, "alice", "bm25_only")[0] == best, query
                assert facts(local, query, "alice", "bm25_only")[0] == best, query
        finally:
            local.close()
    finally:
        server.close()
