"""What every chat-export parser produces: conversations made of ordered turns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

USER, ASSISTANT = "user", "assistant"


@dataclass
class Turn:
    """One utterance. ``role`` is ``user`` (a person) or ``assistant`` (a model or bot);
    ``speaker`` is the name to show (a Slack real name, "user", "assistant", ...)."""

    role: str
    speaker: str
    text: str
    timestamp: datetime | None = None
    id: str | None = None


@dataclass
class Conversation:
    """One conversation of an export, its turns in order (for ChatGPT: the active branch)."""

    format: str
    source: str  # the file it came from
    id: str  # stable: the tool's own id when it has one, else derived from the file
    title: str | None = None
    turns: list[Turn] = field(default_factory=list)
    created_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
