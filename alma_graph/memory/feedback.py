"""Feedback that changes later ranking: which retrieved memories were used, and explicit
up / down votes on one memory."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alma_graph.context import Context
from alma_graph.errors import MemoryNotFoundError, ValidationError
from alma_graph.events import EventType
from alma_graph.memory.records import to_memory, utcnow
from alma_graph.memory.validation import check_ids, check_name, shown
from alma_graph.models import Memory, MemoryKind

_FEEDBACK_WORDS = {"positive": 1.0, "helpful": 1.0, "up": 1.0, "good": 1.0,
                   "negative": -1.0, "not_helpful": -1.0, "unhelpful": -1.0, "down": -1.0, "bad": -1.0}
USED_FEEDBACK, UNUSED_FEEDBACK, EXPLICIT_FEEDBACK = 0.1, -0.05, 0.3


def _clamp(value: float, low: float = -1.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def visible_rows(ctx: Context, memory_ids: Iterable[str], agent: str) -> dict[str, dict[str, Any]]:
    """The rows for ids the agent may see; an unknown or invisible id is an error."""
    ids = list(dict.fromkeys(check_ids(memory_ids)))
    rows = {r["id"]: r for r in ctx.store.get_memories(ids)}
    visible = ctx.visible(agent)
    for memory_id in ids:
        row = rows.get(memory_id)
        if row is None or (row["agent"] and row["agent"] not in visible and row["kind"] != MemoryKind.PREFERENCE.value):
            raise MemoryNotFoundError(f"no memory {memory_id!r} visible to agent {agent!r}")
    return rows


def record_usage(ctx: Context, retrieved_memory_ids: Iterable[str], used_memory_ids: Iterable[str],
                 agent: str) -> dict[str, int]:
    ctx.check_open()
    agent = ctx.known_agent(agent)
    retrieved = check_ids(retrieved_memory_ids, "retrieved_memory_ids")
    used = set(check_ids(used_memory_ids, "used_memory_ids"))
    if not used <= set(retrieved):
        raise ValidationError(f"used ids {sorted(used - set(retrieved))} were not among the retrieved ids")
    rows = visible_rows(ctx, retrieved, agent)
    now = utcnow()
    with ctx.write() as change:
        for memory_id, row in rows.items():
            if memory_id in used:
                ctx.store.update_memory(memory_id, {
                    "use_count": (row["use_count"] or 0) + 1, "last_used_at": now,
                    "feedback": _clamp((row["feedback"] or 0) + USED_FEEDBACK)})
            else:
                ctx.store.update_memory(memory_id, {"feedback": _clamp((row["feedback"] or 0) + UNUSED_FEEDBACK)})
        change.touch()
    ctx.emit(EventType.UPDATED, agent, rows, reason="usage", used=sorted(used))
    return {"used": len(used), "unused": len(rows) - len(used)}


def parse_signal(signal: Any) -> float:
    if isinstance(signal, bool):
        return 1.0 if signal else -1.0
    if isinstance(signal, (int, float)) and -1 <= signal <= 1:  # NaN fails both comparisons
        return float(signal)
    if isinstance(signal, str) and signal.strip().lower() in _FEEDBACK_WORDS:
        return _FEEDBACK_WORDS[signal.strip().lower()]
    raise ValidationError(f"signal must be one of {sorted(_FEEDBACK_WORDS)} or a number in [-1, 1], "
                          f"got {shown(signal)}")


def record_feedback(ctx: Context, memory_id: str, signal: str | float | bool, agent: str) -> Memory:
    ctx.check_open()
    agent = ctx.known_agent(agent)
    value = parse_signal(signal)
    memory_id = check_name(memory_id, "memory_id")
    row = visible_rows(ctx, [memory_id], agent)[memory_id]
    new_value = _clamp((row["feedback"] or 0) + EXPLICIT_FEEDBACK * value)
    with ctx.write() as change:
        ctx.store.update_memory(memory_id, {"feedback": new_value, "updated_at": utcnow()})
        change.touch()
    row["feedback"] = new_value
    ctx.emit(EventType.UPDATED, agent, [memory_id], reason="feedback", signal=value)
    return to_memory(row)
