"""The audit trail: every archive, restore, merge and decay run leaves an ``Audit`` node
naming the memories it touched (``AFFECTED`` edges) and the criteria that chose them."""

from __future__ import annotations

import contextvars
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from alma_graph.backends.base import GraphStore
from alma_graph.events import EventType, MemoryEvent
from alma_graph.graph_model import NODE_PROPERTIES, Edge, Node, project_key
from alma_graph.memory.records import utcnow
from alma_graph.memory.validation import check_choice, check_number

# Criteria of the archive in progress on this thread, for the audit record of the forget() it calls.
_archive_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("archive_context", default=None)


@dataclass
class AuditRecord:
    """One lifecycle action: what it did, to which memories, and why."""

    id: str
    action: str  # forget, restore, consolidate, decay, erase, erase_user
    memory_ids: list[str]
    count: int
    agent: str | None = None
    reason: str | None = None
    criteria: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None



def write_audit(store: GraphStore, action: str, memory_ids: list[str], agent: str | None = None,
                reason: str | None = None, criteria: dict[str, Any] | None = None, link: bool = True,
                now: datetime | None = None) -> str:
    """An Audit node (inside the caller's transaction, if any), with AFFECTED edges when ``link``."""
    audit_id = str(uuid.uuid4())
    row: dict[str, Any] = dict.fromkeys(NODE_PROPERTIES[Node.AUDIT])
    row.update(key=project_key(store.project_id, audit_id), project_id=store.project_id, id=audit_id, action=action,
               agent=agent, reason=reason, criteria=json.dumps(criteria or {}, default=str),
               memory_ids=list(memory_ids), count=len(memory_ids), created_at=now or utcnow())
    with store.transaction():
        store.create_audit(row)
        if link and memory_ids:
            store.link_many(Edge.AFFECTED, [(row["key"], memory_id) for memory_id in memory_ids])
    return audit_id


def audit_log(store: GraphStore, action: str | None = None, limit: int = 100) -> list[AuditRecord]:
    check_number(limit, "limit", 1, 10_000, integer=True)
    if action is not None:
        action = check_choice(action, ("forget", "restore", "consolidate", "decay", "erase", "erase_user"), "action")
    return [AuditRecord(id=r["id"], action=r["action"], memory_ids=list(r["memory_ids"] or []), count=r["count"],
                        agent=r["agent"], reason=r["reason"], criteria=json.loads(r["criteria"] or "{}"),
                        created_at=r["created_at"])
            for r in store.audit_records(limit, action)]


def audit_observer(store: GraphStore) -> Callable[[MemoryEvent], None]:
    """An event observer that audits every archive (forget) and restore, whoever called it."""

    def observe(event: MemoryEvent) -> None:
        if event.type is EventType.DELETED and event.details.get("archived"):
            context = _archive_context.get() or {}
            write_audit(store, "forget", list(event.memory_ids), agent=event.agent,
                        reason=context.get("reason", "forget() called"), criteria=context.get("criteria"))
        elif event.type is EventType.UPDATED and event.details.get("reason") == "restored":
            write_audit(store, "restore", list(event.memory_ids), agent=event.agent, reason="restore() called")

    return observe


@contextmanager
def archiving(reason: str, criteria: dict[str, Any]) -> Iterator[None]:
    token = _archive_context.set({"reason": reason, "criteria": criteria})
    try:
        yield
    finally:
        _archive_context.reset(token)

