"""The FAISS index of memory vectors, derived from the graph.

The graph is the source of truth (every Memory node stores its embedding);
this index is a cache beside it (``alma_graph.indexes.cache`` saves it, and on
open verifies it against the graph or rebuilds it). Searches take the set of owners the
reader may see, and the top-k is computed among visible memories only; a global top-k
filtered afterwards can come back empty.

Searches read FAISS's own storage: a reader who sees much of the store multiplies the
query with every stored vector once and keeps the product for the rest of the retrieve
(each kind's top-k is then a gather over the positions its visible owners hold, and a
candidate's cosine a lookup); one who sees a small part multiplies that part only.
FAISS's ID-selector scan, once per kind, and a reconstruct per candidate cost more.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

log = logging.getLogger(__name__)

INDEX_FILE = "vectors.faiss"
CATALOG_FILE = "vectors.json"


@functools.lru_cache(maxsize=1 << 16)  # a retrieve asks for a hundred candidates' labels
def label_of(memory_id: str) -> int:
    """A stable 63-bit FAISS label for a memory id (ids may be any string)."""
    return int.from_bytes(hashlib.blake2b(memory_id.encode(), digest_size=8).digest(), "big") >> 1


@dataclass(frozen=True)
class VectorEntry:
    memory_id: str
    owner: str  # the agent, or "user:<id>" for a user's preference
    kind: str


class VectorIndex:
    """Inner-product search over unit vectors, restricted by owner and kind."""

    def __init__(self, dimension: int):
        import faiss

        self.dimension = dimension
        self._faiss = faiss
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._entries: dict[int, VectorEntry] = {}
        self._by_owner_kind: dict[tuple[str, str], set[int]] = {}
        # Storage position of each label (FAISS keeps vectors in insertion order and
        # compacts on removal), rebuilt after a removal and extended after an add.
        self._position_of: dict[int, int] | None = None
        self._labels = np.zeros(0, dtype=np.int64)  # label at each position, with _position_of
        # Positions per (owners, kind): walking every visible label grew with the store.
        self._positions: dict[tuple[frozenset[str], str], np.ndarray] = {}
        self._scored: tuple[bytes, np.ndarray] | None = None  # the last query and its products with all
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._entries)

    def ids(self) -> set[str]:
        return {e.memory_id for e in self._entries.values()}

    def add(self, entries: Sequence[VectorEntry], vectors: np.ndarray) -> None:
        if not entries:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(entries), self.dimension)
        labels = np.array([label_of(e.memory_id) for e in entries], dtype=np.int64)
        with self._lock:
            self.remove(e.memory_id for e in entries)  # re-adding replaces
            first = self._index.ntotal
            self._index.add_with_ids(vectors, labels)
            self._scored = None
            for label, entry in zip(labels.tolist(), entries):
                self._entries[label] = entry
                self._by_owner_kind.setdefault((entry.owner, entry.kind), set()).add(label)
            if self._position_of is not None:  # appended: the layout grows, nothing moves
                added = range(first, first + len(entries))
                self._position_of.update(zip(labels.tolist(), added))
                self._labels = np.concatenate([self._labels, labels])
                for (owners, kind), positions in self._positions.items():
                    extra = [p for p, e in zip(added, entries) if e.owner in owners and e.kind == kind]
                    if extra:
                        self._positions[(owners, kind)] = np.concatenate([positions, np.array(extra, dtype=np.int64)])

    def remove(self, memory_ids: Iterable[str]) -> None:
        with self._lock:
            labels = [label for label in map(label_of, memory_ids) if label in self._entries]
            if not labels:
                return
            self._index.remove_ids(np.array(labels, dtype=np.int64))  # type: ignore[arg-type]  # SWIG accepts arrays
            self._position_of, self._scored = None, None  # later vectors moved up
            self._positions.clear()
            for label in labels:
                entry = self._entries.pop(label)
                self._by_owner_kind[(entry.owner, entry.kind)].discard(label)

    def search(self, vector: np.ndarray, owners: Iterable[str], kind: str, k: int,
               only_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """The k nearest memories of ``kind`` among those ``owners`` hold (and, when given,
        among ``only_ids``), as (id, cosine)."""
        with self._lock:
            positions = self._visible_positions(frozenset(owners), kind, only_ids)
            if not len(positions) or k <= 0:
                return []
            scores = self._products(vector, positions)
            if k < len(positions):  # the k best, with every memory tied with the k-th
                best = np.flatnonzero(scores >= np.partition(scores, len(scores) - k)[len(scores) - k])
            else:
                best = np.arange(len(positions))
            found = zip(scores[best].tolist(), (self._entries[label].memory_id for label in self._labels[positions[best]].tolist()))
            # best first; ties by memory id, so every store holding these memories agrees
            return [(i, score) for score, i in sorted(found, key=lambda pair: (-pair[0], pair[1]))[:k]]

    def within(self, vector: np.ndarray, owners: Iterable[str], kind: str, radius: float) -> list[tuple[str, float]]:
        """Every memory of ``kind`` that ``owners`` hold whose cosine with the query is above
        ``radius``, as (id, cosine), however many the owners hold."""
        with self._lock:
            positions = self._visible_positions(frozenset(owners), kind, None)
            if not len(positions):
                return []
            scores = self._products(vector, positions)
            hits = np.flatnonzero(scores > radius)
            labels = self._labels[positions[hits]].tolist()
            return [(self._entries[label].memory_id, float(score)) for label, score in zip(labels, scores[hits].tolist())]

    def _layout(self) -> dict[int, int]:
        if self._position_of is None:
            self._labels = self._faiss.vector_to_array(self._index.id_map).astype(np.int64)
            self._position_of = {label: position for position, label in enumerate(self._labels.tolist())}
        return self._position_of

    def _visible_positions(self, owners: frozenset[str], kind: str, only_ids: set[str] | None) -> np.ndarray:
        """Storage positions of the memories of ``kind`` that ``owners`` hold (within ``only_ids``)."""
        position_of = self._layout()
        if only_ids is not None:
            return np.array([position_of[label] for owner in owners for label in self._by_owner_kind.get((owner, kind), ())
                             if self._entries[label].memory_id in only_ids], dtype=np.int64)
        cached = self._positions.get((owners, kind))
        if cached is None:
            cached = np.array([position_of[label] for owner in owners
                               for label in self._by_owner_kind.get((owner, kind), ())], dtype=np.int64)
            if len(self._positions) > 256:  # many distinct readers: keep the memory bounded
                self._positions.clear()
            self._positions[(owners, kind)] = cached
        return cached

    def _products(self, vector: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """The query's inner product with the vectors at ``positions``. When they are a large
        share of the store, every vector is multiplied once and the product kept for the rest
        of the retrieve (the other kinds, the candidates' cosines); a reader who sees a small
        part of a large store pays for that part only."""
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(self.dimension)
        key = query.tobytes()
        if self._scored is not None and self._scored[0] == key:
            return self._scored[1][positions]
        stored = self._stored()
        if 3 * len(positions) < len(stored):
            return stored[positions] @ query
        self._scored = (key, stored @ query)
        return self._scored[1][positions]

    def _stored(self) -> np.ndarray:
        """A (count, dimension) view of FAISS's own memory: used only under the lock and
        before the next add, which may move it."""
        count = self._index.ntotal
        if not count:
            return np.zeros((0, self.dimension), dtype=np.float32)
        flat: Any = self._faiss.downcast_index(self._index.index)  # an IndexFlatIP
        return np.asarray(self._faiss.rev_swig_ptr(flat.get_xb(), count * self.dimension)).reshape(count, self.dimension)

    def cosines(self, vector: np.ndarray, memory_ids: Iterable[str]) -> dict[str, float]:
        """Cosine of the query with each listed memory that is in the index."""
        with self._lock:
            position_of = self._layout()
            found = [(i, p) for i in memory_ids if (p := position_of.get(label_of(i))) is not None]
            if not found:
                return {}
            scores = self._products(vector, np.array([p for _, p in found], dtype=np.int64))
            return {i: float(score) for (i, _), score in zip(found, scores.tolist())}

    def entry(self, memory_id: str) -> VectorEntry | None:
        return self._entries.get(label_of(memory_id))

    def entries(self, memory_ids: Iterable[str]) -> dict[str, VectorEntry]:
        """Owner and kind of each listed memory that is in the index."""
        found = ((i, self._entries.get(label_of(i))) for i in memory_ids)
        return {i: entry for i, entry in found if entry is not None}

    def vector(self, memory_id: str) -> np.ndarray | None:
        label = label_of(memory_id)
        with self._lock:
            if label not in self._entries:
                return None
            return self._index.reconstruct(label)

    # -- persistence (verified by alma_graph.indexes.cache) ---------------------

    def serialize(self) -> bytes:
        with self._lock:
            return self._faiss.serialize_index(self._index).tobytes()

    @classmethod
    def from_faiss(cls, raw, dimension: int, entries: Sequence[VectorEntry]) -> "VectorIndex":
        """An index over a loaded FAISS index whose labels are exactly ``entries``' ids."""
        loaded = cls(dimension)
        loaded._index = raw
        for entry in entries:
            label = label_of(entry.memory_id)
            loaded._entries[label] = entry
            loaded._by_owner_kind.setdefault((entry.owner, entry.kind), set()).add(label)
        return loaded
