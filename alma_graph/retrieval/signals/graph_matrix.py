"""The graph signal's graph: live memories, concepts and entities as one sparse matrix.

Nodes are the project's live memories, the concepts they name (``HAS_CONCEPT``) and
the entities they mention (``MENTIONS``); edges join a memory to each, and concepts
to their near-synonyms (``SIMILAR``). A memory–node edge weighs the node's
specificity, log(1 + memories / memories naming it), so a walk leaves a memory
through its rare words rather than through its speaker; a SIMILAR edge weighs its
cosine times the geometric mean of both ends' specificity.

A fact (``RELATED``) joins its two entities too, but only for a reader who may see the
memory it came from: those edges are kept apart (``facts``) and added per query.

Built from five whole-project reads, once per write generation (a retrieve reuses it),
and kept per store. A query's words find their nodes by n-gram lookup in ``lookup``
(the concepts' keys and the words memories used for them, the entities' names), so
the signal parses no query with spaCy.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from alma_graph.backends.base import GraphStore
from alma_graph.memory.records import owner_of

MEMORY, CONCEPT, ENTITY = 0, 1, 2
EDGE_NAMES = {CONCEPT: "HAS_CONCEPT", ENTITY: "MENTIONS"}
_WORD = re.compile(r"[a-z0-9]+")
_POSSESSIVE = re.compile(r"['’]s\b")


def words(text: str) -> list[str]:
    """Lower-case words, possessive 's dropped: how lookup keys and queries are split."""
    return _WORD.findall(_POSSESSIVE.sub("", text.lower()))


@dataclass
class GraphMatrix:
    generation: int
    memory_ids: list[str]  # nodes 0 .. len-1 are memories
    labels: list[str]  # every node: a memory's id, a concept's or an entity's name
    node_type: np.ndarray  # MEMORY, CONCEPT or ENTITY per node
    owner: np.ndarray  # per memory: its code in ``owners``
    kind: np.ndarray  # per memory: its code in ``kinds``
    owners: dict[str, int]
    kinds: dict[str, int]
    adjacency: sparse.csr_matrix  # symmetric, weighted
    specificity: np.ndarray  # per node (0 for memories)
    facts: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))  # subject, object, memory
    fact_weights: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    predicates: list[str] = field(default_factory=list)  # per fact
    lookup: dict[str, list[int]] = field(default_factory=dict)  # phrase -> concept / entity nodes
    memory_index: dict[str, int] = field(default_factory=dict)
    longest: int = 1  # words in the longest lookup key
    views: dict = field(default_factory=dict)  # (owners, kind) -> the reader's subgraph (signals.graph)

    @property
    def memories(self) -> int:
        return len(self.memory_ids)


def build(store: GraphStore, generation: int, aliases: Mapping[str, str] | None = None) -> GraphMatrix:
    return assemble(store.live_graph(), generation, aliases)


def assemble(data: Mapping[str, list[dict]], generation: int, aliases: Mapping[str, str] | None = None) -> GraphMatrix:
    """The matrix of ``live_graph``'s rows (specificities depend on every link, so they are
    computed over the whole project each time)."""
    memory_ids = [r["id"] for r in data["memories"]]
    memory_index = {m: i for i, m in enumerate(memory_ids)}
    owners: dict[str, int] = {}
    kinds: dict[str, int] = {}
    owner = np.array([owners.setdefault(owner_of(r), len(owners)) for r in data["memories"]], dtype=np.int32)
    kind = np.array([kinds.setdefault(r["kind"], len(kinds)) for r in data["memories"]], dtype=np.int32)
    labels = list(memory_ids)
    node_type = [MEMORY] * len(memory_ids)
    nodes: dict[str, int] = {}
    lookup: dict[str, set[int]] = {}
    rows: list[int] = []
    cols: list[int] = []

    def node(key: str, label: str, kind_of: int) -> int:
        index = nodes.get(key)
        if index is None:
            index = nodes[key] = len(labels)
            labels.append(label)
            node_type.append(kind_of)
        return index

    def look(phrase: str | None, index: int) -> None:
        if phrase:
            lookup.setdefault(" ".join(words(phrase)), set()).add(index)

    # memory -> concept (looked up by its name and the words a memory used for it),
    # memory -> entity (by its normalised and its display name)
    for links, kind_of, names in ((data["concepts"], CONCEPT, ("name", "mention")),
                                  (data["entities"], ENTITY, ("norm_name", "name"))):
        for r in links:
            m = memory_index.get(r["memory_id"])
            if m is not None:
                linked = node(r["key"], r["name"], kind_of)
                rows.append(m)
                cols.append(linked)
                for name in names:
                    look(r[name], linked)
    for alias, canonical in (aliases or {}).items():
        target = lookup.get(" ".join(words(canonical)))
        if target:
            lookup.setdefault(" ".join(words(alias)), set()).update(target)
    size = len(labels)
    degree = np.bincount(np.asarray(cols, dtype=np.int64), minlength=size).astype(np.float32)
    specificity = np.zeros(size, dtype=np.float32)
    others = degree > 0
    specificity[others] = np.log1p(max(len(memory_ids), 1) / degree[others])
    weights = specificity[np.asarray(cols, dtype=np.int64)] if cols else np.zeros(0, dtype=np.float32)
    pairs_a, pairs_b, pair_w = list(rows), list(cols), list(weights)
    for r in data["similar"]:
        a, b = nodes.get(r["from_key"]), nodes.get(r["to_key"])
        if a is not None and b is not None:
            pairs_a.append(a)
            pairs_b.append(b)
            pair_w.append(float(r["cosine"] or 0.0) * float(np.sqrt(specificity[a] * specificity[b])))
    facts, fact_weights, predicates = [], [], []
    for r in data["facts"]:
        a, b, m = nodes.get(r["subject"]), nodes.get(r["object"]), memory_index.get(r["memory_id"])
        if a is not None and b is not None and m is not None and a != b:
            facts.append((a, b, m))
            fact_weights.append(float(np.sqrt(specificity[a] * specificity[b])))
            predicates.append(r["predicate"])
    half = sparse.coo_matrix((np.asarray(pair_w, dtype=np.float32), (pairs_a, pairs_b)), shape=(size, size))
    adjacency = (half + half.T).tocsr()
    adjacency.sum_duplicates()
    return GraphMatrix(generation, memory_ids, labels, np.asarray(node_type, dtype=np.int8), owner, kind, owners,
                       kinds, adjacency, specificity, np.asarray(facts, dtype=np.int64).reshape(-1, 3),
                       np.asarray(fact_weights, dtype=np.float32), predicates,
                       {k: sorted(v) for k, v in lookup.items()}, memory_index,
                       max((k.count(" ") + 1 for k in lookup), default=1))


