"""neighbors: the turns next to the best fused hits in their conversation session."""

from __future__ import annotations

from typing import Any

from alma_graph.backends.base import GraphStore
from alma_graph.retrieval.candidate import Candidate
from alma_graph.retrieval.recipes import RecipeConfig

NEIGHBOR_ANCHORS = 5  # how many of the best hits lend their session neighbours


def neighbors(store: GraphStore, fused: dict[str, Candidate], owners: set[str], kind: str,
              recipe: RecipeConfig) -> list[tuple[str, float]]:
    anchors = sorted(fused.values(), key=lambda c: -c.fused)[:NEIGHBOR_ANCHORS]
    anchor_rows = {r["id"]: r for r in store.get_memories([c.memory_id for c in anchors])}
    sessions = sorted({r["session_id"] for r in anchor_rows.values() if r["session_id"]})
    if not sessions:
        return []
    by_session: dict[str, list[dict[str, Any]]] = {}
    for row in store.session_memories(sessions):
        if row["kind"] == kind and row["agent"] in owners and row["sequence"] is not None:
            by_session.setdefault(row["session_id"], []).append(row)
    # an anchor may itself be another anchor's neighbour: a reply next to the best hit counts
    out: list[tuple[str, float]] = []
    seen: set[str] = set()
    for anchor in anchors:
        anchor_row = anchor_rows.get(anchor.memory_id)
        if anchor_row is None or anchor_row["sequence"] is None:
            continue
        for other in by_session.get(anchor_row["session_id"], []):
            gap = abs(other["sequence"] - anchor_row["sequence"])
            if 0 < gap <= recipe.neighbor_window and other["id"] not in seen:
                seen.add(other["id"])
                out.append((other["id"], anchor.fused))
    return out[: recipe.signals["neighbors"].n]
