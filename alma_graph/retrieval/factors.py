"""ALMA's factors on top of the fused relevance of the hybrid ranker (hybrid.py).

score = w_similarity·relevance + w_recency·0.5^(age/half-life) + w_success·success rate
        + w_confidence·confidence + w_feedback·feedback

``weights.similarity`` keeps ALMA's name; it weighs the fused relevance, which
is the cosine rank alone under the ``similarity_only`` recipe.

Each result keeps its per-factor breakdown so callers can see why it ranked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alma_graph.config import RetrievalConfig
from alma_graph.models import MemoryKind


@dataclass
class Scored:
    row: dict[str, Any]
    score: float
    breakdown: dict[str, float]


_HEURISTIC, _OUTCOME = MemoryKind.HEURISTIC.value, MemoryKind.OUTCOME.value  # plain strings: read per candidate


def success_rate(row: dict[str, Any]) -> float:
    """How often it worked: a heuristic's ratio, an outcome's result, else 1."""
    kind = row["kind"]
    if kind == _HEURISTIC:
        occurrences = row["occurrence_count"] or 0
        return (row["success_count"] or 0) / occurrences if occurrences else 0.0
    if kind == _OUTCOME:
        return 1.0 if row["success"] else 0.0
    return 1.0


def reference_time(row: dict[str, Any]) -> datetime | None:
    """The most recent sign of life: when it happened, was validated, seen or used."""
    times: list[datetime] = [t for f in ("occurred_at", "last_validated", "last_seen", "last_used_at")
                             if (t := row.get(f)) is not None]
    return max(times) if times else None


class Ranker:
    def __init__(self, config: RetrievalConfig):
        self.config = config

    def recency(self, row: dict[str, Any], now: datetime) -> float:
        when = reference_time(row)
        if when is None:
            return 0.0
        age_days = max(0.0, (now - when).total_seconds() / 86_400)
        return 0.5 ** (age_days / self.config.recency_half_life_days)

    def ceiling(self, rows: list[dict[str, Any]]) -> float:
        """The most the factors can add to the score of any of these rows: recency is at
        most 1, the others at most their largest value among the rows."""
        w = self.config.weights
        if not rows:
            return 0.0
        confidence = feedback = success = float("-inf")
        for row in rows:  # one pass with plain comparisons: it runs over every candidate of every retrieve
            value = 1.0 if row["confidence"] is None else row["confidence"]
            if value > confidence:
                confidence = value
            value = row["feedback"] or 0.0
            if value > feedback:
                feedback = value
            value = success_rate(row)
            if value > success:
                success = value
        return w.recency + w.success_rate * success + w.confidence * float(confidence) + w.feedback * float(feedback)

    def score(self, row: dict[str, Any], relevance: float, now: datetime, factors: bool = True,
              cosine: float | None = None) -> Scored:
        """``relevance`` is the fused retrieval score in [0, 1]; the factors adjust it."""
        w = self.config.weights
        breakdown = {"relevance": relevance}
        if cosine is not None:
            breakdown["similarity"] = cosine
        total = w.similarity * relevance
        if factors:
            parts = {
                "recency": self.recency(row, now),
                "success_rate": success_rate(row),
                "confidence": float(row["confidence"] if row["confidence"] is not None else 1.0),
                "feedback": float(row["feedback"] or 0.0),
            }
            breakdown.update(parts)
            total += (w.recency * parts["recency"] + w.success_rate * parts["success_rate"]
                      + w.confidence * parts["confidence"] + w.feedback * parts["feedback"])
        breakdown["total"] = total
        return Scored(row=row, score=total, breakdown=breakdown)
