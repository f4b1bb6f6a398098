"""Concept nodes (noun phrases, their SIMILAR edges) and the graph signal that walks them."""

from __future__ import annotations

from alma_graph import ALMA
from alma_graph.retrieval.signals import graph_matrix

TURNS = [
    ("Caroline", "I signed up for a pottery class at the community center."),
    ("Melanie", "My kids loved the pottery workshop at the museum last summer."),
    ("Melanie", "We went camping in the mountains and roasted marshmallows."),
    ("Caroline", "The adoption agency called me back about the interview."),
    ("Melanie", "I bought new running shoes for the charity race."),
]


def chat(alma, agent="chat", turns=TURNS):
    return alma.add_knowledge_batch([
        {"agent": agent, "domain": "conversation", "speaker": speaker, "fact": f"{speaker}: {text}",
         "session_id": "s1", "sequence": i} for i, (speaker, text) in enumerate(turns)])


def concept_names(alma) -> set[str]:
    return {r["name"] for r in alma.store.run("MATCH (c:Concept) WHERE c.project_id = $p RETURN c.name AS name",
                                              {"p": alma.store.project_id})}


def test_concepts_link_memories_with_provenance_and_synonyms(alma):
    memories = chat(alma)
    view = alma.graph("chat", center=memories[0].id, hops=3)
    concepts = {n["label"]: n for n in view["nodes"] if n["kind"] == "concept"}
    assert {"pottery class", "pottery", "community center"} <= set(concepts)
    first_person = [e for e in view["edges"] if e["type"] == "HAS_CONCEPT" and e["source"] == memories[0].id
                    and e["target"] == concepts["pottery class"]["id"]]
    assert first_person and first_person[0]["props"]["speaker"] == "Caroline"  # "I signed up for ..."
    # the other memory naming pottery, its concepts, and the near-synonym between them
    assert memories[1].id in {n["id"] for n in view["nodes"]}
    similar = {(e["source"], e["target"]) for e in view["edges"] if e["type"] == "SIMILAR"}
    keys = {name: n["id"] for name, n in concepts.items()}
    assert tuple(sorted((keys["pottery class"], keys["pottery workshop"]))) in similar
    # pronouns, determiners and generic words are no concepts
    assert not concept_names(alma) & {"i", "me", "thing", "the", "kid's"}


def test_the_graph_signal_walks_from_the_query_concepts_and_explains_the_path(alma):
    memories = chat(alma)
    result = alma.retrieve("Who took a pottery class?", "chat", top_k=5, recipe="dense_bm25_graph", explain=True)
    by_id = {k.id: k for k in result.domain_knowledge}
    workshop = by_id[memories[1].id]  # "pottery workshop": reached through the shared and similar concepts
    assert "graph" in workshop.explain["signals"]
    assert any("concept 'pottery" in path for path in workshop.explain["paths"])


def test_a_query_naming_nothing_in_the_graph_leaves_the_signal_empty(alma):
    chat(alma)
    result = alma.retrieve("zzz qqq", "chat", top_k=5, recipe="dense_bm25_graph", explain=True)
    assert all("graph" not in k.explain["signals"] for k in result.domain_knowledge)


def test_another_agents_concepts_neither_rank_nor_appear_in_paths(make_alma):
    alma = make_alma(agents={"a": {}, "b": {}})
    chat(alma, agent="b", turns=[("Zed", "My secret project is the quantum toaster prototype.")])
    chat(alma, agent="a", turns=[("Ann", "The toaster in the office kitchen burns every bagel."),
                                 ("Ann", "Our office kitchen needs a new kettle.")])
    result = alma.retrieve("What about the quantum toaster prototype?", "a", top_k=5, recipe="dense_bm25_graph",
                           explain=True)
    assert all(k.agent == "a" for k in result.domain_knowledge)
    paths = " ".join(p for k in result.domain_knowledge for p in k.explain["paths"])
    assert "quantum" not in paths and "prototype" not in paths
    assert any("graph" in k.explain["signals"] for k in result.domain_knowledge)  # its own toaster turn


def test_erasing_a_memory_takes_the_concepts_only_it_named(alma):
    kept, erased = chat(alma, turns=[("Ann", "The toaster in the office kitchen burns every bagel."),
                                     ("Zed", "My secret project is the quantum toaster prototype.")])
    assert {"quantum toaster prototype", "prototype", "toaster"} <= concept_names(alma)
    alma.delete(erased.id, "chat", hard=True)
    names = concept_names(alma)
    assert "toaster" in names and "office kitchen" in names  # still named by the kept memory
    assert not names & {"quantum toaster", "prototype", "quantum toaster prototype"}
    result = alma.retrieve("quantum toaster", "chat", top_k=5, recipe="dense_bm25_graph", explain=True)
    assert [k.id for k in result.domain_knowledge] == [kept.id]


