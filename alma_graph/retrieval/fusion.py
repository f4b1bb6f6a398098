"""The hybrid ranker: candidate lists from several signals, fused by reciprocal rank.

For each memory kind, every signal of the recipe (see ``alma_graph.retrieval.recipes``)
produces a ranked list of memories the reader may see — visibility is applied
inside each signal, before its top-n. The lists are fused with weighted
reciprocal rank fusion, sum(w / (k + rank)), and normalised so the best
candidate has relevance 1. ALMA's factors are applied afterwards (ranking.py).
Each candidate keeps its per-signal ranks and, for graph hits, the path that
found it, for ``retrieve(..., explain=True)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import numpy as np

from alma_graph.retrieval.recipes import RecipeConfig, SignalName
from alma_graph.knowledge.graph import KnowledgeGraph
from alma_graph.indexes.lexical import LexicalIndex
from alma_graph.retrieval.timecues import time_window
from alma_graph.indexes.vectors import VectorIndex

NEIGHBOR_ANCHORS = 5  # how many of the best hits lend their session neighbours
HUB_SHARE, HUB_MIN_MENTIONS = 0.05, 30  # an entity mentioned more often than this is a hub


@dataclass
class Candidate:
    memory_id: str
    relevance: float = 0.0  # fused RRF score / best fused score in this kind
    fused: float = 0.0
    signals: dict[str, dict[str, float]] = field(default_factory=dict)  # signal -> {rank, score}
    paths: list[str] = field(default_factory=list)
    cosine: float | None = None


class HybridRanker:
    def __init__(self, store, knowledge: KnowledgeGraph):
        self.store = store
        self.knowledge = knowledge

    def rank(self, query: str, vector: np.ndarray, owners_by_kind: dict[str, list[str]], recipe: RecipeConfig,
             index: VectorIndex, lexical: LexicalIndex, now: datetime,
             only_ids: set[str] | None = None) -> dict[str, list[Candidate]]:
        """Fused candidates per kind; ``only_ids`` narrows every signal before its top-n
        (scoped retrieval: a workflow's memories)."""
        signals = recipe.signals
        graph_hits = self._graph_hits(query, len(index)) if "graph" in signals else {}
        window = time_window(query, now) if "time" in signals else None
        in_window = self._in_window(window) if window else []
        results: dict[str, list[Candidate]] = {}
        for kind, owners in owners_by_kind.items():
            owner_set = set(owners)
            lists: dict[str, list[tuple[str, float]]] = {}
            if "dense" in signals:
                lists["dense"] = index.search(vector, owners, kind, signals["dense"].n, only_ids)
            if "bm25" in signals:
                lists["bm25"] = lexical.search(query, owner_set, kind, signals["bm25"].n, only_ids)
            paths: dict[str, list[str]] = {}
            if graph_hits:
                hits = graph_hits if only_ids is None else {i: h for i, h in graph_hits.items() if i in only_ids}
                lists["graph"] = self._graph_list(hits, vector, index, owner_set, kind, signals["graph"].n, paths)
            if in_window:
                ids = [i for i, owner, k in in_window
                       if k == kind and owner in owner_set and (only_ids is None or i in only_ids)]
                scores = index.cosines(vector, ids)
                lists["time"] = sorted(scores.items(), key=lambda x: -x[1])[: signals["time"].n]
            fused = self._fuse(lists, recipe)
            if "neighbors" in signals and fused:
                neighbors = self._neighbors(fused, owner_set, kind, recipe)
                lists["neighbors"] = [(i, s) for i, s in neighbors if only_ids is None or i in only_ids]
                fused = self._fuse(lists, recipe)
            for memory_id, candidate in fused.items():
                candidate.paths = paths.get(memory_id, [])
            cosines = index.cosines(vector, fused)
            for memory_id, candidate in fused.items():
                candidate.cosine = cosines.get(memory_id)
            results[kind] = sorted(fused.values(), key=lambda c: -c.relevance)
        return results

    @staticmethod
    def _fuse(lists: dict[str, list[tuple[str, float]]], recipe: RecipeConfig) -> dict[str, Candidate]:
        fused: dict[str, Candidate] = {}
        for name, ranked in lists.items():
            weight = recipe.signals[cast(SignalName, name)].weight
            for rank, (memory_id, score) in enumerate(ranked, start=1):
                candidate = fused.setdefault(memory_id, Candidate(memory_id))
                candidate.fused += weight / (recipe.rrf_k + rank)
                candidate.signals[name] = {"rank": rank, "score": round(float(score), 4)}
        best = max((c.fused for c in fused.values()), default=0.0)
        for candidate in fused.values():
            candidate.relevance = candidate.fused / best if best else 0.0
        return fused

    # -- graph signal --------------------------------------------------------------------

    def _graph_hits(self, query: str, total_memories: int) -> dict[str, tuple[int, int, list[str]]]:
        """memory id -> (hops from a query entity, query entities matched, path descriptions)
        for every memory that mentions an entity of the query or one a RELATED edge away."""
        names = self.knowledge.query_entities(query)
        keys = list(names)
        if not keys:
            return {}
        hits: dict[str, tuple[int, int, list[str]]] = {}
        # An entity most memories mention (a conversation's speaker, the project's own name)
        # singles nothing out; leave it to the other signals.
        counts = self.store.mention_counts(keys)
        hub_limit = max(HUB_MIN_MENTIONS, HUB_SHARE * total_memories)
        keys = [k for k in keys if counts.get(k, 0) <= hub_limit]
        if not keys:
            return {}
        matched: dict[str, set[str]] = {}
        for row in self.store.mentioning(keys):
            matched.setdefault(row["id"], set()).add(row["entity"])
        for memory_id, entities in matched.items():
            paths = [f"query names '{names[e]}' <-[:MENTIONS]- memory" for e in sorted(entities)]
            hits[memory_id] = (0, len(entities), paths)
        # one hop: entities related to the query's, and the memories that mention them
        neighbours: dict[str, str] = {}
        for fact in self.store.facts_around(keys):
            outside = fact["object"] if fact["subject"] in keys else fact["subject"]
            if outside not in keys:
                neighbours.setdefault(outside, f"'{fact['subject_name']}' -[:RELATED {{{fact['predicate']}}}]-> "
                                               f"'{fact['object_name']}'")
        if neighbours:
            for row in self.store.mentioning(list(neighbours)):
                if row["id"] not in hits:
                    hits[row["id"]] = (1, 1, [neighbours[row["entity"]] + " <-[:MENTIONS]- memory"])
        return hits

    @staticmethod
    def _graph_list(hits, vector, index: VectorIndex, owners: set[str], kind: str, n: int,
                    paths: dict[str, list[str]]) -> list[tuple[str, float]]:
        visible = []
        for memory_id in hits:
            entry = index.entry(memory_id)
            if entry is not None and entry.kind == kind and entry.owner in owners:
                visible.append(memory_id)
        cosines = index.cosines(vector, visible)
        # closer to the query's entities first, then more of them matched, then more similar
        ranked = sorted(visible, key=lambda i: (hits[i][0], -hits[i][1], -cosines.get(i, 0.0)))[:n]
        for memory_id in ranked:
            paths[memory_id] = hits[memory_id][2]
        return [(i, cosines.get(i, 0.0)) for i in ranked]

    # -- time and neighbours --------------------------------------------------------------

    def _in_window(self, window: tuple[datetime, datetime]) -> list[tuple[str, str, str]]:
        rows = self.store.memories_between(*window)
        return [(r["id"], f"user:{r['user_id']}" if r["kind"] == "preference" else r["agent"], r["kind"]) for r in rows]

    def _neighbors(self, fused: dict[str, Candidate], owners: set[str], kind: str,
                   recipe: RecipeConfig) -> list[tuple[str, float]]:
        anchors = sorted(fused.values(), key=lambda c: -c.fused)[:NEIGHBOR_ANCHORS]
        anchor_rows = {r["id"]: r for r in self.store.get_memories([c.memory_id for c in anchors])}
        sessions = sorted({r["session_id"] for r in anchor_rows.values() if r["session_id"]})
        if not sessions:
            return []
        by_session: dict[str, list[dict[str, Any]]] = {}
        for row in self.store.session_memories(sessions):
            if row["kind"] == kind and row["agent"] in owners and row["sequence"] is not None:
                by_session.setdefault(row["session_id"], []).append(row)
        # an anchor may itself be another anchor's neighbour: a reply next to the best hit counts
        out: list[tuple[str, float]] = []
        seen: set[str] = set()
        for anchor in anchors:
            row = anchor_rows.get(anchor.memory_id)
            if row is None or row["sequence"] is None:
                continue
            for other in by_session.get(row["session_id"], []):
                gap = abs(other["sequence"] - row["sequence"])
                if 0 < gap <= recipe.neighbor_window and other["id"] not in seen:
                    seen.add(other["id"])
                    out.append((other["id"], anchor.fused))
        return out[: recipe.signals["neighbors"].n]
