"""Conversion between Memory graph rows and the typed memory classes.

The graph stores every kind in one Memory table; ``category`` holds the kind's
label (task_type, domain or preference category) and ``occurred_at`` its event
time. This module is the one place that knows that mapping.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from alma_graph.graph_model import MEMORY_PROPERTIES
from alma_graph.models import (
    AntiPattern,
    DomainKnowledge,
    Heuristic,
    Memory,
    MemoryKind,
    Outcome,
    UserPreference,
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC; aware ones are converted to it."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        from alma_graph.errors import ValidationError

        raise ValidationError(f"timestamp must be a datetime, got {type(value).__name__}")
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def new_row(project_id: str, kind: MemoryKind, agent: str, text: str, category: str,
            embedding: list[float], metadata: dict | None = None, memory_id: str | None = None,
            occurred_at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """A complete Memory row (every property present, unknown ones refused)."""
    unknown = set(fields) - set(MEMORY_PROPERTIES)
    if unknown:
        raise ValueError(f"unknown memory properties: {sorted(unknown)}")
    now = utcnow()
    row: dict[str, Any] = dict.fromkeys(MEMORY_PROPERTIES)
    row.update(
        id=memory_id or str(uuid.uuid4()), project_id=project_id, agent=agent, kind=kind.value,
        text=text, category=category, confidence=1.0, created_at=now, updated_at=now,
        occurred_at=as_utc(occurred_at) or now, use_count=0, feedback=0.0, archived=False,
        metadata=json.dumps(metadata or {}), embedding=embedding,
    )
    row.update(fields)
    return row


def to_memory(row: dict[str, Any], shared_from: str | None = None) -> Memory:
    """The typed memory for a graph row."""
    kind = MemoryKind(row["kind"])
    common = dict(
        id=row["id"], agent=row["agent"] or "", metadata=json.loads(row["metadata"] or "{}"),
        created_at=row["created_at"], shared_from=shared_from, archived=bool(row["archived"]),
    )
    if kind is MemoryKind.HEURISTIC:
        return Heuristic(
            **common, task_type=row["category"], condition=row["condition"] or "", strategy=row["strategy"] or "",
            confidence=row["confidence"], occurrence_count=row["occurrence_count"] or 0,
            success_count=row["success_count"] or 0, last_validated=row["last_validated"],
        )
    if kind is MemoryKind.OUTCOME:
        return Outcome(
            **common, task_type=row["category"], task_description=row["task_description"] or "",
            success=bool(row["success"]), strategy_used=row["strategy_used"] or "",
            duration_ms=row["duration_ms"], error_message=row["error_message"],
            user_feedback=row["user_feedback"], timestamp=row["occurred_at"],
        )
    if kind is MemoryKind.PREFERENCE:
        return UserPreference(
            **common, user_id=row["user_id"] or "", category=row["category"], preference=row["preference"] or "",
            source=row["source"] or "", confidence=row["confidence"], timestamp=row["occurred_at"],
        )
    if kind is MemoryKind.DOMAIN_KNOWLEDGE:
        return DomainKnowledge(
            **common, domain=row["category"], fact=row["fact"] or "", source=row["source"] or "",
            confidence=row["confidence"], last_verified=row["last_verified"], timestamp=row["occurred_at"],
        )
    return AntiPattern(
        **common, task_type=row["category"], pattern=row["pattern"] or "", why_bad=row["why_bad"] or "",
        better_alternative=row["better_alternative"], occurrence_count=row["occurrence_count"] or 0,
        last_seen=row["last_seen"], confidence=row["confidence"],
    )


def user_owner(user_id: str) -> str:
    """The owner key of a user's memories (preferences) in the derived indexes."""
    return f"user:{user_id}"


def owner_of(row: dict[str, Any]) -> str:
    """Preferences belong to their user, everything else to its agent."""
    return user_owner(row["user_id"]) if row["kind"] == MemoryKind.PREFERENCE.value else row["agent"]