def visible_adjacency(matrix: GraphMatrix, mask: np.ndarray) -> tuple[sparse.csr_matrix, dict[tuple[int, int], str]]:
    """The adjacency plus the facts whose memory and entities are in the reader's subgraph,
    and the predicate of each such entity pair (for paths)."""
    if not len(matrix.facts):
        return matrix.adjacency, {}
    a, b, m = matrix.facts[:, 0], matrix.facts[:, 1], matrix.facts[:, 2]
    keep = (mask[m] > 0) & (mask[a] > 0) & (mask[b] > 0)
    if not keep.any():
        return matrix.adjacency, {}
    size = len(matrix.labels)
    half = sparse.coo_matrix((matrix.fact_weights[keep], (a[keep], b[keep])), shape=(size, size))
    predicates: dict[tuple[int, int], str] = {}
    for i in np.flatnonzero(keep):
        predicates.setdefault((int(a[i]), int(b[i])), matrix.predicates[i])
        predicates.setdefault((int(b[i]), int(a[i])), matrix.predicates[i])
    return (matrix.adjacency + half + half.T).tocsr(), predicates


@dataclass
class _Cached:
    """A store's matrix, the rows it was assembled from, and the writes since (by generation):
    the memories each added, or None for a write that removed or rebuilt something."""

    matrix: GraphMatrix
    data: dict[str, list[dict]]
    writes: dict[int, list[str] | None] = field(default_factory=dict)

    def added_since(self, generation: int) -> list[str] | None:
        """The memories this process added between the matrix and ``generation``, or None
        when a write in between removed memories, or was not this process's (a gap)."""
        added: list[str] = []
        for step in range(self.matrix.generation + 1, generation + 1):
            ids = self.writes.get(step)
            if ids is None:
                return None
            added += ids
        return added


_cache: "weakref.WeakKeyDictionary[GraphStore, _Cached]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def note_write(store: GraphStore, generation: int, added: list[str], removed: bool) -> None:
    """A committed write of this process (``Context.write``): the memories it added, or
    ``removed`` when memories left (then the next matrix is built from scratch)."""
    with _lock:
        cached = _cache.get(store)
        if cached is None:
            return
        if generation <= cached.matrix.generation:
            del _cache[store]  # the generation did not move on as expected: trust nothing
            return
        cached.writes[generation] = None if removed else list(added)


def matrix_for(store: GraphStore, generation: int, aliases: Mapping[str, str] | None = None) -> GraphMatrix:
    """The store's matrix at ``generation``: cached; after this process's writes that only
    added memories, grown by their links (a few reads); rebuilt from the whole project
    otherwise."""
    with _lock:
        cached = _cache.get(store)
        if cached is not None and cached.matrix.generation == generation:
            return cached.matrix
        added = cached.added_since(generation) if cached is not None else None
        if cached is not None and added is not None and not set(added) & set(cached.matrix.memory_index):
            data = cached.data
            delta = store.new_graph(added) if added else {}
            seen = {(r["from_key"], r["to_key"]) for r in data["similar"]}
            data = {name: rows + [r for r in delta.get(name, []) if name != "similar"
                                  or (r["from_key"], r["to_key"]) not in seen]
                    for name, rows in data.items()}
        else:
            data = store.live_graph()
        cached = _cache[store] = _Cached(assemble(data, generation, aliases), data)
        return cached.matrix