def test_the_graph_matrix_is_built_once_per_write_generation(alma):
    chat(alma)
    alma.retrieve("pottery class", "chat", recipe="hybrid")
    first = graph_matrix._cache[alma.store].matrix
    alma.retrieve("camping trip", "chat", recipe="hybrid")
    assert graph_matrix._cache[alma.store].matrix is first
    [new] = chat(alma, turns=[("Ann", "I repaired the lighthouse lamp.")])
    result = alma.retrieve("lighthouse lamp", "chat", top_k=1, recipe="dense_bm25_graph", explain=True)
    assert graph_matrix._cache[alma.store].matrix is not first
    assert result.domain_knowledge[0].id == new.id and "graph" in result.domain_knowledge[0].explain["signals"]


def _shape(matrix):
    """A matrix as comparable data: labels, node types, owners and kinds, and every weighted edge."""
    coo = matrix.adjacency.tocoo()
    owners = {code: name for name, code in matrix.owners.items()}
    kinds = {code: name for name, code in matrix.kinds.items()}
    edges = sorted((matrix.labels[a], matrix.labels[b], round(float(w), 5)) for a, b, w in zip(coo.row, coo.col, coo.data))
    return (sorted(zip(matrix.labels, matrix.node_type.tolist())), edges, sorted(matrix.lookup),
            sorted((m, owners[matrix.owner[i]], kinds[matrix.kind[i]]) for i, m in enumerate(matrix.memory_ids)))


def test_after_adding_memories_the_grown_matrix_equals_one_built_from_scratch(alma):
    chat(alma)
    alma.retrieve("pottery class", "chat", recipe="hybrid")
    first = graph_matrix._cache[alma.store]
    whole_reads = []
    read_whole = alma.store.live_graph
    alma.store.live_graph = lambda: whole_reads.append(1) or read_whole()
    chat(alma, turns=[("Ann", "I repaired the lighthouse lamp after the pottery workshop."),
                      ("Ben", "The charity race raised money for the adoption agency.")])
    alma.learn("chat", "Book the pottery kiln early", True, "Reserve the kiln a week ahead")
    alma.retrieve("lighthouse lamp", "chat", recipe="hybrid")
    grown = graph_matrix._cache[alma.store]
    assert grown is not first and grown.matrix.generation == alma.context.indexes.generation
    assert whole_reads == []  # grown from the new memories' links, not re-read whole
    fresh = graph_matrix.build(alma.store, grown.matrix.generation, None)
    assert _shape(grown.matrix) == _shape(fresh)
    # a removal is not grown: the next matrix is built from the whole project again
    lamp = alma.retrieve("lighthouse lamp", "chat", top_k=1).domain_knowledge[0]
    whole_reads.clear()
    alma.delete(lamp.id, "chat")
    result = alma.retrieve("lighthouse lamp", "chat", top_k=5, recipe="dense_bm25_graph")
    rebuilt = graph_matrix._cache[alma.store]
    assert whole_reads == [1]
    assert lamp.id not in rebuilt.matrix.memory_index and lamp.id not in [k.id for k in result.domain_knowledge]
    assert _shape(rebuilt.matrix) == _shape(graph_matrix.build(alma.store, rebuilt.matrix.generation, None))


def test_a_store_from_before_concepts_opens_and_gains_them(embedder, tmp_path):
    # An embedded store: dropping its tables recreates what a schema-1 Kuzu store holds.
    settings = {"project_id": "old", "storage": "kuzu", "storage_dir": str(tmp_path / "old")}
    alma = ALMA(settings, embedder=embedder)
    for table in ("HAS_CONCEPT", "SIMILAR", "Concept"):
        alma.store.run(f"DROP TABLE {table}")
    alma.store.set_meta("schema_version", "1")
    alma.close()
    with ALMA(settings, embedder=embedder) as reopened:
        assert reopened.store.get_meta("schema_version") == "2"
        chat(reopened)
        assert "pottery class" in concept_names(reopened)


HOBBIES = ["pottery", "kayaking", "chess", "gardening", "baking", "cycling", "knitting", "birdwatching", "fencing",
           "archery", "sailing", "painting", "climbing", "surfing", "juggling", "origami", "rowing", "skating",
           "fishing", "weaving", "carpentry", "calligraphy", "beekeeping", "astronomy", "sculpture"]


