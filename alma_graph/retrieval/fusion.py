"""The hybrid ranker: candidate lists from several signals, fused by reciprocal rank.

For each memory kind, every signal of the recipe (see ``alma_graph.retrieval.recipes``;
one module per signal in ``retrieval.signals``) produces a ranked list of memories
the reader may see — visibility is applied inside each signal, before its top-n.
The lists are fused with weighted reciprocal rank fusion, sum(w / (k + rank)), and
normalised so the best candidate has relevance 1. ALMA's factors are applied
afterwards (``retrieval.factors``). Each candidate keeps its per-signal ranks and,
for graph hits, the path that found it, for ``retrieve(..., explain=True)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import numpy as np

from alma_graph.backends.base import GraphStore
from alma_graph.indexes.search import TextSearch, VectorSearch
from alma_graph.indexes.rows import RankingRows
from alma_graph.knowledge.graph import KnowledgeGraph
from alma_graph.retrieval.candidate import Candidate
from alma_graph.retrieval.recipes import RecipeConfig, SignalName
from alma_graph.retrieval.signals.bm25 import bm25
from alma_graph.retrieval.signals.dense import dense
from alma_graph.retrieval.signals.graph import graph, query_nodes
from alma_graph.retrieval.signals.graph_matrix import matrix_for
from alma_graph.retrieval.signals.neighbors import neighbors
from alma_graph.retrieval.signals.time import in_window, time
from alma_graph.retrieval.timecues import time_window

__all__ = ["Candidate", "HybridRanker", "fuse"]


def fuse(lists: dict[str, list[tuple[str, float]]], recipe: RecipeConfig,
         fused: dict[str, Candidate] | None = None) -> dict[str, Candidate]:
    """Weighted reciprocal rank fusion, normalised so the best candidate has relevance 1.
    With ``fused``, the lists are added to an earlier fusion (a list that depends on it)."""
    fused = {} if fused is None else fused
    for name, ranked in lists.items():
        weight, k = recipe.signals[cast(SignalName, name)].weight, recipe.rrf_k
        for rank, (memory_id, score) in enumerate(ranked, start=1):
            candidate = fused.get(memory_id)
            if candidate is None:
                candidate = fused[memory_id] = Candidate(memory_id)
            candidate.fused += weight / (k + rank)
            candidate.signals[name] = (rank, score)
    best = max((c.fused for c in fused.values()), default=0.0)
    for candidate in fused.values():
        candidate.relevance = candidate.fused / best if best else 0.0
    return fused


class HybridRanker:
    def __init__(self, store: GraphStore, knowledge: KnowledgeGraph, rows: RankingRows, generation: int | None = None):
        self.store = store
        self.knowledge = knowledge
        self.rows = rows
        self.generation = generation  # the write generation the indexes reflect (keys the graph matrix)

    def rank(self, query: str, vector: np.ndarray, owners_by_kind: dict[str, list[str]], recipe: RecipeConfig,
             index: VectorSearch, lexical: TextSearch, now: datetime,
             only_ids: set[str] | None = None, explain: bool = False) -> dict[str, list[Candidate]]:
        """Fused candidates per kind; ``only_ids`` narrows every signal before its top-n
        (scoped retrieval: a workflow's memories); ``explain`` also tells the graph paths."""
        signals = recipe.signals
        matrix = named = None
        if "graph" in signals:
            generation = self.generation if self.generation is not None else self.store.generation()
            matrix = matrix_for(self.store, generation, self.knowledge.config.aliases)
            named = query_nodes(matrix, query)
        window = time_window(query, now) if "time" in signals else None
        window_hits = in_window(self.store, window) if window else []
        results: dict[str, list[Candidate]] = {}
        for kind, owners in owners_by_kind.items():
            owner_set = set(owners)
            if not self.rows.holds(owner_set, kind):
                results[kind] = []
                continue
            lists: dict[str, list[tuple[str, float]]] = {}
            if "dense" in signals:
                lists["dense"] = dense(index, vector, owners, kind, signals["dense"].n, only_ids)
            if "bm25" in signals:
                lists["bm25"] = bm25(lexical, query, owner_set, kind, signals["bm25"].n, only_ids)
            paths: dict[str, list[str]] | None = {} if explain else None
            if matrix is not None and named is not None:
                seeds = [lists[name] for name in ("dense", "bm25") if name in lists]
                lists["graph"] = graph(matrix, named, seeds, owner_set, kind, signals["graph"].n, only_ids, paths)
            if window_hits:
                lists["time"] = time(window_hits, vector, index, owner_set, kind, signals["time"].n, only_ids)
            fused = fuse(lists, recipe)
            if "neighbors" in signals and fused:
                near = neighbors(self.rows, fused, owner_set, kind, recipe)
                fuse({"neighbors": [(i, s) for i, s in near if only_ids is None or i in only_ids]}, recipe, fused)
            for memory_id, candidate in fused.items():
                candidate.paths = paths.get(memory_id, []) if paths else []
            cosines = index.cosines(vector, fused)
            for memory_id, candidate in fused.items():
                candidate.cosine = cosines.get(memory_id)
            results[kind] = sorted(fused.values(), key=lambda c: -c.relevance)
        return results
