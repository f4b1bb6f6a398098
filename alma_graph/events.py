"""In-process memory events: created, updated, deleted, accessed, consolidated.

``alma.events.subscribe(callback)`` registers an observer. Observers run on the
caller's thread right after the write commits, so they must be quick; slow work
(such as webhooks, see ``alma_graph.interfaces.webhooks``) belongs on a queue. An observer
that raises is logged and never breaks the write that emitted the event.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Callable, Iterable

log = logging.getLogger(__name__)


class EventType(str, Enum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"  # archived: memories are never silently deleted
    ACCESSED = "accessed"
    CONSOLIDATED = "consolidated"


@dataclass(frozen=True)
class MemoryEvent:
    type: EventType
    project_id: str
    agent: str | None
    memory_ids: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type.value, "project_id": self.project_id, "agent": self.agent,
                "memory_ids": list(self.memory_ids), "details": self.details, "at": self.at.isoformat()}


Observer = Callable[[MemoryEvent], None]


class EventEmitter:
    def __init__(self) -> None:
        self._observers: list[tuple[Observer, frozenset[EventType] | None]] = []
        self._lock = threading.Lock()

    def subscribe(self, observer: Observer, types: Iterable[EventType | str] | None = None) -> Callable[[], None]:
        """Call ``observer`` for every event (or only ``types``); returns an unsubscribe function."""
        wanted = frozenset(EventType(t) for t in types) if types is not None else None
        entry = (observer, wanted)
        with self._lock:
            self._observers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._observers:
                    self._observers.remove(entry)

        return unsubscribe

    def emit(self, event: MemoryEvent) -> None:
        with self._lock:
            observers = list(self._observers)
        for observer, wanted in observers:
            if wanted is not None and event.type not in wanted:
                continue
            try:
                observer(event)
            except Exception:  # an observer must never break the write that emitted the event
                log.exception("event observer %r failed on %s", observer, event.type.value)
