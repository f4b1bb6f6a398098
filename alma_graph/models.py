"""The five memory kinds (ALMA's fields), their results and ``MemorySlice``.

Every memory carries ``id``, ``agent``, ``metadata`` (returned unchanged),
``shared_from`` (the agent it came from when it is not the reader's own) and,
on retrieval, ``score`` with a per-factor ``score_breakdown``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


class MemoryKind(str, Enum):
    HEURISTIC = "heuristic"
    OUTCOME = "outcome"
    PREFERENCE = "preference"
    DOMAIN_KNOWLEDGE = "domain_knowledge"
    ANTI_PATTERN = "anti_pattern"


@dataclass
class _Memory:
    id: str
    agent: str
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    shared_from: str | None = None
    score: float = 0.0
    score_breakdown: dict[str, float] = field(default_factory=dict)
    explain: dict[str, Any] | None = None  # retrieve(explain=True): per-signal ranks and graph paths
    archived: bool = False

    kind: MemoryKind = MemoryKind.OUTCOME  # each kind overrides it, and defines ``text``


@dataclass
class Heuristic(_Memory):
    """A strategy that worked: 'when <condition>, do <strategy>'."""

    task_type: str = "general"
    condition: str = ""
    strategy: str = ""
    confidence: float = 0.5
    occurrence_count: int = 0
    success_count: int = 0
    last_validated: datetime | None = None
    kind: MemoryKind = MemoryKind.HEURISTIC

    @property
    def success_rate(self) -> float:
        return self.success_count / self.occurrence_count if self.occurrence_count else 0.0

    @property
    def text(self) -> str:
        return f"{self.condition}: {self.strategy}"


@dataclass
class Outcome(_Memory):
    """What happened when an agent ran a task with a strategy."""

    task_type: str = "general"
    task_description: str = ""
    success: bool = False
    strategy_used: str = ""
    duration_ms: int | None = None
    error_message: str | None = None
    user_feedback: str | None = None
    timestamp: datetime | None = None
    kind: MemoryKind = MemoryKind.OUTCOME

    @property
    def text(self) -> str:
        return f"{self.task_description} | strategy: {self.strategy_used}"


@dataclass
class UserPreference(_Memory):
    """Something a user wants, in a category such as 'code_style'."""

    user_id: str = ""
    category: str = "general"
    preference: str = ""
    source: str = "explicit"
    confidence: float = 1.0
    timestamp: datetime | None = None
    kind: MemoryKind = MemoryKind.PREFERENCE

    @property
    def text(self) -> str:
        return self.preference


@dataclass
class DomainKnowledge(_Memory):
    """A fact in a domain."""

    domain: str = "general"
    fact: str = ""
    source: str = "user"
    confidence: float = 1.0
    last_verified: datetime | None = None
    timestamp: datetime | None = None
    kind: MemoryKind = MemoryKind.DOMAIN_KNOWLEDGE

    @property
    def text(self) -> str:
        return self.fact


@dataclass
class AntiPattern(_Memory):
    """What not to do, why, and what to do instead."""

    task_type: str = "general"
    pattern: str = ""
    why_bad: str = ""
    better_alternative: str | None = None
    occurrence_count: int = 0
    last_seen: datetime | None = None
    confidence: float = 0.5
    kind: MemoryKind = MemoryKind.ANTI_PATTERN

    @property
    def text(self) -> str:
        return f"{self.pattern}. Why bad: {self.why_bad}"


Memory = Heuristic | Outcome | UserPreference | DomainKnowledge | AntiPattern

MEMORY_CLASSES: dict[MemoryKind, type] = {
    MemoryKind.HEURISTIC: Heuristic,
    MemoryKind.OUTCOME: Outcome,
    MemoryKind.PREFERENCE: UserPreference,
    MemoryKind.DOMAIN_KNOWLEDGE: DomainKnowledge,
    MemoryKind.ANTI_PATTERN: AntiPattern,
}


# The MemorySlice list of each kind, in the order slices list and render them.
SLICE_FIELDS: dict[MemoryKind, str] = {
    MemoryKind.HEURISTIC: "heuristics",
    MemoryKind.ANTI_PATTERN: "anti_patterns",
    MemoryKind.PREFERENCE: "preferences",
    MemoryKind.DOMAIN_KNOWLEDGE: "domain_knowledge",
    MemoryKind.OUTCOME: "outcomes",
}


@dataclass
class MemoryPage:
    """One page of ``list_memories``: pass ``next_cursor`` back for the next (None after the last)."""

    items: list[Memory] = field(default_factory=list)
    next_cursor: str | None = None


def estimate_tokens(text: str) -> int:
    """About four characters per token for English: close enough for a budget."""
    return max(1, (len(text) + 3) // 4)


@dataclass
class MemorySlice:
    """What ``retrieve`` returns: one list per kind, each ordered by score."""

    heuristics: list[Heuristic] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    preferences: list[UserPreference] = field(default_factory=list)
    domain_knowledge: list[DomainKnowledge] = field(default_factory=list)
    anti_patterns: list[AntiPattern] = field(default_factory=list)
    query: str = ""
    agent: str = ""
    retrieval_time_ms: float = 0.0
    load_time_ms: float = 0.0  # loading the models on first use; not part of retrieval_time_ms

    @property
    def total_items(self) -> int:
        return sum(len(items) for items in self._lists())

    def _lists(self) -> list[list]:
        return [getattr(self, name) for name in SLICE_FIELDS.values()]

    def all(self) -> list[Memory]:
        """Every memory in the slice, best score first."""
        return sorted((m for items in self._lists() for m in items), key=lambda m: -m.score)

    def __iter__(self):
        return iter(self.all())

    def __len__(self) -> int:
        return self.total_items

    def to_prompt(self, max_tokens: int = 2000) -> str:
        """Render the slice as a prompt section that stays within ``max_tokens``.

        Sections come in order of how much they change an agent's next step:
        strategies, then what to avoid, the user's preferences, knowledge, and
        the relevant past outcomes. Within a section the best-scored lines come
        first, and a line that would overflow the budget is left out whole.
        """
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        sections: list[tuple[str, list[str]]] = [
            ("Strategies that worked", [_line_heuristic(h) for h in self.heuristics]),
            ("Avoid", [_line_anti_pattern(a) for a in self.anti_patterns]),
            ("User preferences", [f"- [{p.category}] {p.preference}" for p in self.preferences]),
            ("Knowledge", [_line_knowledge(k) for k in self.domain_knowledge]),
            ("Relevant past outcomes", [_line_outcome(o) for o in self.outcomes]),
        ]
        out: list[str] = []
        used = 0
        for title, lines in sections:
            header = f"## {title}"
            kept: list[str] = []
            cost = estimate_tokens(header + "\n")
            for line in lines:
                line_cost = estimate_tokens(line + "\n")
                if used + cost + line_cost > max_tokens:
                    break
                kept.append(line)
                cost += line_cost
            if kept:
                out.append(header)
                out.extend(kept)
                used += cost
        return "\n".join(out)


def _source(memory: _Memory) -> str:
    return f" (from {memory.shared_from})" if memory.shared_from else ""


def _line_heuristic(h: Heuristic) -> str:
    return (
        f"- For tasks like '{h.condition}': {h.strategy} "
        f"(worked {h.success_count}/{h.occurrence_count}, confidence {h.confidence:.2f}){_source(h)}"
    )


def _line_anti_pattern(a: AntiPattern) -> str:
    line = f"- Don't: {a.pattern}. Why: {a.why_bad}"
    if a.better_alternative:
        line += f". Instead: {a.better_alternative}"
    return line + f" (seen {a.occurrence_count}x){_source(a)}"


def _line_knowledge(k: DomainKnowledge) -> str:
    when = f" ({k.timestamp:%Y-%m-%d})" if k.timestamp else ""
    return f"- [{k.domain}] {k.fact}{when}{_source(k)}"


def _line_outcome(o: Outcome) -> str:
    result = "succeeded" if o.success else "failed"
    line = f"- {o.task_description}: {result} with '{o.strategy_used}'"
    if not o.success and o.error_message:
        line += f" ({o.error_message})"
    return line + _source(o)
