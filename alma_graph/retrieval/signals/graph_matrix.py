"""The graph signal's graph: live memories, concepts and entities as one sparse matrix.

Nodes are the project's live memories, the concepts they name (``HAS_CONCEPT``) and
the entities they mention (``MENTIONS``); edges join a memory to each, and concepts
to their near-synonyms (``SIMILAR``). A memory–node edge weighs the node's
specificity, log(1 + memories / memories naming it), so a walk leaves a memory
through its rare words rather than through its speaker; a SIMILAR edge weighs its
cosine times the geometric mean of both ends' specificity.

A fact (``RELATED``) joins its two entities too, but only for a reader who may see the
memory it came from: those edges are kept apart (``facts``) and added per query.

Built from five whole-project reads and kept per store, once per write generation (a
retrieve reuses it); after this process's writes that only add memories, it grows from
their links instead (``_Builder``). A query's words find their nodes by n-gram lookup in ``lookup``
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
    # the SIMILAR edges alone, among concept and entity nodes numbered from 0 (node - memories):
    # a reader's subgraph takes its block without touching the rows of common concepts
    among_others: sparse.csr_matrix = field(default_factory=lambda: sparse.csr_matrix((0, 0), dtype=np.float32))
    facts: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))  # subject, object, memory
    fact_weights: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    predicates: list[str] = field(default_factory=list)  # per fact
    # phrase -> concept / entity nodes, numbered among those nodes (node = memories + number);
    # shared with the builder, which only appends, so numbers past ``others`` are not ours yet
    lookup: Mapping[str, list[int]] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)  # an alias's words -> its canonical name's
    others: int = 0  # concept and entity nodes
    memory_index: dict[str, int] = field(default_factory=dict)
    longest: int = 1  # words in the longest lookup key
    views: dict = field(default_factory=dict)  # (owners, kind) -> the reader's subgraph (signals.graph)

    @property
    def memories(self) -> int:
        return len(self.memory_ids)

    def named(self, phrase: str) -> list[int]:
        """The concept and entity nodes a phrase (lower-case words) names, or its alias names."""
        hits = list(self.lookup.get(phrase, ()))
        canonical = self.aliases.get(phrase)
        if canonical is not None:
            hits += self.lookup.get(canonical, ())
        return [self.memories + h for h in dict.fromkeys(hits) if h < self.others]


def build(store: GraphStore, generation: int, aliases: Mapping[str, str] | None = None) -> GraphMatrix:
    return assemble(store.live_graph(), generation, aliases)


def assemble(data: Mapping[str, list[dict]], generation: int, aliases: Mapping[str, str] | None = None) -> GraphMatrix:
    """The matrix of ``live_graph``'s rows."""
    builder = _Builder(aliases)
    builder.add(data)
    return builder.matrix(generation)


