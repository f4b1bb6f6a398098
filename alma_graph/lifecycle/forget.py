"""Forgetting archives memories (they leave retrieval, nothing is deleted); ``restore``
brings them back. Both are audited through their events (``lifecycle.audit``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from alma_graph.context import Context
from alma_graph.errors import ValidationError
from alma_graph.events import EventType
from alma_graph.memory.records import utcnow
from alma_graph.memory.validation import check_choice, check_days, check_ids, check_optional_number
from alma_graph.models import MemoryKind


def forget_candidates(ctx: Context, now: datetime, agent: str | None = None, older_than_days: float | None = None,
                      below_confidence: float | None = None, memory_ids: Iterable[str] | None = None,
                      kind: str | MemoryKind | None = None) -> list[dict[str, Any]]:
    """The live memories ``forget`` would archive: one routine for the archive and its preview
    (the CLI lists them before asking), so what a user is shown is what gets archived.
    Without any criterion this is an error, so a bare ``forget()`` cannot wipe a store."""
    ctx.check_open()
    if agent is None and older_than_days is None and below_confidence is None and memory_ids is None:
        raise ValidationError("forget needs at least one of agent, older_than_days, below_confidence, memory_ids")
    older_than_days = None if older_than_days is None else check_days(older_than_days)
    below_confidence = check_optional_number(below_confidence, "below_confidence", 0, 1)
    kind_value = check_choice(kind, [k.value for k in MemoryKind], "kind") if kind is not None else None
    memory_ids = check_ids(memory_ids) if memory_ids is not None else None
    if agent is not None:
        agent = ctx.known_agent(agent)
    rows = ctx.store.find_memories(agents=[agent] if agent else None, kind=kind_value, archived=False,
                                   ids=memory_ids)
    if older_than_days is not None:
        cutoff = now - timedelta(days=float(older_than_days))
        rows = [r for r in rows if (r["occurred_at"] or r["created_at"]) < cutoff]
    if below_confidence is not None:
        rows = [r for r in rows if (r["confidence"] if r["confidence"] is not None else 1.0) < below_confidence]
    return rows


def forget(ctx: Context, agent: str | None = None, older_than_days: float | None = None,
           below_confidence: float | None = None, memory_ids: Iterable[str] | None = None,
           kind: str | MemoryKind | None = None) -> int:
    now = utcnow()
    rows = forget_candidates(ctx, now, agent, older_than_days, below_confidence, memory_ids, kind)
    if agent is not None:
        agent = ctx.known_agent(agent)
    if not rows:
        return 0
    with ctx.write() as change:
        for row in rows:
            ctx.store.update_memory(row["id"], {"archived": True, "updated_at": now})
        change.unindex(r["id"] for r in rows)
    ctx.emit(EventType.DELETED, agent, [r["id"] for r in rows], archived=True)
    return len(rows)


def restore(ctx: Context, memory_ids: Iterable[str]) -> int:
    ctx.check_open()
    rows = [r for r in ctx.store.get_memories(check_ids(memory_ids)) if r["archived"]]
    if not rows:
        return 0
    with ctx.write() as change:
        for row in rows:
            ctx.store.update_memory(row["id"], {"archived": False, "updated_at": utcnow()})
        full = {r["id"]: r for r in ctx.store.find_memories(with_embedding=True, ids=[r["id"] for r in rows])}
        change.index(full.values())
    ctx.emit(EventType.UPDATED, None, list(full), reason="restored")
    return len(rows)
