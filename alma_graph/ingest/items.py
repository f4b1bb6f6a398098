"""A memory about to be written, with the deterministic id that makes re-ingestion a no-op.

``ingest_id`` = uuid5 of (project, agent, kind, source key, SHA-256 of the
memory's content). The source key is the tool's own conversation id when the
export has one (so a re-downloaded export dedupes) and the resolved file path
otherwise. Preferences are keyed by (project, user, category, text) only: the
same user stating the same preference twice is one preference. Chunk positions
are deliberately not part of the id, so editing one paragraph of a file adds
only the chunks that changed.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alma_graph.memory.records import user_owner
from alma_graph.models import MemoryKind

NAMESPACE = uuid.UUID("6f0c5a3e-8a52-4d8e-9a3c-4b1f0e6f2a71")  # alma_graph ingestion


def content_hash(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()


def ingest_id(project_id: str, *key: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, "\x1f".join([project_id, *(str(k) for k in key)])))


@dataclass
class Item:
    """One memory to write: its kind, the keyword arguments of the ALMA call, and provenance."""

    kind: MemoryKind
    id: str
    call: dict[str, Any]
    source: str  # the file, for the report
    timestamp: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        """Whose memories a duplicate would be among: the user for preferences, else the agent."""
        return self.call["user_id"] if self.kind is MemoryKind.PREFERENCE else self.call["agent"]


def knowledge_item(project_id: str, agent: str, domain: str, fact: str, source_key: str, source_label: str,
                   path: str, timestamp: datetime | None, metadata: dict[str, Any], confidence: float) -> Item:
    digest = content_hash(fact)
    memory_id = ingest_id(project_id, agent, MemoryKind.DOMAIN_KNOWLEDGE.value, source_key, digest)
    meta = {**metadata, "ingest_id": memory_id, "content_sha256": digest}
    return Item(MemoryKind.DOMAIN_KNOWLEDGE, memory_id,
                {"agent": agent, "domain": domain, "fact": fact, "source": source_label, "confidence": confidence,
                 "timestamp": timestamp, "metadata": meta, "id": memory_id}, path, timestamp, meta)


def preference_item(project_id: str, agent: str, user_id: str, category: str, preference: str, source_label: str,
                    path: str, timestamp: datetime | None, metadata: dict[str, Any]) -> Item:
    memory_id = ingest_id(project_id, user_owner(user_id), MemoryKind.PREFERENCE.value, category, content_hash(preference))
    meta = {**metadata, "ingest_id": memory_id}
    return Item(MemoryKind.PREFERENCE, memory_id,
                {"user_id": user_id, "category": category, "preference": preference, "source": source_label,
                 "agent": agent, "timestamp": timestamp, "metadata": meta}, path, timestamp, meta)


def anti_pattern_item(project_id: str, agent: str, task_type: str, pattern: str, why_bad: str,
                      better_alternative: str | None, source_key: str, path: str, timestamp: datetime | None,
                      metadata: dict[str, Any]) -> Item:
    memory_id = ingest_id(project_id, agent, MemoryKind.ANTI_PATTERN.value, source_key,
                          content_hash(pattern, why_bad, better_alternative))
    meta = {**metadata, "ingest_id": memory_id}
    if timestamp is not None:
        meta["timestamp"] = timestamp.isoformat()  # add_anti_pattern takes no timestamp
    return Item(MemoryKind.ANTI_PATTERN, memory_id,
                {"agent": agent, "pattern": pattern, "why_bad": why_bad, "better_alternative": better_alternative,
                 "task_type": task_type, "metadata": meta}, path, timestamp, meta)


def outcome_item(project_id: str, agent: str, task_type: str, task: str, strategy: str, success: bool,
                 error_message: str | None, source_key: str, path: str, timestamp: datetime | None,
                 metadata: dict[str, Any]) -> Item:
    memory_id = ingest_id(project_id, agent, MemoryKind.OUTCOME.value, source_key,
                          content_hash(task, strategy, success, error_message))
    meta = {**metadata, "ingest_id": memory_id}
    return Item(MemoryKind.OUTCOME, memory_id,
                {"agent": agent, "task": task, "outcome": success, "strategy_used": strategy, "task_type": task_type,
                 "error_message": error_message, "timestamp": timestamp, "metadata": meta}, path, timestamp, meta)
