"""dense: cosine over the MiniLM embeddings, among the visible memories (FAISS with an ID
selector, or Neo4j's vector index; never a global top-n filtered afterwards)."""

from __future__ import annotations

import numpy as np

from alma_graph.indexes.search import VectorSearch


def dense(index: VectorSearch, vector: np.ndarray, owners: list[str], kind: str, n: int,
          only_ids: set[str] | None) -> list[tuple[str, float]]:
    return index.search(vector, owners, kind, n, only_ids)
