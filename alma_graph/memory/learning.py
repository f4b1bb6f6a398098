"""Learning from outcomes: heuristics and anti-patterns appear by themselves.

Outcomes are grouped by similarity — cosine of their embedded task + strategy
at or above ``learning.similarity_threshold``, within one agent and task type.
A group of similar successes becomes one heuristic once it reaches the agent's
``min_occurrences_for_heuristic``; each later similar outcome reinforces that
same heuristic (a failure counts against it). Similar failures become one
anti-pattern. Every derived memory is linked to its outcomes by DERIVED_FROM,
which is also how a later outcome finds the memory it reinforces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from alma_graph.backends.base import GraphStore
from alma_graph.config import ALMAConfig
from alma_graph.graph_model import Edge, agent_key
from alma_graph.models import MemoryKind
from alma_graph.memory.records import new_row


@dataclass
class LearningResult:
    """What one outcome changed besides itself."""

    created: list[dict[str, Any]] = field(default_factory=list)  # new heuristic / anti-pattern rows
    updated: list[str] = field(default_factory=list)  # ids of reinforced memories


def heuristic_confidence(successes: int, occurrences: int) -> float:
    """Laplace-smoothed success rate: grows with evidence, never reaches 1 on a few runs."""
    return (successes + 1) / (occurrences + 2)


class Learner:
    def __init__(self, store: GraphStore, config: ALMAConfig):
        self.store = store
        self.config = config

    def _similar_outcomes(self, agent: str, task_type: str, success: bool, vector: np.ndarray,
                          exclude: str) -> list[str]:
        rows = self.store.find_memories(
            with_embedding=True, agents=[agent], kind=MemoryKind.OUTCOME.value, category=task_type,
            success=success, archived=False,
        )
        rows = [r for r in rows if r["id"] != exclude and r["embedding"] is not None]
        if not rows:
            return []
        matrix = np.asarray([r["embedding"] for r in rows], dtype=np.float32)
        sims = matrix @ vector
        threshold = self.config.learning.similarity_threshold
        return [r["id"] for r, s in zip(rows, sims) if s >= threshold]

    def _derived_for(self, agent: str, kind: MemoryKind, task_type: str, outcome_ids: list[str]) -> str | None:
        """The live derived memory that already covers one of these outcomes, if any."""
        sources = self.store.derived_sources(agent, kind.value, task_type)
        for outcome_id in outcome_ids:
            if outcome_id in sources:
                return sources[outcome_id]
        return None

    def learn_from(self, outcome: dict[str, Any], vector: np.ndarray, embed, now: datetime) -> LearningResult:
        """Update or create the heuristic / anti-pattern this new outcome belongs to.

        Runs inside the caller's transaction, after the outcome row exists.
        ``embed`` turns text into a vector for a newly created memory.
        """
        result = LearningResult()
        agent, task_type, success = outcome["agent"], outcome["category"], bool(outcome["success"])

        # The heuristic whose successes look like this outcome: reinforced either way.
        similar_successes = self._similar_outcomes(agent, task_type, True, vector, outcome["id"])
        heuristic_id = self._derived_for(agent, MemoryKind.HEURISTIC, task_type, similar_successes)
        if heuristic_id is not None:
            self._reinforce_heuristic(heuristic_id, outcome, success, now)
            result.updated.append(heuristic_id)
        elif success:
            group = similar_successes + [outcome["id"]]
            if len(group) >= self._min_occurrences(agent):
                row = self._create_heuristic(outcome, group, embed, now)
                result.created.append(row)
                result.updated.extend(self._offer_alternative(agent, task_type, now))

        if not success:
            similar_failures = self._similar_outcomes(agent, task_type, False, vector, outcome["id"])
            pattern_id = self._derived_for(agent, MemoryKind.ANTI_PATTERN, task_type, similar_failures)
            if pattern_id is not None:
                self._reinforce_anti_pattern(pattern_id, outcome, now)
                result.updated.append(pattern_id)
            else:
                group = similar_failures + [outcome["id"]]
                if len(group) >= self.config.learning.min_failures_for_anti_pattern:
                    result.created.append(self._create_anti_pattern(outcome, group, embed, now))
        return result

    def _min_occurrences(self, agent: str) -> int:
        own = self.config.agent(agent).min_occurrences_for_heuristic
        return own or self.config.learning.min_occurrences_for_heuristic

    # -- heuristics ---------------------------------------------------------------------

    def _create_heuristic(self, outcome: dict, group: list[str], embed, now: datetime) -> dict[str, Any]:
        condition, strategy = outcome["task_description"], outcome["strategy_used"]
        text = f"{condition} | strategy: {strategy}"
        n = len(group)
        row = new_row(
            self.store.project_id, MemoryKind.HEURISTIC, outcome["agent"], text, outcome["category"],
            embed(text), condition=condition, strategy=strategy, occurrence_count=n, success_count=n,
            confidence=heuristic_confidence(n, n), last_validated=now, occurred_at=now,
        )
        self._store_derived(row, group)
        return row

    def _reinforce_heuristic(self, heuristic_id: str, outcome: dict, success: bool, now: datetime) -> None:
        [row] = self.store.get_memories([heuristic_id])
        occurrences = (row["occurrence_count"] or 0) + 1
        successes = (row["success_count"] or 0) + (1 if success else 0)
        values = {
            "occurrence_count": occurrences, "success_count": successes,
            "confidence": heuristic_confidence(successes, occurrences), "updated_at": now,
        }
        if success:
            values["last_validated"] = now
        self.store.update_memory(heuristic_id, values)
        self.store.link(Edge.DERIVED_FROM, heuristic_id, outcome["id"])

    # -- anti-patterns -------------------------------------------------------------------

    def _fitting_heuristic(self, agent: str, task_type: str, vector: np.ndarray) -> dict[str, Any] | None:
        """The agent's heuristic of this task type most similar to an anti-pattern (its task,
        pattern and why), if any is similar enough to be advice about the same thing.

        The best heuristic of the task type is often about something else entirely
        ("don't use fixed sleeps" -> "split read and write paths"); no advice beats that."""
        rows = self.store.find_memories(with_embedding=True, agents=[agent], kind=MemoryKind.HEURISTIC.value,
                                        category=task_type, archived=False)
        rows = [r for r in rows if r["embedding"] is not None]
        if not rows:
            return None
        sims = np.asarray([r["embedding"] for r in rows], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
        best = int(np.argmax(sims))
        return rows[best] if sims[best] >= self.config.learning.alternative_similarity_threshold else None

    def _create_anti_pattern(self, outcome: dict, group: list[str], embed, now: datetime) -> dict[str, Any]:
        pattern = outcome["strategy_used"]
        why_bad = outcome["error_message"] or outcome["user_feedback"] or f"failed on: {outcome['task_description']}"
        text = f"{outcome['task_description']} | avoid: {pattern}. Why bad: {why_bad}"
        vector = embed(text)
        best = self._fitting_heuristic(outcome["agent"], outcome["category"], vector)
        n = len(group)
        row = new_row(
            self.store.project_id, MemoryKind.ANTI_PATTERN, outcome["agent"], text, outcome["category"],
            vector, pattern=pattern, why_bad=why_bad, task_description=outcome["task_description"],
            better_alternative=best["strategy"] if best else None, occurrence_count=n,
            confidence=n / (n + 1), last_seen=now, occurred_at=now,
        )
        self._store_derived(row, group)
        return row

    def _reinforce_anti_pattern(self, pattern_id: str, outcome: dict, now: datetime) -> None:
        [row] = self.store.get_memories([pattern_id])
        n = (row["occurrence_count"] or 0) + 1
        values: dict[str, Any] = {"occurrence_count": n, "confidence": n / (n + 1), "last_seen": now, "updated_at": now}
        if outcome["error_message"]:
            values["why_bad"] = outcome["error_message"]
        self.store.update_memory(pattern_id, values)
        self.store.link(Edge.DERIVED_FROM, pattern_id, outcome["id"])

    def _offer_alternative(self, agent: str, task_type: str, now: datetime) -> list[str]:
        """A heuristic appeared: each anti-pattern of its task type without advice, or with
        advice taken from a heuristic, now points to the heuristic that fits it best (if any
        fits). Advice a person wrote (``add_anti_pattern``) is never replaced."""
        strategies = {r["strategy"] for r in self.store.find_memories(
            agents=[agent], kind=MemoryKind.HEURISTIC.value, category=task_type, archived=False)}
        updated = []
        for row in self.store.find_memories(with_embedding=True, agents=[agent], kind=MemoryKind.ANTI_PATTERN.value,
                                            category=task_type, archived=False):
            current = row["better_alternative"]
            if (current and current not in strategies) or row["embedding"] is None:
                continue
            best = self._fitting_heuristic(agent, task_type, row["embedding"])
            if best is not None and best["strategy"] != current:
                self.store.update_memory(row["id"], {"better_alternative": best["strategy"], "updated_at": now})
                updated.append(row["id"])
        return updated

    def _store_derived(self, row: dict[str, Any], sources: list[str]) -> None:
        self.store.create_memories([row])
        self.store.link(Edge.LEARNED, agent_key(self.store.project_id, row["agent"]), row["id"])
        self.store.link_many(Edge.DERIVED_FROM, [(row["id"], source) for source in sources])