def test_a_large_batch_stores_each_new_concept_once_with_its_vector(alma):
    """Big batches load concepts in bulk (COPY on Kuzu): a concept that an earlier batch wrote
    keeps its node, every memory is linked, and vectors arrive (SIMILAR edges across batches)."""
    def batch(facts, session):
        return alma.add_knowledge_batch([{"agent": "chat", "domain": "conversation", "fact": fact,
                                          "session_id": session, "sequence": i} for i, fact in enumerate(facts)])

    def club(word):
        return f"Caroline joined the {word} club at the library."

    first = batch([club(w) for w in HOBBIES[:15]], "s1")
    workshops = [f"Melanie runs a {w} workshop at the library." for w in HOBBIES[:5]]
    second = batch([club(w) for w in HOBBIES[10:]] + workshops, "s2")
    names = concept_names(alma)
    assert {f"{w} club" for w in HOBBIES} <= names and {f"{w} workshop" for w in HOBBIES[:5]} <= names
    rows = alma.store.run("MATCH (c:Concept) WHERE c.project_id = $p RETURN c.name AS name, c.embedding AS v",
                          {"p": alma.store.project_id})
    assert len(rows) == len({r["name"] for r in rows})  # one node per concept, whichever batch named it first
    assert all(r["v"] is not None and len(r["v"]) == alma.embedder.dimension for r in rows)
    links = alma.store.run("MATCH (m:Memory)-[:HAS_CONCEPT]->(c:Concept) WHERE c.name = 'pottery club' "
                           "RETURN m.id AS id")
    assert {r["id"] for r in links} == {first[0].id}
    shared = alma.store.run("MATCH (m:Memory)-[:HAS_CONCEPT]->(c:Concept) WHERE c.name = 'library' RETURN m.id AS id")
    assert {r["id"] for r in shared} == {m.id for m in first + second}
    similar = alma.store.run("MATCH (a:Concept)-[:SIMILAR]-(b:Concept) WHERE a.name = 'pottery workshop' "
                             "RETURN b.name AS name")
    assert "pottery club" in {r["name"] for r in similar}  # a new concept's vector meets one from the first batch


def _edges_by_fact(alma):
    """Each memory's edges, by its text: who learned it, its concepts (with mention and
    speaker), the entities it mentions."""
    p = {"p": alma.store.project_id}
    queries = {
        "learned": "MATCH (a:Agent)-[:LEARNED]->(m:Memory) WHERE m.project_id = $p RETURN m.text AS fact, a.name AS target",
        "concepts": "MATCH (m:Memory)-[e:HAS_CONCEPT]->(c:Concept) WHERE m.project_id = $p "
                    "RETURN m.text AS fact, c.name + '|' + e.mention + '|' + coalesce(e.speaker, '') AS target",
        "mentions": "MATCH (m:Memory)-[:MENTIONS]->(n:Entity) WHERE m.project_id = $p RETURN m.text AS fact, n.name AS target"}
    return {name: sorted((r["fact"], r["target"]) for r in alma.store.run(query, p)) for name, query in queries.items()}


def test_one_large_batch_stores_the_same_edges_as_small_ones(make_alma, tmp_path):
    """A large batch's edges go in by bulk load on Kuzu (COPY); they must be the ones that
    batches small enough for plain statements store, edge for edge."""
    people, firms = ["Dave", "Alice", "Carol", "Bruno"], ["Tyrell", "Umbrella", "Initech"]
    items = [{"agent": ["a", "b"][i % 2], "domain": "people", "speaker": people[i % 4],
              "fact": f"{people[i % 4]} works at {firms[i % 3]} and I run the {HOBBIES[i % 25]} club."}
             for i in range(60)]
    agents = {"a": {}, "b": {}}
    large = make_alma(agents=agents, directory=tmp_path / "large", project_id="bulk-large")
    small = make_alma(agents=agents, directory=tmp_path / "small", project_id="bulk-small")
    large.add_knowledge_batch(items)
    for start in range(0, len(items), 10):
        small.add_knowledge_batch(items[start:start + 10])
    edges = _edges_by_fact(large)
    assert len(edges["learned"]) == len(items) and len(edges["concepts"]) > len(items) and edges["mentions"]
    assert edges == _edges_by_fact(small)


def _restricted(matrix, visible):
    """By definition: the whole graph (with the facts of visible memories) restricted to the
    visible memories and every node one of them names."""
    import numpy as np
    from scipy import sparse

    inside = np.zeros(len(matrix.labels), dtype=bool)
    inside[visible] = True
    inside[matrix.adjacency[visible].indices] = True
    a, b, m = matrix.facts[:, 0], matrix.facts[:, 1], matrix.facts[:, 2]
    keep = inside[m] & inside[a] & inside[b]
    half = sparse.coo_matrix((matrix.fact_weights[keep], (a[keep], b[keep])), shape=matrix.adjacency.shape)
    nodes = np.flatnonzero(inside)
    return nodes, (matrix.adjacency + half + half.T).tocsr()[nodes][:, nodes]


