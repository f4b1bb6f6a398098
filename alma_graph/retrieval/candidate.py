"""A fused candidate: one memory, its relevance and how each signal ranked it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Candidate:
    memory_id: str
    relevance: float = 0.0  # fused RRF score / best fused score in this kind
    fused: float = 0.0
    signals: dict[str, tuple[int, float]] = field(default_factory=dict)  # signal -> (rank, its score)
    paths: list[str] = field(default_factory=list)
    cosine: float | None = None
