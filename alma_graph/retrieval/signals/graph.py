"""graph: entities and speakers recognised in the query → memories that MENTION them,
then one hop of RELATED. Each hit keeps the path that found it (for ``explain``)."""

from __future__ import annotations

import numpy as np

from alma_graph.backends.base import GraphStore
from alma_graph.indexes.search import VectorSearch
from alma_graph.knowledge.graph import KnowledgeGraph

HUB_SHARE, HUB_MIN_MENTIONS = 0.05, 30  # an entity mentioned more often than this is a hub

GraphHits = dict[str, tuple[int, int, list[str]]]


def graph_hits(store: GraphStore, knowledge: KnowledgeGraph, query: str, total_memories: int) -> GraphHits:
    """memory id -> (hops from a query entity, query entities matched, path descriptions)
    for every memory that mentions an entity of the query or one a RELATED edge away."""
    names = knowledge.query_entities(query)
    keys = list(names)
    if not keys:
        return {}
    hits: GraphHits = {}
    # An entity most memories mention (a conversation's speaker, the project's own name)
    # singles nothing out; leave it to the other signals.
    counts = store.mention_counts(keys)
    hub_limit = max(HUB_MIN_MENTIONS, HUB_SHARE * total_memories)
    keys = [k for k in keys if counts.get(k, 0) <= hub_limit]
    if not keys:
        return {}
    matched: dict[str, set[str]] = {}
    for row in store.mentioning(keys):
        matched.setdefault(row["id"], set()).add(row["entity"])
    for memory_id, entities in matched.items():
        paths = [f"query names '{names[e]}' <-[:MENTIONS]- memory" for e in sorted(entities)]
        hits[memory_id] = (0, len(entities), paths)
    # one hop: entities related to the query's, and the memories that mention them
    neighbours: dict[str, str] = {}
    for fact in store.facts_around(keys):
        outside = fact["object"] if fact["subject"] in keys else fact["subject"]
        if outside not in keys:
            neighbours.setdefault(outside, f"'{fact['subject_name']}' -[:RELATED {{{fact['predicate']}}}]-> "
                                           f"'{fact['object_name']}'")
    if neighbours:
        for row in store.mentioning(list(neighbours)):
            if row["id"] not in hits:
                hits[row["id"]] = (1, 1, [neighbours[row["entity"]] + " <-[:MENTIONS]- memory"])
    return hits


def graph(hits: GraphHits, vector: np.ndarray, index: VectorSearch, owners: set[str], kind: str, n: int,
          paths: dict[str, list[str]]) -> list[tuple[str, float]]:
    """The visible hits of one kind, ranked; their paths go into ``paths``."""
    entries = index.entries(hits)  # one lookup for every hit (a round trip on a server)
    visible = [i for i in hits if (entry := entries.get(i)) is not None and entry.kind == kind and entry.owner in owners]
    cosines = index.cosines(vector, visible)
    # closer to the query's entities first, then more of them matched, then more similar
    ranked = sorted(visible, key=lambda i: (hits[i][0], -hits[i][1], -cosines.get(i, 0.0)))[:n]
    for memory_id in ranked:
        paths[memory_id] = hits[memory_id][2]
    return [(i, cosines.get(i, 0.0)) for i in ranked]