def _three_readers_matrix(make_alma):
    """The graph matrix of a store where three agents hold overlapping people and places."""
    alma = make_alma(agents={"a": {}, "b": {}, "c": {"inherit_from": ["a"]}})
    chat(alma, agent="a")
    for agent, fact in (("b", "Dave works at Tyrell and uses Redis for the pottery class sign-ups."),
                        ("b", "The pottery workshop at Tyrell uses Redis and Postgres."),
                        ("c", "Alice works at Tyrell and signed up for the pottery class."),
                        ("a", "Carol works at Umbrella and teaches the community center class.")):
        alma.add_knowledge(agent, "people", fact)
    return graph_matrix.build(alma.store, 1, None)


def test_a_readers_subgraph_is_the_whole_graph_restricted_to_what_it_sees(make_alma):
    """The walk's subgraph is assembled from the visible memories' own rows (so its cost
    follows what the reader sees); it must equal the whole graph cut down to them."""
    from alma_graph.retrieval.signals import graph

    matrix = _three_readers_matrix(make_alma)
    assert len(matrix.facts)  # "works at" facts join entities
    for owners, only_ids in (({"a"}, None), ({"b"}, None), ({"a", "c"}, None), ({"a", "b", "c"}, None),
                             ({"a", "b"}, {matrix.memory_ids[0], matrix.memory_ids[-1]})):
        visible = graph.visible_memories(matrix, owners, "domain_knowledge", only_ids)
        view = graph.subgraph(matrix, owners, "domain_knowledge", only_ids)
        nodes, expected = _restricted(matrix, visible)
        assert view is not None and view.memories == len(visible)
        assert view.nodes.tolist() == nodes.tolist()
        assert abs(view.adjacency - expected).max() < 1e-5 and view.adjacency.nnz == expected.nnz
    assert graph.subgraph(matrix, {"nobody"}, "domain_knowledge", None) is None


def test_the_walk_reaches_the_personalized_pagerank_of_the_readers_subgraph(make_alma):
    """The walk steps nodes -> memories -> nodes (half the products of a plain power
    iteration); its scores must still be the stationary distribution of the restarting
    walk, x = (1 - d)·seeds + d·A·D^-1·x, solved here directly."""
    import numpy as np
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    from alma_graph.retrieval.signals import graph

    matrix = _three_readers_matrix(make_alma)
    for owners in ({"a"}, {"a", "b", "c"}):
        view = graph.subgraph(matrix, owners, "domain_knowledge", None)
        assert view is not None
        size = len(view.nodes)
        for seeded in ([view.memories], [view.memories, size - 1], [0, view.memories + 1]):  # nodes, or a memory too
            seeds = np.zeros(size, dtype=np.float32)
            seeds[seeded] = 1.0
            walk = sparse.identity(size) - graph.DAMPING * view.adjacency @ sparse.diags(view.inverse)
            exact = spsolve(walk.tocsc().astype(np.float64), (1 - graph.DAMPING) * seeds / seeds.sum())
            scores = graph.personalized_pagerank(view, seeds)
            assert np.abs(scores - exact).sum() < graph.TOLERANCE
            assert scores[:view.memories].max() > 0  # the memories were reached


def test_a_matrix_grown_by_a_large_batch_equals_one_built_from_scratch(alma):
    """A batch larger than the store's id-list limit (Kuzu reads many ids by a join, and their
    facts apart) grows the matrix to the same graph, facts included, as a fresh build."""
    from alma_graph.backends import kuzu

    chat(alma)
    alma.retrieve("pottery class", "chat", recipe="hybrid")
    people, firms = ["Dave", "Alice", "Carol", "Bruno", "Erin"], ["Tyrell", "Umbrella", "Initech", "Hooli"]
    facts = [f"{people[i % 5]} works at {firms[i % 4]} and enjoys {HOBBIES[i % 25]} with the {HOBBIES[i // 25]} group."
             for i in range(kuzu.ID_LIST_JOIN + 20)]
    added = alma.add_knowledge_batch([{"agent": "chat", "domain": "people", "fact": f} for f in facts])
    assert len(added) == len(facts)
    alma.retrieve("Who works at Tyrell?", "chat", recipe="hybrid")
    grown = graph_matrix._cache[alma.store].matrix
    fresh = graph_matrix.build(alma.store, grown.generation, None)
    assert len(fresh.facts) and {m.id for m in added} <= set(grown.memory_index)
    assert _shape(grown) == _shape(fresh)
    def facts(matrix):  # (entity, entity, memory) node labels: node numbering differs between the two
        return sorted(tuple(matrix.labels[n] for n in row) for row in matrix.facts.tolist())
    assert facts(grown) == facts(fresh)
