"""Learning from outcomes: heuristics and anti-patterns appear by themselves.

Outcomes are grouped by similarity — cosine of their embedded task + strategy
at or above ``learning.similarity_threshold``, within one agent and task type.
A group of similar successes becomes one heuristic once it reaches the agent's
``min_occurrences_for_heuristic``; each later similar outcome reinforces that
same heuristic (a failure counts against it). Similar failures become one
anti-pattern. Every derived memory is linked to its outcomes by DERIVED_FROM,
which is also how a later outcome finds the memory it reinforces.

The similar outcomes come from the process's FAISS index when it holds every committed
memory (an embedded store: see ``Context.own_vectors``), their derived memories read only
as far as needed (``Learner._derived_from``); otherwise from the store, which scores them
itself where it can (Neo4j). Either way a cosine is computed exactly as
``embedding @ vector`` and compared with the threshold, so both paths group alike. Reading
every outcome's vector from the store on each learn grew with the store (~140 ms at 2,000
outcomes on Kuzu).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from alma_graph.backends.base import GraphStore
from alma_graph.config import ALMAConfig
from alma_graph.graph_model import Edge, agent_key
from alma_graph.indexes.vectors import VectorIndex
from alma_graph.models import MemoryKind
from alma_graph.memory.records import new_row


@dataclass
class LearningResult:
    """What one outcome changed besides itself."""

    created: list[dict[str, Any]] = field(default_factory=list)  # new heuristic / anti-pattern rows
    updated: list[str] = field(default_factory=list)  # ids of reinforced memories


# Candidates are gathered this far below the threshold, then kept on their exact cosine:
# FAISS and Neo4j sum a dot product in another order than numpy does.
SCORE_SLACK = 1e-3


@dataclass
class Similar:
    """An outcome like the new one, and the live memories derived from it, by kind."""

    id: str
    success: bool | None
    created_at: datetime
    derived: dict[str, dict[str, Any]] | None = None  # kind -> id and counts; None: not read yet


def heuristic_confidence(successes: int, occurrences: int) -> float:
    """Laplace-smoothed success rate: grows with evidence, never reaches 1 on a few runs."""
    return (successes + 1) / (occurrences + 2)


class Learner:
    def __init__(self, store: GraphStore, config: ALMAConfig, vectors: VectorIndex | None = None):
        self.store = store
        self.config = config
        self.vectors = vectors  # Context.own_vectors(); None: ask the store

    def _similar_outcomes(self, outcome: dict[str, Any], vector: np.ndarray) -> list[Similar]:
        """The agent's live outcomes of this task type (but this one) at least
        ``similarity_threshold`` alike, oldest first, with what was derived from them."""
        agent, task_type = outcome["agent"], outcome["category"]
        threshold = self.config.learning.similarity_threshold
        vector = np.asarray(vector, dtype=np.float32)
        if self.vectors is not None:  # the new outcome is not in the index yet
            near = [i for i, _ in self.vectors.within(vector, [agent], MemoryKind.OUTCOME.value,
                                                      threshold - SCORE_SLACK) if i != outcome["id"]]
            alike = {i for i, score in self.vectors.cosines(vector, near).items() if score >= threshold}
            rows = self.store.outcomes_among(agent, task_type, sorted(alike))
        else:
            rows = [r for r in self.store.similar_outcomes(agent, task_type, vector.tolist(),
                                                           threshold - SCORE_SLACK, outcome["id"])
                    if r["embedding"] is not None]
            if rows:
                scores = np.asarray([r["embedding"] for r in rows], dtype=np.float32) @ vector
                rows = [r for r, score in zip(rows, scores) if score >= threshold]
        found: dict[str, Similar] = {}
        for row in rows:  # one row per derived memory, or without "derived": those are read later
            similar = found.setdefault(row["id"], Similar(row["id"], row["success"], row["created_at"]))
            if "derived" in row:
                _add_derived(similar, [row])
        return sorted(found.values(), key=lambda s: (s.created_at, s.id))

    def _derived_from(self, outcomes: list[Similar], kind: MemoryKind, agent: str,
                      task_type: str) -> dict[str, Any] | None:
        """The live memory of ``kind`` derived from the oldest of these outcomes that has one.
        Derived memories not read with the outcomes are read here, oldest outcome first, and
        no further than the first that has one: that is usually the oldest (~1 ms a lookup)."""
        for outcome in outcomes:
            if outcome.derived is None:
                _add_derived(outcome, self.store.derived_of(outcome.id, agent, task_type))
            assert outcome.derived is not None  # for mypy: filled just above
            if kind.value in outcome.derived:
                return outcome.derived[kind.value]
        return None

    def learn_from(self, outcome: dict[str, Any], vector: np.ndarray, embed, now: datetime) -> LearningResult:
        """Update or create the heuristic / anti-pattern this new outcome belongs to.

        Runs inside the caller's transaction, after the outcome row exists.
        ``embed`` turns text into a vector for a newly created memory.
        """
        result = LearningResult()
        agent, task_type, success = outcome["agent"], outcome["category"], bool(outcome["success"])
        similar = self._similar_outcomes(outcome, vector)

        # The heuristic whose successes look like this outcome: reinforced either way.
        successes = [s for s in similar if s.success is True]
        heuristic = self._derived_from(successes, MemoryKind.HEURISTIC, agent, task_type)
        if heuristic is not None:
            self._reinforce_heuristic(heuristic, outcome, success, now)
            result.updated.append(heuristic["id"])
        elif success:
            group = [s.id for s in successes] + [outcome["id"]]
            if len(group) >= self._min_occurrences(agent):
                row = self._create_heuristic(outcome, group, embed, now)
                result.created.append(row)
                result.updated.extend(self._offer_alternative(agent, task_type, now))

        if not success:
            failures = [s for s in similar if s.success is False]
            pattern = self._derived_from(failures, MemoryKind.ANTI_PATTERN, agent, task_type)
            if pattern is not None:
                self._reinforce_anti_pattern(pattern, outcome, now)
                result.updated.append(pattern["id"])
            else:
                group = [s.id for s in failures] + [outcome["id"]]
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

    def _reinforce_heuristic(self, row: dict[str, Any], outcome: dict, success: bool, now: datetime) -> None:
        occurrences = (row["occurrence_count"] or 0) + 1
        successes = (row["success_count"] or 0) + (1 if success else 0)
        values = {
            "occurrence_count": occurrences, "success_count": successes,
            "confidence": heuristic_confidence(successes, occurrences), "updated_at": now,
        }
        if success:
            values["last_validated"] = now
        self.store.reinforce(row["id"], values, outcome["id"])

    # -- anti-patterns -------------------------------------------------------------------

    def _heuristics(self, agent: str, task_type: str) -> list[dict[str, Any]]:
        """The agent's live heuristics of this task type, with their vectors (one pass over the
        store's memories: read once per new derived memory, not once per anti-pattern)."""
        return self.store.find_memories(with_embedding=True, agents=[agent], kind=MemoryKind.HEURISTIC.value,
                                        category=task_type, archived=False)

    def _fitting_heuristic(self, heuristics: list[dict[str, Any]], vector: np.ndarray) -> dict[str, Any] | None:
        """The heuristic most similar to an anti-pattern (its task, pattern and why), if any is
        similar enough to be advice about the same thing.

        The best heuristic of the task type is often about something else entirely
        ("don't use fixed sleeps" -> "split read and write paths"); no advice beats that."""
        rows = [r for r in heuristics if r["embedding"] is not None]
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
        best = self._fitting_heuristic(self._heuristics(outcome["agent"], outcome["category"]), vector)
        n = len(group)
        row = new_row(
            self.store.project_id, MemoryKind.ANTI_PATTERN, outcome["agent"], text, outcome["category"],
            vector, pattern=pattern, why_bad=why_bad, task_description=outcome["task_description"],
            better_alternative=best["strategy"] if best else None, occurrence_count=n,
            confidence=n / (n + 1), last_seen=now, occurred_at=now,
        )
        self._store_derived(row, group)
        return row

    def _reinforce_anti_pattern(self, row: dict[str, Any], outcome: dict, now: datetime) -> None:
        n = (row["occurrence_count"] or 0) + 1
        values: dict[str, Any] = {"occurrence_count": n, "confidence": n / (n + 1), "last_seen": now, "updated_at": now}
        if outcome["error_message"]:
            values["why_bad"] = outcome["error_message"]
        self.store.reinforce(row["id"], values, outcome["id"])

    def _offer_alternative(self, agent: str, task_type: str, now: datetime) -> list[str]:
        """A heuristic appeared: each anti-pattern of its task type without advice, or with
        advice taken from a heuristic, now points to the heuristic that fits it best (if any
        fits). Advice a person wrote (``add_anti_pattern``) is never replaced."""
        heuristics = self._heuristics(agent, task_type)
        strategies = {r["strategy"] for r in heuristics}
        updated = []
        for row in self.store.find_memories(with_embedding=True, agents=[agent], kind=MemoryKind.ANTI_PATTERN.value,
                                            category=task_type, archived=False):
            current = row["better_alternative"]
            if (current and current not in strategies) or row["embedding"] is None:
                continue
            best = self._fitting_heuristic(heuristics, row["embedding"])
            if best is not None and best["strategy"] != current:
                self.store.update_memory(row["id"], {"better_alternative": best["strategy"], "updated_at": now})
                updated.append(row["id"])
        return updated

    def _store_derived(self, row: dict[str, Any], sources: list[str]) -> None:
        self.store.create_memories([row])  # new: so are its edges
        self.store.link_new(Edge.LEARNED, [(agent_key(self.store.project_id, row["agent"]), row["id"])])
        self.store.link_new(Edge.DERIVED_FROM, [(row["id"], source) for source in sources])


def _add_derived(outcome: Similar, rows: list[dict[str, Any]]) -> None:
    """Fills in an outcome's derived memories from rows of ``derived`` (id), ``derived_kind``
    and counts (a null ``derived``: none); read at least once, the outcome's are known."""
    derived = outcome.derived if outcome.derived is not None else {}
    for row in rows:
        if row["derived"] is not None:
            derived.setdefault(row["derived_kind"], {
                "id": row["derived"], "occurrence_count": row["occurrence_count"],
                "success_count": row["success_count"]})
    outcome.derived = derived
