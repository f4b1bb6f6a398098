"""dense: FAISS cosine over the MiniLM embeddings (an ID selector, not post-filtering)."""

from __future__ import annotations

import numpy as np

from alma_graph.indexes.vectors import VectorIndex


def dense(index: VectorIndex, vector: np.ndarray, owners: list[str], kind: str, n: int,
          only_ids: set[str] | None) -> list[tuple[str, float]]:
    return index.search(vector, owners, kind, n, only_ids)
