"""Session handoff: what one working session leaves for the next, kept in the graph.

``start_session(agent, goal)`` creates a ``Session`` node the agent ``STARTED`` and
returns the agent's most recent handoff, if any; the earlier session then points to
the new one by ``HANDOFF``, so the graph holds the chain of sessions that picked up
each other's work. ``create_handoff(agent, session_id, ...)`` records how the session
ended — last action and outcome, next steps, blockers, decisions, active files — on
its node. Calling it again for the same session replaces the handoff (a retry after a
crash does no harm).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from alma_graph.errors import SessionNotFoundError, ValidationError
from alma_graph.graph_model import NODE_PROPERTIES, Edge, Node, agent_key, project_key
from alma_graph.memory.records import utcnow
from alma_graph.memory.validation import check_metadata, check_name, check_optional_number, check_text

if TYPE_CHECKING:
    from alma_graph.backends.base import GraphStore

MAX_FIELD_CHARS = 2000
MAX_ITEMS = 100


@dataclass
class Handoff:
    """How a session ended, for whoever picks the work up."""

    session_id: str
    agent: str
    goal: str
    last_action: str
    last_outcome: str
    next_steps: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    active_files: list[str] = field(default_factory=list)
    confidence: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    handoff_at: datetime | None = None

    def to_prompt(self) -> str:
        """The handoff as a prompt section for the next session."""
        lines = [f"## Handoff from the last session ({self.handoff_at:%Y-%m-%d %H:%M} UTC)" if self.handoff_at
                 else "## Handoff from the last session",
                 f"- Goal: {self.goal}", f"- Last action: {self.last_action}", f"- Outcome: {self.last_outcome}"]
        for title, items in (("Next steps", self.next_steps), ("Blockers", self.blockers),
                             ("Decisions", self.decisions), ("Active files", self.active_files)):
            if items:
                lines.append(f"- {title}:")
                lines.extend(f"  - {item}" for item in items)
        if self.confidence is not None:
            lines.append(f"- Confidence: {self.confidence:.2f}")
        return "\n".join(lines)


@dataclass
class Session:
    """A started session and the handoff it continues from (None on an agent's first session)."""

    session_id: str
    agent: str
    goal: str
    started_at: datetime
    last_handoff: Handoff | None = None


def _handoff(row: dict[str, Any]) -> Handoff:
    return Handoff(session_id=row["id"], agent=row["agent"], goal=row["goal"], last_action=row["last_action"],
                   last_outcome=row["last_outcome"], next_steps=list(row["next_steps"] or []),
                   blockers=list(row["blockers"] or []), decisions=list(row["decisions"] or []),
                   active_files=list(row["active_files"] or []), confidence=row["confidence"],
                   metadata=json.loads(row["metadata"] or "{}"), started_at=row["started_at"],
                   handoff_at=row["handoff_at"])


def _items(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(f"{what} must be a list of strings, got {type(value).__name__}")
    items = [check_text(item, f"each item of {what}", MAX_FIELD_CHARS) for item in value]
    if len(items) > MAX_ITEMS:
        raise ValidationError(f"{what} has {len(items)} items; the limit is {MAX_ITEMS}")
    return items


def last_handoff(store: "GraphStore", agent: str) -> Handoff | None:
    row = store.last_handoff(agent_key(store.project_id, check_name(agent)))
    return _handoff(row) if row else None


def start(store: "GraphStore", agent: str, goal: str, session_id: str | None = None) -> Session:
    agent = check_name(agent)
    goal = check_text(goal, "goal", MAX_FIELD_CHARS)
    if session_id is not None:
        session_id = check_name(session_id, "session_id")
        if store.get_session(project_key(store.project_id, session_id)):
            raise ValidationError(f"session {session_id!r} already exists; omit session_id for a new one")
    session_id = session_id or str(uuid.uuid4())
    now = utcnow()
    row: dict[str, Any] = dict.fromkeys(NODE_PROPERTIES[Node.SESSION])
    row.update(key=project_key(store.project_id, session_id), project_id=store.project_id, id=session_id,
               agent=agent, goal=goal, started_at=now)
    with store.transaction():
        previous = last_handoff(store, agent)
        store.ensure_agent(agent)
        store.create_session(row, agent_key(store.project_id, agent))
        if previous is not None:
            store.link(Edge.HANDOFF, project_key(store.project_id, previous.session_id), row["key"])
    return Session(session_id=session_id, agent=agent, goal=goal, started_at=now, last_handoff=previous)


def create_handoff(store: "GraphStore", agent: str, session_id: str, last_action: str, last_outcome: str,
                   next_steps: Iterable[str] | None = None, blockers: Iterable[str] | None = None,
                   decisions: Iterable[str] | None = None, active_files: Iterable[str] | None = None,
                   confidence: float | None = None, metadata: dict[str, Any] | None = None) -> Handoff:
    agent = check_name(agent)
    session_id = check_name(session_id, "session_id")
    values: dict[str, Any] = {
        "last_action": check_text(last_action, "last_action", MAX_FIELD_CHARS),
        "last_outcome": check_text(last_outcome, "last_outcome", MAX_FIELD_CHARS),
        "next_steps": _items(next_steps, "next_steps"), "blockers": _items(blockers, "blockers"),
        "decisions": _items(decisions, "decisions"), "active_files": _items(active_files, "active_files"),
        "metadata": json.dumps(check_metadata(metadata)),
    }
    confidence = check_optional_number(confidence, "confidence", 0, 1)
    values["confidence"] = float(confidence) if confidence is not None else None
    key = project_key(store.project_id, session_id)
    with store.transaction():
        session = store.get_session(key)
        if session is None or session["agent"] != agent:
            raise SessionNotFoundError(
                f"agent {agent!r} has no session {session_id!r}; start one with start_session(agent, goal)")
        values["handoff_at"] = utcnow()
        store.set_handoff(key, values)
    return _handoff({**session, **values})
