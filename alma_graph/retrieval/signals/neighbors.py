"""neighbors: the turns next to the best fused hits in their conversation session
(from the in-memory ranking rows, ``indexes.rows``: no store round trip)."""

from __future__ import annotations

from alma_graph.indexes.rows import RankingRows
from alma_graph.retrieval.candidate import Candidate
from alma_graph.retrieval.recipes import RecipeConfig

NEIGHBOR_ANCHORS = 5  # how many of the best hits lend their session neighbours


def neighbors(rows: RankingRows, fused: dict[str, Candidate], owners: set[str], kind: str,
              recipe: RecipeConfig) -> list[tuple[str, float]]:
    anchors = sorted(fused.values(), key=lambda c: -c.fused)[:NEIGHBOR_ANCHORS]
    anchor_rows = rows.get(c.memory_id for c in anchors)
    # an anchor may itself be another anchor's neighbour: a reply next to the best hit counts
    out: list[tuple[str, float]] = []
    seen: set[str] = set()
    for anchor in anchors:
        row = anchor_rows.get(anchor.memory_id)
        if row is None or row["sequence"] is None or not row["session_id"]:
            continue
        window = recipe.neighbor_window
        near = [i for gap in range(-window, window + 1) if gap
                for i in rows.turns_at(row["session_id"], row["sequence"] + gap)]
        for other_id, other in rows.get(near).items():
            if other["kind"] == kind and other["agent"] in owners and other_id not in seen:
                seen.add(other_id)
                out.append((other_id, anchor.fused))
    return out[: recipe.signals["neighbors"].n]
