"""The FAISS index of memory vectors, derived from the graph.

The graph is the source of truth (every Memory node stores its embedding);
this index is a cache beside it (``alma_graph.indexes.cache`` saves it, and on
open verifies it against the graph or rebuilds it). Searches take the set of owners the reader may see and pass it to FAISS
as an ID selector, so the top-k is computed among visible memories only; a
global top-k filtered afterwards can come back empty.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

log = logging.getLogger(__name__)

INDEX_FILE = "vectors.faiss"
CATALOG_FILE = "vectors.json"


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
        # FAISS ID selectors per (owners, kind), until the next add or remove: building one
        # walks every visible label, work that grew with the store on every search.
        self._selectors: dict[tuple[frozenset[str], str], tuple[int, object]] = {}
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
            self._selectors.clear()
            self._index.add_with_ids(vectors, labels)
            for label, entry in zip(labels.tolist(), entries):
                self._entries[label] = entry
                self._by_owner_kind.setdefault((entry.owner, entry.kind), set()).add(label)

    def remove(self, memory_ids: Iterable[str]) -> None:
        with self._lock:
            labels = [label for label in map(label_of, memory_ids) if label in self._entries]
            if not labels:
                return
            self._index.remove_ids(np.array(labels, dtype=np.int64))  # type: ignore[arg-type]  # SWIG accepts arrays
            self._selectors.clear()
            for label in labels:
                entry = self._entries.pop(label)
                self._by_owner_kind[(entry.owner, entry.kind)].discard(label)

    def search(self, vector: np.ndarray, owners: Iterable[str], kind: str, k: int,
               only_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """The k nearest memories of ``kind`` among those ``owners`` hold (and, when given,
        among ``only_ids``), as (id, cosine)."""
        with self._lock:
            if only_ids is None:
                count, selector = self._selector(frozenset(owners), kind)
            else:
                allowed = [label for owner in owners for label in self._by_owner_kind.get((owner, kind), ())
                           if self._entries[label].memory_id in only_ids]
                count, selector = len(allowed), self._faiss.IDSelectorBatch(np.array(allowed, dtype=np.int64))
            if not count or k <= 0:
                return []
            k = min(k, count)
            params = self._faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]  # SWIG keyword
            query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, self.dimension)
            scores, labels = self._index.search(query, k, params=params)
            return [
                (self._entries[label].memory_id, float(score))
                for label, score in zip(labels[0].tolist(), scores[0].tolist())
                if label != -1
            ]

    def within(self, vector: np.ndarray, owners: Iterable[str], kind: str, radius: float) -> list[tuple[str, float]]:
        """Every memory of ``kind`` that ``owners`` hold whose cosine with the query is above
        ``radius``, as (id, cosine): a FAISS range search, however many the owners hold."""
        with self._lock:
            count, selector = self._selector(frozenset(owners), kind)
            if not count:
                return []
            params = self._faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]  # SWIG keyword
            query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, self.dimension)
            _, scores, labels = self._index.range_search(query, radius, params=params)
            return [(self._entries[label].memory_id, float(score))
                    for label, score in zip(labels.tolist(), scores.tolist())]

    def _selector(self, owners: frozenset[str], kind: str) -> tuple[int, object]:
        """(how many, FAISS selector) of the labels of ``kind`` that ``owners`` hold."""
        cached = self._selectors.get((owners, kind))
        if cached is None:
            allowed = [label for owner in owners for label in self._by_owner_kind.get((owner, kind), ())]
            cached = (len(allowed), self._faiss.IDSelectorBatch(np.array(allowed, dtype=np.int64)))
            if len(self._selectors) > 256:  # many distinct readers: keep the memory bounded
                self._selectors.clear()
            self._selectors[(owners, kind)] = cached
        return cached

    def cosines(self, vector: np.ndarray, memory_ids: Iterable[str]) -> dict[str, float]:
        """Cosine of the query with each listed memory that is in the index."""
        with self._lock:
            ids = [i for i in memory_ids if label_of(i) in self._entries]
            if not ids:
                return {}
            matrix = np.vstack([self._index.reconstruct(label_of(i)) for i in ids])
        return dict(zip(ids, (matrix @ np.asarray(vector, dtype=np.float32)).tolist()))

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
