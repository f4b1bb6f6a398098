"""The derived indexes of one store: FAISS vectors and BM25 text, kept in step with the graph.

The graph is the source of truth. Both indexes are caches of it, tagged with the
store's write generation: the vector index is saved beside the graph and reused
only when its checksum, generation and ids match what the graph recorded
(``indexes.cache``), with owners always read from the graph; the BM25 index is
always built from the graph's texts. ``Context.write`` updates them after every committed write.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from alma_graph.backends.base import GraphStore
from alma_graph.indexes.cache import load_vectors, save_vectors
from alma_graph.indexes.embeddings import Embedder
from alma_graph.indexes.lexical import LexicalIndex
from alma_graph.indexes.rows import RankingRows
from alma_graph.indexes.vectors import VectorEntry, VectorIndex
from alma_graph.memory.records import owner_of

log = logging.getLogger(__name__)


def _position(row: dict[str, Any]) -> tuple[str, int] | None:
    """Where a conversation turn sits, for indexing it with the turn before it."""
    if row.get("session_id") and row.get("sequence") is not None:
        return row["session_id"], row["sequence"]
    return None


def _entries(rows: list[dict[str, Any]]) -> list[VectorEntry]:
    return [VectorEntry(r["id"], owner_of(r), r["kind"]) for r in rows]


class DerivedIndexes:
    """The vector and BM25 indexes, the ranking rows, and the write generation they reflect."""

    def __init__(self, store: GraphStore, embedder: Embedder, directory: Path):
        self.store = store
        self.embedder = embedder
        self.directory = directory
        generation = store.generation()
        # Owners (who may see what) come from the graph, never from the cache file.
        vectors = load_vectors(directory, store, embedder.dimension, generation, _entries(store.memory_texts()))
        if vectors is None:
            vectors = self._rebuild_vectors()
            save_vectors(vectors, directory, store, generation)
        self.vectors: VectorIndex = vectors
        self.generation: int = generation
        self.lexical: LexicalIndex = self._build_lexical()
        self.rows = RankingRows(store)

    def _rebuild_vectors(self) -> VectorIndex:
        index = VectorIndex(self.embedder.dimension)
        rows, matrix = self.store.memory_vectors()
        missing = np.flatnonzero(np.isnan(matrix[:, 0]))
        if len(missing):  # e.g. memories imported without vectors: embed them now
            vectors = self.embedder.embed_batch([rows[i]["text"] for i in missing])
            with self.store.transaction():
                for i, vector in zip(missing, vectors):
                    matrix[i] = vector
                    self.store.update_memory(rows[i]["id"], {"embedding": vector.tolist()})
        if rows:
            index.add(_entries(rows), matrix)
        log.info("vector index rebuilt from the graph: %d memories", len(rows))
        return index

    def _build_lexical(self) -> LexicalIndex:
        lexical = LexicalIndex()
        rows = self.store.memory_texts()
        lexical.add(_entries(rows), [r["text"] for r in rows], [_position(r) for r in rows])
        return lexical

    def rebuild(self) -> None:
        """Both indexes again from the graph (after a bulk import or another process's writes)."""
        generation = self.store.generation()
        self.vectors, self.lexical = self._rebuild_vectors(), self._build_lexical()
        self.rows.clear()
        self.generation = generation

    def catch_up(self) -> None:
        """Another process wrote: this process's copy is rebuilt from the graph."""
        self.rebuild()

    def stale(self) -> bool:
        """On a shared server other processes write too: has the graph moved on?"""
        return self.store.shared and self.store.generation() != self.generation

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Rows with their embeddings."""
        if rows:
            entries = _entries(rows)
            self.vectors.add(entries, np.asarray([r["embedding"] for r in rows], dtype=np.float32))
            self.lexical.add(entries, [r["text"] for r in rows], [_position(r) for r in rows])

    def remove(self, memory_ids: Iterable[str]) -> None:
        ids = list(memory_ids)
        if ids:
            self.vectors.remove(ids)
            self.lexical.remove(ids)

    def save(self) -> None:
        save_vectors(self.vectors, self.directory, self.store, self.generation)
