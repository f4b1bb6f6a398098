"""time: memories whose time falls in a window the query names ("in May 2023", "last
week"; see ``retrieval.timecues``), ordered by similarity."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from alma_graph.backends.base import GraphStore
from alma_graph.indexes.search import VectorSearch
from alma_graph.memory.records import owner_of


def in_window(store: GraphStore, window: tuple[datetime, datetime]) -> list[tuple[str, str, str]]:
    """(id, owner, kind) of every memory in the window."""
    return [(r["id"], owner_of(r), r["kind"]) for r in store.memories_between(*window)]


def time(window_hits: list[tuple[str, str, str]], vector: np.ndarray, index: VectorSearch, owners: set[str],
         kind: str, n: int, only_ids: set[str] | None) -> list[tuple[str, float]]:
    ids = [i for i, owner, k in window_hits if k == kind and owner in owners and (only_ids is None or i in only_ids)]
    scores = index.cosines(vector, ids)
    return sorted(scores.items(), key=lambda x: -x[1])[:n]
