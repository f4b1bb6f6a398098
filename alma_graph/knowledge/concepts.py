"""Concept nodes: the common-noun phrases memories are about, and which of them mean nearly the same.

The spaCy parse the entity extractor makes for each memory also yields its concepts
(``extractors.concepts``). Each becomes one Concept node per project (keyed by its
normalised phrase), linked ``HAS_CONCEPT`` from the memories that name it; the edge
keeps the words as written (``mention``, for matching queries) and, where the text
says so, whose it is (``speaker``: "my dog" said by Caroline). A new concept's name
is embedded once (MiniLM, in one batch per write, before the transaction) and stored
on the node; it gets ``SIMILAR`` edges (with their cosine) to the concepts whose names
are at least ``extraction.concept_similarity`` close, at most
``extraction.concept_similar_max`` of them — "pottery class" ~ "pottery workshop".

Erasing the last memory that names a concept deletes the concept and its edges
(``GraphStore.erase_memories``): a concept's name is that memory's words.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol, Sequence

import numpy as np

from alma_graph.backends.base import GraphStore
from alma_graph.config import ExtractionConfig


class Embeds(Protocol):
    def embed_batch(self, texts: Sequence[str], batch_size: int = 64,
                    show_progress: bool = False) -> np.ndarray: ...


class ConceptGraph:
    def __init__(self, store: GraphStore, config: ExtractionConfig, embedder: Embeds | None):
        self.store = store
        self.config = config
        self.embedder = embedder
        self._lock = threading.Lock()
        self._keys: list[str] | None = None  # every concept with a vector, in the store
        self._matrix = np.zeros((0, store.dimension), dtype=np.float32)
        self._pending: dict[str, np.ndarray] = {}  # embedded by prepare(), not yet written

    def key(self, norm_name: str) -> str:
        return f"{self.store.project_id}/{norm_name}"

    def forget(self) -> None:
        """Drop the cached concept vectors (after an erasure or another process's writes)."""
        with self._lock:
            self._keys, self._pending = None, {}
            self._matrix = np.zeros((0, self.store.dimension), dtype=np.float32)

    def _known(self) -> list[str]:
        if self._keys is None:
            rows = [r for r in self.store.concept_vectors() if r["embedding"] is not None]
            self._keys = [r["key"] for r in rows]
            self._matrix = (np.asarray([r["embedding"] for r in rows], dtype=np.float32) if rows
                            else np.zeros((0, self.store.dimension), dtype=np.float32))
        return self._keys

    def prepare(self, extractions: list) -> None:
        """Embed the names of concepts the store does not know yet, in one batch (before the
        write's transaction, so the graph is not held while the model runs)."""
        if self.embedder is None or not self.config.concepts:
            return
        names = {c.norm_name for x in extractions if x is not None for c in x.concepts}
        with self._lock:
            known = set(self._known()) | set(self._pending)
            new = sorted(n for n in names if self.key(n) not in known)
        if not new:
            return
        vectors = self.embedder.embed_batch(new)
        with self._lock:
            self._pending.update((self.key(n), v) for n, v in zip(new, vectors))

    def write(self, rows: list[dict[str, Any]], extractions: list) -> None:
        """Concept nodes, HAS_CONCEPT links and the new concepts' SIMILAR edges; runs inside
        the caller's transaction, after the memory rows exist."""
        if not self.config.concepts:
            return
        nodes: dict[str, dict[str, Any]] = {}
        links: dict[tuple[str, str], dict[str, Any]] = {}
        for row, extraction in zip(rows, extractions):
            for concept in (extraction.concepts if extraction else ()):
                key = self.key(concept.norm_name)
                nodes.setdefault(key, {"key": key, "project_id": self.store.project_id, "name": concept.name,
                                       "norm_name": concept.norm_name})
                links.setdefault((row["id"], key), {"memory_id": row["id"], "key": key, "mention": concept.mention,
                                                    "speaker": concept.speaker})
        if not nodes:
            return
        with self._lock:
            known = set(self._known())
            vectors = {k: self._pending[k] for k in nodes if k in self._pending and k not in known}
        for key, node in nodes.items():
            vector = vectors.get(key)
            node["embedding"] = vector.tolist() if vector is not None else None
        # MERGE ... ON CREATE: a node the store has keeps its vector; one prepare() did not see
        # (no embedder) is created without one and gets no SIMILAR edges
        self.store.merge_concepts(list(nodes.values()))
        self.store.link_concepts(list(links.values()))
        if vectors:
            self.store.link_similar(self._similar(vectors))
            with self._lock:
                if self._keys is not None:
                    self._keys.extend(vectors)
                    self._matrix = np.vstack([self._matrix, np.stack(list(vectors.values()))])
                for key in vectors:
                    self._pending.pop(key, None)

    def _similar(self, new: dict[str, np.ndarray]) -> list[dict[str, Any]]:
        """SIMILAR edges from each new concept to its closest names (old or new), above the threshold."""
        cap, threshold = self.config.concept_similar_max, self.config.concept_similarity
        if cap == 0:
            return []
        with self._lock:
            keys = list(self._known()) + list(new)
            matrix = np.vstack([self._matrix, np.stack(list(new.values()))])
        new_keys = list(new)
        scores = np.stack(list(new.values())) @ matrix.T
        offset = len(keys) - len(new_keys)
        edges: dict[tuple[str, str], float] = {}
        for i, key in enumerate(new_keys):
            row = scores[i]
            row[offset + i] = -1.0  # itself
            best = np.argsort(-row)[:cap]
            for j in best:
                if row[j] < threshold:
                    break
                pair = (key, keys[j]) if key < keys[j] else (keys[j], key)
                edges[pair] = float(row[j])
        return [{"from_key": a, "to_key": b, "cosine": round(c, 4)} for (a, b), c in edges.items()]
