"""Figures about a store: memories per kind and agent, archived ones, graph and index sizes."""

from __future__ import annotations

from typing import Any

from alma_graph.context import Context
from alma_graph.models import MemoryKind


def stats(ctx: Context, agent: str | None = None) -> dict[str, Any]:
    ctx.check_open()
    if agent is not None:
        agent = ctx.known_agent(agent)
    by_kind = {kind.value: 0 for kind in MemoryKind}
    by_agent: dict[str, int] = {}
    archived = 0
    for row in ctx.store.memory_counts():
        if agent is not None and row["agent"] != agent:
            continue
        if row["archived"]:
            archived += row["n"]
            continue
        by_kind[row["kind"]] += row["n"]
        if row["agent"]:
            by_agent[row["agent"]] = by_agent.get(row["agent"], 0) + row["n"]
    return {
        "project_id": ctx.config.project_id,
        "storage": ctx.config.storage,
        "location": ctx.store.location,
        "agent": agent,
        "total_memories": sum(by_kind.values()),
        "by_kind": by_kind,
        "by_agent": by_agent,
        "archived": archived,
        "graph": ctx.store.node_counts(),
        "indexed_vectors": len(ctx.indexes.vectors),
        "indexed_texts": len(ctx.indexes.lexical),
    }