class _Builder:
    """What a matrix is assembled from, kept between write generations: memories this
    process adds cost the Python work of their own links only, and the numpy work
    (specificities, weights and the sparse matrix, which depend on every link) is redone
    over arrays. Reassembling the whole project's rows took seconds at 10,000 memories."""

    def __init__(self, aliases: Mapping[str, str] | None = None):
        self.memory_ids: list[str] = []
        self.memory_index: dict[str, int] = {}
        self.owners: dict[str, int] = {}
        self.kinds: dict[str, int] = {}
        self.owner: list[int] = []
        self.kind: list[int] = []
        self.others: dict[str, int] = {}  # a concept's or an entity's key -> its number
        self.other_labels: list[str] = []
        self.other_types: list[int] = []
        self.lookup: dict[str, list[int]] = {}
        self.aliases = {" ".join(words(a)): " ".join(words(c)) for a, c in (aliases or {}).items()}
        self.longest = max((k.count(" ") + 1 for k in self.aliases), default=1)
        self.links: tuple[list[int], list[int]] = ([], [])  # memory, other number
        self.similar: list[tuple[int, int, float]] = []
        self.similar_seen: set[tuple[str, str]] = set()
        self.facts: list[tuple[int, int, int]] = []
        self.predicates: list[str] = []

    def add(self, data: Mapping[str, list[dict]]) -> None:
        """Rows of ``live_graph`` (or ``new_graph``: new memories and their links)."""
        for r in data.get("memories", []):
            self.memory_index[r["id"]] = len(self.memory_ids)
            self.memory_ids.append(r["id"])
            self.owner.append(self.owners.setdefault(owner_of(r), len(self.owners)))
            self.kind.append(self.kinds.setdefault(r["kind"], len(self.kinds)))
        # memory -> concept (looked up by its name and the words a memory used for it),
        # memory -> entity (by its normalised and its display name)
        for links, kind_of, names in ((data.get("concepts", []), CONCEPT, ("name", "mention")),
                                      (data.get("entities", []), ENTITY, ("norm_name", "name"))):
            for r in links:
                m = self.memory_index.get(r["memory_id"])
                if m is not None:
                    other = self._other(r["key"], r["name"], kind_of)
                    self.links[0].append(m)
                    self.links[1].append(other)
                    for name in names:
                        self._look(r[name], other)
        for r in data.get("similar", []):
            a, b = self.others.get(r["from_key"]), self.others.get(r["to_key"])
            if a is not None and b is not None and (r["from_key"], r["to_key"]) not in self.similar_seen:
                self.similar_seen.add((r["from_key"], r["to_key"]))
                self.similar.append((a, b, float(r["cosine"] or 0.0)))
        for r in data.get("facts", []):
            a, b, m = self.others.get(r["subject"]), self.others.get(r["object"]), self.memory_index.get(r["memory_id"])
            if a is not None and b is not None and m is not None and a != b:
                self.facts.append((a, b, m))
                self.predicates.append(r["predicate"])

    def _other(self, key: str, label: str, kind_of: int) -> int:
        number = self.others.get(key)
        if number is None:
            number = self.others[key] = len(self.other_labels)
            self.other_labels.append(label)
            self.other_types.append(kind_of)
        return number

    def _look(self, phrase: str | None, number: int) -> None:
        if phrase:
            key = " ".join(words(phrase))
            found = self.lookup.setdefault(key, [])
            if number not in found:  # append only: a matrix reading this list meanwhile stays right
                found.append(number)
                self.longest = max(self.longest, key.count(" ") + 1)

    def matrix(self, generation: int) -> GraphMatrix:
        memories = len(self.memory_ids)
        size = memories + len(self.other_labels)
        rows = np.asarray(self.links[0], dtype=np.int64)
        cols = np.asarray(self.links[1], dtype=np.int64) + memories
        degree = np.bincount(cols, minlength=size).astype(np.float32)
        specificity = np.zeros(size, dtype=np.float32)
        others = degree > 0
        specificity[others] = np.log1p(max(memories, 1) / degree[others])
        similar = np.asarray(self.similar, dtype=np.float64).reshape(-1, 3)
        sa, sb = similar[:, 0].astype(np.int64) + memories, similar[:, 1].astype(np.int64) + memories
        pairs_a = np.concatenate([rows, sa])
        pairs_b = np.concatenate([cols, sb])
        weights = np.concatenate([specificity[cols], similar[:, 2] * np.sqrt(specificity[sa] * specificity[sb])])
        half = sparse.coo_matrix((weights.astype(np.float32), (pairs_a, pairs_b)), shape=(size, size))
        adjacency = (half + half.T).tocsr()
        adjacency.sum_duplicates()
        count = len(self.other_labels)
        similar_half = sparse.coo_matrix((weights[len(rows):].astype(np.float32), (sa - memories, sb - memories)),
                                         shape=(count, count))
        among_others = (similar_half + similar_half.T).tocsr()
        among_others.sum_duplicates()
        facts = np.asarray(self.facts, dtype=np.int64).reshape(-1, 3) + np.array([memories, memories, 0])
        fact_weights = np.sqrt(specificity[facts[:, 0]] * specificity[facts[:, 1]]).astype(np.float32)
        node_type = np.concatenate([np.full(memories, MEMORY, dtype=np.int8), np.asarray(self.other_types, dtype=np.int8)])
        return GraphMatrix(generation, list(self.memory_ids), self.memory_ids + self.other_labels, node_type,
                           np.asarray(self.owner, dtype=np.int32), np.asarray(self.kind, dtype=np.int32),
                           dict(self.owners), dict(self.kinds), adjacency, specificity, among_others, facts, fact_weights,
                           list(self.predicates), self.lookup, self.aliases, len(self.other_labels),
                           dict(self.memory_index), self.longest)


@dataclass
class _Cached:
    """A store's matrix, what it was assembled from, and the writes since (by generation):
    the memories each added, or None for a write that removed or rebuilt something."""

    matrix: GraphMatrix
    builder: _Builder
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
            builder = cached.builder
            if added:
                builder.add(store.new_graph(added))
        else:
            builder = _Builder(aliases)
            builder.add(store.live_graph())
        cached = _cache[store] = _Cached(builder.matrix(generation), builder)
        return cached.matrix
