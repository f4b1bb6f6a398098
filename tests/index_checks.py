"""Shared checks: the derived indexes agree with the graph (used by the damage and kill -9 tests)."""

from __future__ import annotations

import numpy as np

from alma_graph import ALMA


def graph_owner(row: dict) -> str:
    return f"user:{row['user_id']}" if row["kind"] == "preference" else row["agent"]


def assert_indexes_match_graph(alma: ALMA) -> int:
    """Every live memory is indexed with its graph owner, kind and embedding; nothing else is.
    Returns how many memories were checked."""
    rows, matrix = alma.store.memory_vectors()
    assert alma.context.indexes.vectors.ids() == {r["id"] for r in rows}
    assert len(alma.context.indexes.lexical) == len(rows)
    for row, stored in zip(rows, matrix):
        entry = alma.context.indexes.vectors.entry(row["id"])
        assert (entry.owner, entry.kind) == (graph_owner(row), row["kind"]), row["id"]
        vector = alma.context.indexes.vectors.vector(row["id"])
        assert np.allclose(vector, stored, atol=1e-5), row["id"]
    return len(rows)
