"""graph: Personalized PageRank over memories, concepts and entities, seeded by the query.

1. Seeds: the concepts and entities the query names (n-grams of its words looked up in
   the graph, ``graph_matrix.GraphMatrix.lookup``), each weighted by its specificity.
   The best dense and BM25 hits can seed too (``MEMORY_SEEDS`` of each, weighted 1/rank,
   ``MEMORY_SEED_SHARE`` of the seed mass), but on the LoCoMo development split that
   echoes the other signals and measured worse (recall_any@5 0.695 vs 0.711), so the
   share is 0.
2. Visibility first: only the memories of this kind the reader may see (and ``only_ids``)
   stay in the graph, and only the concepts and entities one of them names; the walk
   never enters the rest. That subgraph is cut from the visible memories' own rows, so
   a reader's first retrieve after a write costs what it sees, not the whole store.
3. Personalized PageRank on that subgraph (restart probability 1 - ``DAMPING``, at most
   ``ITERATIONS`` steps of nodes -> memories -> nodes), the memories ranked by their share.

Each hit keeps the path that carried most of its score (for ``explain``): the seed, and
the node in between when the score came one step further.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from scipy import sparse

from alma_graph.retrieval.signals.graph_matrix import (
    CONCEPT,
    EDGE_NAMES,
    ENTITY,
    MEMORY,
    GraphMatrix,
    words,
)

DAMPING = 0.5  # HippoRAG 2's: half the mass returns to the seeds at every step
ITERATIONS = 20
# The walk stops early once a step moves less than this share of the mass: each step
# moves at most DAMPING times what the one before moved, so the scores are that close.
# At 3e-3 (~4 steps of two edges each, 0.7 ms at 10,000 memories against 1.0 at 1e-3) the
# LoCoMo dev figures are those of 1e-3 to the fourth decimal, and on the side-by-side
# benchmark's store the top 20 equal those of a walk run to 1e-6 for all 100 queries.
TOLERANCE = 3e-3
MEMORY_SEEDS = 5
MEMORY_SEED_SHARE = 0.0


def query_nodes(matrix: GraphMatrix, query: str) -> dict[int, str]:
    """The concept and entity nodes the query names (every n-gram of its words, and a
    plural's singular) -> the words that named them."""
    tokens = words(query)
    found: dict[int, str] = {}
    for n in range(min(matrix.longest, len(tokens)), 0, -1):
        for start in range(len(tokens) - n + 1):
            phrase = " ".join(tokens[start:start + n])
            for index in matrix.named(phrase) or matrix.named(_singular(phrase)):
                found.setdefault(index, phrase)
    return found


def _singular(phrase: str) -> str:
    if phrase.endswith("ies") and len(phrase) > 4:
        return phrase[:-3] + "y"
    if phrase.endswith("s") and not phrase.endswith("ss") and len(phrase) > 3:
        return phrase[:-1]
    return phrase


def visible_memories(matrix: GraphMatrix, owners: set[str], kind: str, only_ids: set[str] | None) -> np.ndarray:
    """The matrix indices, ascending, of the memories of this kind the reader may see."""
    kind_code = matrix.kinds.get(kind)
    codes = [matrix.owners[o] for o in owners if o in matrix.owners]
    if kind_code is None or not codes:
        return np.zeros(0, dtype=np.int64)
    memories = (matrix.kind == kind_code) & np.isin(matrix.owner, codes)
    if only_ids is not None:
        allowed = np.zeros(matrix.memories, dtype=bool)
        allowed[[matrix.memory_index[i] for i in only_ids if i in matrix.memory_index]] = True
        memories &= allowed
    return np.flatnonzero(memories)


@dataclass
class Subgraph:
    """One reader's part of the matrix — the visible memories of a kind, the nodes they
    name, the facts the reader may see — re-indexed, so a walk costs what the reader sees
    rather than the whole project. Kept with the matrix (one per write generation) for
    each set of owners and kind.

    Memories link only to nodes, never to each other, so the adjacency is kept as its
    blocks: ``links`` (memory -> node) and ``among`` (node -> node: similar concepts and
    the visible facts)."""

    nodes: np.ndarray  # the matrix index of each node, ascending: the memories come first
    memories: int
    links: sparse.csr_matrix  # memories x named nodes, weighted
    linked: sparse.csr_matrix  # its transpose, named nodes x memories
    among: sparse.csr_matrix  # named nodes x named nodes, symmetric, weighted
    inverse: np.ndarray  # 1 / weighted degree of each node (0 for an isolated one)
    facts: np.ndarray  # the rows of ``matrix.facts`` the reader sees (their predicates, for explain)

    @cached_property
    def adjacency(self) -> sparse.csr_matrix:
        """The whole symmetric adjacency, memories first (for explain's paths)."""
        return sparse.bmat([[None, self.links], [self.linked, self.among]], format="csr")


def subgraph(matrix: GraphMatrix, owners: set[str], kind: str, only_ids: set[str] | None) -> Subgraph | None:
    """The reader's subgraph, or None when it holds no memory."""
    key = (frozenset(owners), kind)
    if only_ids is None and key in matrix.views:
        return matrix.views[key]
    view = _cut(matrix, visible_memories(matrix, owners, kind, only_ids))
    if only_ids is None:
        if len(matrix.views) > 64:  # many distinct readers: keep the memory bounded
            matrix.views.clear()
        matrix.views[key] = view
    return view


def _cut(matrix: GraphMatrix, visible: np.ndarray) -> Subgraph | None:
    """The subgraph of these memories and the nodes they name, assembled from the memories'
    own rows, the SIMILAR edges among the named nodes and the facts between them: its cost
    follows what the reader sees, never the rows of concepts every agent names."""
    if not len(visible):
        return None
    links = matrix.adjacency[visible]  # memory -> concept / entity edges only
    named = np.unique(links.indices)  # matrix indices of the nodes they name
    count, size = len(visible), len(visible) + len(named)
    position = np.full(len(matrix.labels), -1, dtype=np.int64)  # matrix index -> subgraph index
    position[visible] = np.arange(count)
    position[named] = np.arange(count, size)
    # memory -> named node (the named nodes are ascending, so each row stays sorted)
    block = sparse.csr_matrix((links.data, position[links.indices] - count, links.indptr), shape=(count, len(named)))
    among = matrix.among_others[named - matrix.memories][:, named - matrix.memories].tocoo()
    rows, cols, weights = [among.row], [among.col], [among.data]
    keep = np.zeros(0, dtype=np.int64)
    if len(matrix.facts):  # the facts from a visible memory whose two entities are named
        a, b, m = matrix.facts[:, 0], matrix.facts[:, 1], matrix.facts[:, 2]
        keep = np.flatnonzero((position[m] >= 0) & (position[a] >= 0) & (position[b] >= 0))
        rows += [position[a[keep]] - count, position[b[keep]] - count]
        cols += [position[b[keep]] - count, position[a[keep]] - count]
        weights += [matrix.fact_weights[keep]] * 2
    between = sparse.csr_matrix((np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
                                shape=(len(named), len(named)))  # duplicates summed, indices sorted
    linked = block.T.tocsr()
    degree = np.concatenate([np.asarray(block.sum(axis=1), dtype=np.float32).ravel(),
                             np.asarray(linked.sum(axis=1) + between.sum(axis=1), dtype=np.float32).ravel()])
    inverse = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    return Subgraph(np.concatenate([visible, named]), count, block, linked, between, inverse, keep)


def personalized_pagerank(view: Subgraph, seeds: np.ndarray) -> np.ndarray:
    """The stationary share of each node of a walk that restarts at ``seeds``.

    Memories link only to nodes, so each step first moves the nodes' mass onto the
    memories and then the memories' fresh mass back onto the nodes (Gauss-Seidel order):
    the same fixed point as the plain power iteration, reached in about half the sparse
    products, since the mass crosses two edges per step."""
    total = seeds.sum()
    if total <= 0:
        return np.zeros_like(seeds)
    count = view.memories
    seeds = seeds / total
    restart = (1 - DAMPING) * seeds
    memory_restart, node_restart = restart[:count], restart[count:]
    memory_inverse, node_inverse = view.inverse[:count], view.inverse[count:]
    memories, nodes = seeds[:count].copy(), seeds[count:].copy()
    for _ in range(ITERATIONS):
        node_share = nodes * node_inverse
        moved = memory_restart + DAMPING * (view.links @ node_share)
        nodes_next = node_restart + DAMPING * (view.linked @ (moved * memory_inverse) + view.among @ node_share)
        change = np.abs(moved - memories).sum() + np.abs(nodes_next - nodes).sum()
        memories, nodes = moved, nodes_next
        if change < TOLERANCE:
            break
    return np.concatenate([memories, nodes])


def graph(matrix: GraphMatrix, named: dict[int, str], seed_lists: list[list[tuple[str, float]]], owners: set[str],
          kind: str, n: int, only_ids: set[str] | None,
          paths: dict[str, list[str]] | None = None) -> list[tuple[str, float]]:
    """The visible memories of one kind ranked by PageRank from the query's nodes and the
    best hits of ``seed_lists``; their paths go into ``paths`` when given (``explain``:
    telling them cost as much as the walk)."""
    if not named and not (MEMORY_SEED_SHARE > 0 and seed_lists):
        return []  # nothing to start from: no walk
    view = subgraph(matrix, owners, kind, only_ids)
    if view is None:
        return []  # no memory of this kind the reader may see
    everywhere = np.zeros(len(matrix.labels), dtype=np.float32)
    for index in named:
        everywhere[index] = matrix.specificity[index]
    seeds = everywhere[view.nodes]
    if MEMORY_SEED_SHARE > 0 and seed_lists:
        everywhere[:] = 0
        for ranked in seed_lists:
            for rank, (memory_id, _) in enumerate(ranked[:MEMORY_SEEDS], start=1):
                position = matrix.memory_index.get(memory_id)
                if position is not None:
                    everywhere[position] += 1.0 / rank
        memory_seeds = everywhere[view.nodes]
        if memory_seeds.sum() > 0:
            share = MEMORY_SEED_SHARE if seeds.sum() > 0 else 1.0
            seeds = (1 - share) * seeds / max(seeds.sum(), 1e-12) + share * memory_seeds / memory_seeds.sum()
    scores = personalized_pagerank(view, seeds)
    memory_scores = scores[:view.memories]
    ids = matrix.memory_ids
    # best first; equal scores by memory id, so stores holding the same graph in another node order agree
    best = _top(memory_scores, n)
    best = best[memory_scores[best] > 0]  # in numpy: with few reached, the tie at 0 is most of the store
    top = sorted(best.tolist(), key=lambda i: (-float(memory_scores[i]), ids[view.nodes[i]]))[:n]
    if paths is not None:
        walk = _Walk(matrix, view, scores, seeds, named)
        for i in top:
            paths[matrix.memory_ids[view.nodes[i]]] = walk.paths(i)
    return [(matrix.memory_ids[view.nodes[i]], float(memory_scores[i])) for i in top]


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n highest scores and of every score tied with the n-th (a partial
    sort: the store can be large)."""
    if n >= len(scores):
        return np.arange(len(scores))
    return np.flatnonzero(scores >= np.partition(scores, len(scores) - n)[len(scores) - n])


class _Walk:
    """Where a memory's score came from, told as paths from a seed (for ``explain``);
    nodes are the subgraph's indices."""

    def __init__(self, matrix: GraphMatrix, view: Subgraph, scores: np.ndarray, seeds: np.ndarray,
                 named: dict[int, str]):
        self.matrix, self.view, self.scores, self.seeds, self.named = matrix, view, scores, seeds, named
        self._predicates: dict[tuple[int, int], str] | None = None

    def predicate(self, a: int, b: int) -> str:
        """The predicate of a fact the reader sees between two entities (matrix indices);
        told only for explain, so gathered on first use, not with every subgraph."""
        if self._predicates is None:
            self._predicates = {}
            facts = self.matrix.facts
            for i in self.view.facts.tolist():
                predicate = self.matrix.predicates[i]
                self._predicates.setdefault((int(facts[i, 0]), int(facts[i, 1])), predicate)
                self._predicates.setdefault((int(facts[i, 1]), int(facts[i, 0])), predicate)
        return self._predicates.get((a, b), "?")

    def describe(self, index: int) -> str:
        node = int(self.view.nodes[index])
        if int(self.matrix.node_type[node]) == MEMORY:
            return f"memory {self.matrix.labels[node][:8]}"
        return f"{'concept' if int(self.matrix.node_type[node]) == CONCEPT else 'entity'} '{self.matrix.labels[node]}'"

    def step(self, a: int, b: int) -> str:
        """The edge between two nodes, written from ``a`` towards ``b``."""
        na, nb = int(self.view.nodes[a]), int(self.view.nodes[b])
        ta, tb = int(self.matrix.node_type[na]), int(self.matrix.node_type[nb])
        if ta == MEMORY:
            return f"-[:{EDGE_NAMES[tb]}]->"
        if tb == MEMORY:
            return f"<-[:{EDGE_NAMES[ta]}]-"
        if ta == ENTITY and tb == ENTITY:
            return f"-[:RELATED {{{self.predicate(na, nb)}}}]-"
        return "-[:SIMILAR]-"

    def origin(self, index: int) -> str:
        if int(self.view.nodes[index]) in self.named:
            return f"query names {self.describe(index)}"
        return f"dense/bm25 hit {self.describe(index)}"

    def carriers(self, index: int) -> list[int]:
        """The neighbours of ``index`` in the reader's subgraph, most score sent first."""
        adjacency = self.view.adjacency
        start, end = adjacency.indptr[index], adjacency.indptr[index + 1]
        neighbours = adjacency.indices[start:end]
        sent = self.scores[neighbours] * adjacency.data[start:end]
        return [int(neighbours[j]) for j in np.argsort(-sent) if sent[j] > 0]

    def paths(self, index: int) -> list[str]:
        """Up to two paths from a seed to the memory, the ones that carried most score."""
        out = ["dense/bm25 hit itself"] if self.seeds[index] > 0 else []
        for near in self.carriers(index)[:2]:
            tail = f"{self.step(near, index)} memory"
            if self.seeds[near] > 0:
                out.append(f"{self.origin(near)} {tail}")
                continue
            far = next((f for f in self.carriers(near) if self.seeds[f] > 0 and f != index), None)
            if far is not None:
                out.append(f"{self.origin(far)} {self.step(far, near)} {self.describe(near)} {tail}")
        return out[:2]


__all__ = ["graph", "query_nodes", "personalized_pagerank", "subgraph", "visible_memories", "ENTITY"]
