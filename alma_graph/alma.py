"""``ALMA``: the one facade agents, the CLI and the MCP server use.

write: validate → scope check → embed → one graph transaction → vector index
read:  visible agents (graph traversal) → FAISS search restricted to them → score → MemorySlice
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from alma_graph.backends import GraphStore, open_store
from alma_graph.config import ALMAConfig, AgentConfig, load_config, parse_config
from alma_graph.indexes.embeddings import Embedder
from alma_graph.errors import MemoryNotFoundError, UnknownAgentError, ValidationError
from alma_graph.events import EventEmitter, EventType, MemoryEvent
from alma_graph.graph_model import Edge, agent_key, user_key
from alma_graph.knowledge.graph import EntityContext, Fact, KnowledgeGraph
from alma_graph.memory.learning import Learner
from alma_graph.models import (
    AntiPattern,
    DomainKnowledge,
    Memory,
    MemoryKind,
    MemorySlice,
    Outcome,
    UserPreference,
)
from alma_graph.retrieval.fusion import HybridRanker
from alma_graph.indexes.lexical import LexicalIndex
from alma_graph.retrieval.factors import Ranker
from alma_graph.retrieval.recipes import resolve as resolve_recipe
from alma_graph.memory.records import as_utc, new_row, to_memory, utcnow
from alma_graph.memory.scope import check_scope
from alma_graph.memory.validation import (
    MAX_QUERY_CHARS,
    check_label,
    check_metadata,
    check_name,
    check_optional_text,
    check_text,
    check_top_k,
)
from alma_graph.indexes.vectors import VectorEntry, VectorIndex
from alma_graph.workflow_api import WORKFLOW_METHODS, WorkflowMixin

log = logging.getLogger(__name__)

_SLICE_FIELDS = {
    MemoryKind.HEURISTIC: "heuristics",
    MemoryKind.OUTCOME: "outcomes",
    MemoryKind.PREFERENCE: "preferences",
    MemoryKind.DOMAIN_KNOWLEDGE: "domain_knowledge",
    MemoryKind.ANTI_PATTERN: "anti_patterns",
}
_SUCCESS_WORDS = {"success": True, "succeeded": True, "pass": True, "passed": True, "ok": True,
                  "failure": False, "failed": False, "fail": False, "error": False}
_FEEDBACK_WORDS = {"positive": 1.0, "helpful": 1.0, "up": 1.0, "good": 1.0,
                   "negative": -1.0, "not_helpful": -1.0, "unhelpful": -1.0, "down": -1.0, "bad": -1.0}
USED_FEEDBACK, UNUSED_FEEDBACK, EXPLICIT_FEEDBACK = 0.1, -0.05, 0.3


def _owner(row: Mapping[str, Any]) -> str:
    """Preferences belong to their user, everything else to its agent."""
    return f"user:{row['user_id']}" if row["kind"] == MemoryKind.PREFERENCE.value else row["agent"]


def _position(row: Mapping[str, Any]) -> tuple[str, int] | None:
    """Where a conversation turn sits, for indexing it with the turn before it."""
    if row.get("session_id") and row.get("sequence") is not None:
        return row["session_id"], row["sequence"]
    return None


def _clamp(value: float, low: float = -1.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


class ALMA(WorkflowMixin):
    """Graph-first learning memory with ALMA's API. Use as a context manager or call ``close()``."""

    def __init__(self, config: ALMAConfig | Mapping[str, Any] | None = None, *, store: GraphStore | None = None,
                 embedder: Embedder | None = None):
        if config is None:
            config = ALMAConfig()
        elif not isinstance(config, ALMAConfig):
            config = parse_config(dict(config))
        self.config = config
        self.embedder = embedder or Embedder()
        self.store = store or open_store(config, self.embedder.dimension)
        self.ranker = Ranker(config.retrieval)
        self.learner = Learner(self.store, config)
        self.events = EventEmitter()
        self.knowledge = KnowledgeGraph(self.store, config.extraction)
        self.hybrid = HybridRanker(self.store, self.knowledge)
        self._closed = False
        try:
            self._sync_agents()
            self._index_dir = Path(config.storage_dir) / "index"
            self._open_indexes()
            self._start_lifecycle()  # audit trail and the configured schedule (workflow_api)
        except BaseException:
            self.store.close()
            raise

    # -- construction ------------------------------------------------------------------

    @classmethod
    def from_config(cls, path: str | Path = ".alma/config.yaml", **kwargs: Any) -> "ALMA":
        """Open the store a YAML config file describes."""
        return cls(load_config(path), **kwargs)

    @classmethod
    def quickstart(cls, storage_dir: str | Path = ".alma", project_id: str = "default",
                   agents: Mapping[str, Mapping[str, Any]] | None = None, **kwargs: Any) -> "ALMA":
        """An embedded Kuzu store in ``storage_dir`` with no config file."""
        config = parse_config({"project_id": project_id, "storage": "kuzu",
                               "storage_dir": str(Path(storage_dir).resolve()), "agents": dict(agents or {})})
        return cls(config, **kwargs)

    def _sync_agents(self) -> None:
        """Write the config's agents and their INHERITS_FROM / SHARES_WITH edges into the graph."""
        with self.store.transaction():
            for name, agent in self.config.agents.items():
                self.store.sync_agent(name, agent.domain, agent.can_learn, agent.cannot_learn,
                                      shares_with_all="*" in agent.share_with)
            for name, agent in self.config.agents.items():
                self.store.set_agent_links(name, Edge.INHERITS_FROM, agent.inherit_from)
                self.store.set_agent_links(name, Edge.SHARES_WITH, [a for a in agent.share_with if a != "*"])

    def _open_indexes(self) -> None:
        """The saved vector index if it matches the graph (else rebuilt from it), and the
        BM25 index, which is always derived from the graph's texts."""
        generation = self.store.generation()
        index = VectorIndex.load(self._index_dir, self.embedder.dimension, generation,
                                 self.store.active_memory_ids())
        if index is None:
            index = self._rebuild_vectors()
            index.save(self._index_dir, generation)
        self._index, self._index_generation = index, generation
        self._lexical = self._build_lexical()

    def _rebuild_vectors(self) -> VectorIndex:
        index = VectorIndex(self.embedder.dimension)
        rows = self.store.memory_vectors()
        missing = [r for r in rows if r["embedding"] is None]
        if missing:  # e.g. memories imported without vectors: embed them now
            vectors = self.embedder.embed_batch([r["text"] for r in missing])
            with self.store.transaction():
                for row, vector in zip(missing, vectors):
                    row["embedding"] = vector.tolist()
                    self.store.update_memory(row["id"], {"embedding": row["embedding"]})
        if rows:
            index.add([VectorEntry(r["id"], _owner(r), r["kind"]) for r in rows],
                      np.asarray([r["embedding"] for r in rows], dtype=np.float32))
        log.info("vector index rebuilt from the graph: %d memories", len(rows))
        return index

    def _build_lexical(self) -> LexicalIndex:
        lexical = LexicalIndex()
        rows = self.store.memory_texts()
        lexical.add([VectorEntry(r["id"], _owner(r), r["kind"]) for r in rows], [r["text"] for r in rows],
                    [_position(r) for r in rows])
        return lexical

    def _refresh_index(self) -> None:
        """On a shared server other processes write too: follow the graph's generation."""
        if self.store.shared and self.store.generation() != self._index_generation:
            self.reindex()

    def reindex(self) -> None:
        """Rebuild everything derived from the graph — the vector and BM25 indexes, and the
        entity names the extractor knows — e.g. after a bulk import or another process's writes."""
        self._check_open()
        generation = self.store.generation()
        self._index, self._lexical = self._rebuild_vectors(), self._build_lexical()
        self._index_generation = generation
        self.knowledge.forget_known_names()

    def close(self) -> None:
        """Save the vector index beside the graph and release the store."""
        if self._closed:
            return
        self._closed = True
        try:
            self._index.save(self._index_dir, self._index_generation)
        finally:
            self.store.close()

    def __enter__(self) -> "ALMA":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- shared helpers --------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ValidationError("this ALMA instance is closed; open a new one")

    def _known_agent(self, agent: Any) -> str:
        agent = check_name(agent)
        if agent not in self.config.agents and agent not in self.store.agent_names():
            raise UnknownAgentError(
                f"unknown agent {agent!r}: it is not in the config and has never written a memory "
                f"(known: {', '.join(sorted(set(self.config.agents) | set(self.store.agent_names()))) or 'none'})"
            )
        return agent

    def _commit(self, rows: list[dict[str, Any]], links: list[tuple[Edge, str, str]] = (),
                agents: Iterable[str] = (), users: Iterable[str] = ()) -> None:
        """Write memory rows, their edges and their entities in one transaction, then index them."""
        extractions = self.knowledge.extract(rows)
        with self.store.transaction():
            for agent in set(agents):
                self.store.ensure_agent(agent)
            for user in set(users):
                self.store.ensure_user(user)
            self.store.create_memories(rows)
            by_edge: dict[Edge, list[tuple[str, str]]] = {}
            for edge, start, end in links:
                by_edge.setdefault(edge, []).append((start, end))
            for edge, pairs in by_edge.items():
                self.store.link_many(edge, pairs)
            self.knowledge.write(rows, extractions)
            generation = self.store.bump_generation()
        self._index_rows(rows, generation)
        agents_of = {r["agent"] for r in rows}
        self._emit(EventType.CREATED, agents_of.pop() if len(agents_of) == 1 else None, [r["id"] for r in rows],
                   kinds=sorted({r["kind"] for r in rows}))

    def _index_rows(self, rows: list[dict[str, Any]], generation: int) -> None:
        if rows:
            entries = [VectorEntry(r["id"], _owner(r), r["kind"]) for r in rows]
            self._index.add(entries, np.asarray([r["embedding"] for r in rows], dtype=np.float32))
            self._lexical.add(entries, [r["text"] for r in rows], [_position(r) for r in rows])
        self._index_generation = generation

    def _check_new_ids(self, memory_ids: list[str | None]) -> None:
        """Caller-given ids must be well-formed, distinct and not taken (ids are UUIDs otherwise)."""
        given = [check_name(i, "memory id") for i in memory_ids if i is not None]
        if len(set(given)) != len(given):
            raise ValidationError("the same memory id is given twice")
        taken = sorted({r["id"] for r in self.store.get_memories(given)}) if given else []
        if taken:
            raise ValidationError(f"memory id(s) {taken[:5]} already exist; choose new ids or omit them")

    def _agent_key(self, agent: str) -> str:
        return agent_key(self.config.project_id, agent)

    def _emit(self, kind: EventType, agent: str | None, memory_ids: Iterable[str], **details: Any) -> None:
        ids = tuple(memory_ids)
        if ids:
            self.events.emit(MemoryEvent(kind, self.config.project_id, agent, ids, details))

    # -- retrieval -----------------------------------------------------------------------------

    def retrieve(self, task: str, agent: str, top_k: int | None = None, user_id: str | None = None,
                 include_shared: bool = True, recipe: str | None = None, explain: bool = False,
                 as_of: datetime | None = None, only_ids: Iterable[str] | None = None) -> MemorySlice:
        """The memories most relevant to ``task`` that ``agent`` may see, top_k per kind.

        ``recipe`` names the ranker (default ``retrieval.recipe``, normally ``hybrid``);
        ``explain=True`` attaches each result's per-signal ranks and graph paths;
        ``as_of`` is the moment the query is asked (for "last week" and recency);
        ``only_ids`` narrows the candidates to those memories, before ranking."""
        self._check_open()
        started = time.perf_counter()
        task = check_text(task, "task", MAX_QUERY_CHARS)
        agent = check_name(agent)
        top_k = check_top_k(top_k if top_k is not None else self.config.retrieval.default_top_k)
        if user_id is not None:
            user_id = check_name(user_id, "user_id")
        ranker_recipe = resolve_recipe(recipe or self.config.retrieval.recipe, self.config.retrieval.recipes)
        now = as_utc(as_of) or utcnow()
        self._refresh_index()

        visible = (self.store.visible_agents(agent, self.config.retrieval.max_inheritance_depth)
                   if include_shared else {agent: None})
        owners_by_kind = {kind.value: list(visible) for kind in MemoryKind if kind is not MemoryKind.PREFERENCE}
        if user_id is not None:
            owners_by_kind[MemoryKind.PREFERENCE.value] = [f"user:{user_id}"]
        vector = self.embedder.embed(task)
        allowed = set(only_ids) if only_ids is not None else None
        ranked = self.hybrid.rank(task, vector, owners_by_kind, ranker_recipe, self._index, self._lexical, now,
                                  allowed)

        rows = {r["id"]: r for r in self.store.get_memories([c.memory_id for cs in ranked.values() for c in cs])}
        result = MemorySlice(query=task, agent=agent)
        floor = self.config.retrieval.min_similarity
        for kind_value, candidates in ranked.items():
            kind = MemoryKind(kind_value)
            scored = []
            for candidate in candidates:
                row = rows.get(candidate.memory_id)
                if row is None or row["archived"]:
                    continue
                # Found by similarity alone and barely similar: unrelated, so not returned.
                # A user's preferences apply broadly and are never dropped.
                if (kind is not MemoryKind.PREFERENCE and set(candidate.signals) <= {"dense"}
                        and (candidate.cosine or 0.0) < floor):
                    continue
                scored.append((self.ranker.score(row, candidate.relevance, now, ranker_recipe.factors,
                                                 candidate.cosine), candidate))
            scored.sort(key=lambda pair: -pair[0].score)
            for item, candidate in scored[:top_k]:
                shared_from = visible.get(item.row["agent"]) if kind is not MemoryKind.PREFERENCE else None
                memory = to_memory(item.row, shared_from=shared_from)
                memory.score, memory.score_breakdown = item.score, item.breakdown
                if explain:
                    memory.explain = {"recipe": recipe or self.config.retrieval.recipe,
                                      "signals": candidate.signals, "fused_rrf": round(candidate.fused, 6),
                                      "paths": candidate.paths}
                getattr(result, _SLICE_FIELDS[kind]).append(memory)
        result.retrieval_time_ms = (time.perf_counter() - started) * 1000
        self._emit(EventType.ACCESSED, agent, [m.id for m in result.all()], query=task)
        return result

    # -- learning ------------------------------------------------------------------------------

    def learn(self, agent: str, task: str, outcome: bool | str, strategy_used: str,
              task_type: str | None = None, duration_ms: int | None = None,
              error_message: str | None = None, feedback: str | None = None,
              timestamp: datetime | None = None, metadata: dict[str, Any] | None = None,
              memory_id: str | None = None, workflow_id: str | None = None) -> Outcome:
        """Record an outcome; similar outcomes turn into heuristics and anti-patterns."""
        self._check_open()
        agent = check_name(agent)
        task = check_text(task, "task")
        strategy_used = check_text(strategy_used, "strategy_used")
        success = self._parse_outcome(outcome)
        task_type = check_label(task_type, "task_type") if task_type is not None else "general"
        if duration_ms is not None and (isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or duration_ms < 0):
            raise ValidationError(f"duration_ms must be a non-negative integer, got {duration_ms!r}")
        error_message = check_optional_text(error_message, "error_message")
        feedback = check_optional_text(feedback, "feedback")
        metadata = check_metadata(metadata)
        occurred_at = as_utc(timestamp)
        self._check_new_ids([memory_id])
        workflow_id = self._workflow_for_write(workflow_id)
        check_scope(self.config, agent, task_type, "task type")

        text = f"{task} | strategy: {strategy_used}"
        vector = self.embedder.embed(text)
        now = utcnow()
        row = new_row(
            self.config.project_id, MemoryKind.OUTCOME, agent, text, task_type, vector.tolist(),
            metadata=metadata, memory_id=memory_id, occurred_at=occurred_at, task_description=task,
            strategy_used=strategy_used,
            success=success, duration_ms=duration_ms, error_message=error_message, user_feedback=feedback,
        )
        extractions = self.knowledge.extract([row])
        with self.store.transaction():
            self.store.ensure_agent(agent)
            self.store.create_memories([row])
            self.store.link(Edge.LEARNED, self._agent_key(agent), row["id"])
            self.store.link(Edge.ABOUT, row["id"], self.store.merge_task(task_type, task))
            self.knowledge.write([row], extractions)
            learned = self.learner.learn_from(row, vector, lambda t: self.embedder.embed(t).tolist(), now)
            self._link_workflow(workflow_id, [row["id"], *(r["id"] for r in learned.created)])
            generation = self.store.bump_generation()
        self._index_rows([row, *learned.created], generation)
        self._emit(EventType.CREATED, agent, [row["id"]] + [r["id"] for r in learned.created],
                   kinds=sorted({MemoryKind.OUTCOME.value, *(r["kind"] for r in learned.created)}))
        self._emit(EventType.UPDATED, agent, learned.updated, reason="reinforced")
        return to_memory(row)  # type: ignore[return-value]

    @staticmethod
    def _parse_outcome(outcome: Any) -> bool:
        if isinstance(outcome, bool):
            return outcome
        if isinstance(outcome, str) and outcome.strip().lower() in _SUCCESS_WORDS:
            return _SUCCESS_WORDS[outcome.strip().lower()]
        raise ValidationError(
            f"outcome must be True/False or one of {sorted(_SUCCESS_WORDS)}, got {outcome!r}"
        )

    # -- direct writes ---------------------------------------------------------------------------

    def add_preference(self, user_id: str, category: str, preference: str, source: str = "explicit",
                       agent: str | None = None, timestamp: datetime | None = None,
                       metadata: dict[str, Any] | None = None, memory_id: str | None = None) -> UserPreference:
        """A user's preference, visible to every agent that retrieves with that ``user_id``."""
        self._check_open()
        user_id = check_name(user_id, "user_id")
        category = check_label(category, "category")
        preference = check_text(preference, "preference")
        source = check_label(source, "source")
        metadata = check_metadata(metadata)
        self._check_new_ids([memory_id])
        if agent is not None:
            agent = check_name(agent)
            check_scope(self.config, agent, category, "preference category")
        vector = self.embedder.embed(preference)
        row = new_row(
            self.config.project_id, MemoryKind.PREFERENCE, agent or "", preference, category, vector.tolist(),
            metadata=metadata, memory_id=memory_id, occurred_at=as_utc(timestamp), user_id=user_id, preference=preference, source=source,
        )
        links = [(Edge.STATED, user_key(self.config.project_id, user_id), row["id"])]
        if agent:
            links.append((Edge.LEARNED, self._agent_key(agent), row["id"]))
        self._commit([row], links, agents=[agent] if agent else [], users=[user_id])
        return to_memory(row)  # type: ignore[return-value]

    def add_knowledge(self, agent: str, domain: str, fact: str, source: str = "user",
                      confidence: float = 1.0, timestamp: datetime | None = None,
                      metadata: dict[str, Any] | None = None) -> DomainKnowledge:
        """A fact in a domain the agent may learn."""
        [memory] = self.add_knowledge_batch([dict(agent=agent, domain=domain, fact=fact, source=source,
                                                  confidence=confidence, timestamp=timestamp, metadata=metadata)])
        return memory

    def add_knowledge_batch(self, items: Iterable[Mapping[str, Any]], show_progress: bool = False) -> list[DomainKnowledge]:
        """Many facts at once: all validated and scope-checked first, embedded in batches,
        written in one transaction. Each item has agent, domain, fact and optionally
        source, confidence, timestamp, metadata, id, and where it was said: session_id,
        sequence (position in the session) and speaker."""
        self._check_open()
        allowed = {"agent", "domain", "fact", "source", "confidence", "timestamp", "metadata", "id",
                   "session_id", "sequence", "speaker"}
        checked = []
        for position, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise ValidationError(f"item {position} must be a mapping, got {type(item).__name__}")
            unknown = set(item) - allowed
            if unknown:
                raise ValidationError(f"item {position}: unknown field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
            agent = check_name(item.get("agent"))
            domain = check_label(item.get("domain"), "domain")
            fact = check_text(item.get("fact"), "fact")
            confidence = item.get("confidence", 1.0)
            if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1:
                raise ValidationError(f"item {position}: confidence must be a number in [0, 1], got {confidence!r}")
            memory_id = item.get("id")
            if memory_id is not None:
                check_name(memory_id, "memory id")
            sequence = item.get("sequence")
            if sequence is not None and (isinstance(sequence, bool) or not isinstance(sequence, int)):
                raise ValidationError(f"item {position}: sequence must be an integer, got {sequence!r}")
            speaker = item.get("speaker")
            if speaker is not None:
                speaker = check_text(speaker, "speaker", 100)
            session_id = item.get("session_id")
            if session_id is not None:
                session_id = check_label(session_id, "session_id")
            check_scope(self.config, agent, domain, "domain")
            checked.append(dict(agent=agent, domain=domain, fact=fact, source=check_label(item.get("source", "user"), "source"),
                                confidence=float(confidence), timestamp=as_utc(item.get("timestamp")),
                                metadata=check_metadata(item.get("metadata")), id=memory_id,
                                session_id=session_id, sequence=sequence, speaker=speaker))
        if not checked:
            return []
        self._check_new_ids([c["id"] for c in checked])
        vectors = self.embedder.embed_batch([c["fact"] for c in checked], show_progress=show_progress)
        rows = [
            new_row(self.config.project_id, MemoryKind.DOMAIN_KNOWLEDGE, c["agent"], c["fact"], c["domain"],
                    vector.tolist(), metadata=c["metadata"], memory_id=c["id"], occurred_at=c["timestamp"],
                    fact=c["fact"], source=c["source"], confidence=c["confidence"], last_verified=utcnow(),
                    session_id=c["session_id"], sequence=c["sequence"], speaker=c["speaker"])
            for c, vector in zip(checked, vectors)
        ]
        self._commit(rows, [(Edge.LEARNED, self._agent_key(r["agent"]), r["id"]) for r in rows],
                     agents=[c["agent"] for c in checked])
        return [to_memory(r) for r in rows]  # type: ignore[misc]

    def add_anti_pattern(self, agent: str, pattern: str, why_bad: str, better_alternative: str | None = None,
                         task_type: str | None = None, metadata: dict[str, Any] | None = None,
                         timestamp: datetime | None = None, memory_id: str | None = None) -> AntiPattern:
        """Something not to do, why, and what to do instead.

        With ``task_type`` the write is scope-checked against it; without, it is filed
        under 'general' (ALMA's signature has no domain)."""
        self._check_open()
        agent = check_name(agent)
        pattern = check_text(pattern, "pattern")
        why_bad = check_text(why_bad, "why_bad")
        better_alternative = check_optional_text(better_alternative, "better_alternative")
        metadata = check_metadata(metadata)
        self._check_new_ids([memory_id])
        if task_type is not None:
            task_type = check_label(task_type, "task_type")
            check_scope(self.config, agent, task_type, "task type")
        text = f"avoid: {pattern}. Why bad: {why_bad}"
        row = new_row(
            self.config.project_id, MemoryKind.ANTI_PATTERN, agent, text, task_type or "general",
            self.embedder.embed(text).tolist(), metadata=metadata, memory_id=memory_id,
            occurred_at=as_utc(timestamp), pattern=pattern, why_bad=why_bad,
            better_alternative=better_alternative, occurrence_count=1, confidence=0.5, last_seen=utcnow(),
        )
        self._commit([row], [(Edge.LEARNED, self._agent_key(agent), row["id"])], agents=[agent])
        return to_memory(row)  # type: ignore[return-value]

    # -- feedback ---------------------------------------------------------------------------------

    def _visible_rows(self, memory_ids: Iterable[str], agent: str) -> dict[str, dict[str, Any]]:
        """The rows for ids the agent may see; an unknown or invisible id is an error."""
        ids = list(dict.fromkeys(memory_ids))
        for memory_id in ids:
            if not isinstance(memory_id, str) or not memory_id:
                raise ValidationError(f"memory ids must be non-empty strings, got {memory_id!r}")
        rows = {r["id"]: r for r in self.store.get_memories(ids)}
        visible = self.store.visible_agents(agent, self.config.retrieval.max_inheritance_depth)
        for memory_id in ids:
            row = rows.get(memory_id)
            if row is None or (row["agent"] and row["agent"] not in visible and row["kind"] != MemoryKind.PREFERENCE.value):
                raise MemoryNotFoundError(f"no memory {memory_id!r} visible to agent {agent!r}")
        return rows

    def record_usage(self, retrieved_memory_ids: Iterable[str], used_memory_ids: Iterable[str], agent: str) -> dict[str, int]:
        """Which retrieved memories the agent actually used: used ones rank higher later,
        ignored ones slightly lower."""
        self._check_open()
        agent = self._known_agent(agent)
        retrieved, used = list(retrieved_memory_ids), set(used_memory_ids)
        if not used <= set(retrieved):
            raise ValidationError(f"used ids {sorted(used - set(retrieved))} were not among the retrieved ids")
        rows = self._visible_rows(retrieved, agent)
        now = utcnow()
        with self.store.transaction():
            for memory_id, row in rows.items():
                if memory_id in used:
                    self.store.update_memory(memory_id, {
                        "use_count": (row["use_count"] or 0) + 1, "last_used_at": now,
                        "feedback": _clamp((row["feedback"] or 0) + USED_FEEDBACK)})
                else:
                    self.store.update_memory(memory_id, {"feedback": _clamp((row["feedback"] or 0) + UNUSED_FEEDBACK)})
            self._index_generation = self.store.bump_generation()
        self._emit(EventType.UPDATED, agent, rows, reason="usage", used=sorted(used))
        return {"used": len(used), "unused": len(rows) - len(used)}

    def record_feedback(self, memory_id: str, signal: str | float | bool, agent: str) -> Memory:
        """Explicit feedback on one memory ('positive' / 'negative' or a number in [-1, 1])."""
        self._check_open()
        agent = self._known_agent(agent)
        value = self._parse_signal(signal)
        row = self._visible_rows([memory_id], agent)[memory_id]
        new_value = _clamp((row["feedback"] or 0) + EXPLICIT_FEEDBACK * value)
        with self.store.transaction():
            self.store.update_memory(memory_id, {"feedback": new_value, "updated_at": utcnow()})
            self._index_generation = self.store.bump_generation()
        row["feedback"] = new_value
        self._emit(EventType.UPDATED, agent, [memory_id], reason="feedback", signal=value)
        return to_memory(row)

    @staticmethod
    def _parse_signal(signal: Any) -> float:
        if isinstance(signal, bool):
            return 1.0 if signal else -1.0
        if isinstance(signal, (int, float)) and -1 <= signal <= 1:
            return float(signal)
        if isinstance(signal, str) and signal.strip().lower() in _FEEDBACK_WORDS:
            return _FEEDBACK_WORDS[signal.strip().lower()]
        raise ValidationError(f"signal must be one of {sorted(_FEEDBACK_WORDS)} or a number in [-1, 1], got {signal!r}")

    # -- lifecycle --------------------------------------------------------------------------------

    def forget(self, agent: str | None = None, older_than_days: float | None = None,
               below_confidence: float | None = None, memory_ids: Iterable[str] | None = None,
               kind: str | MemoryKind | None = None) -> int:
        """Archive memories (they leave retrieval; nothing is deleted). Returns how many.

        Without any criterion this is an error, so a bare ``forget()`` cannot wipe a store."""
        self._check_open()
        if agent is None and older_than_days is None and below_confidence is None and memory_ids is None:
            raise ValidationError("forget needs at least one of agent, older_than_days, below_confidence, memory_ids")
        if agent is not None:
            agent = self._known_agent(agent)
        kind_value = MemoryKind(kind).value if kind is not None else None
        rows = self.store.find_memories(agents=[agent] if agent else None, kind=kind_value, archived=False,
                                        ids=list(memory_ids) if memory_ids is not None else None)
        now = utcnow()
        if older_than_days is not None:
            cutoff = now - timedelta(days=float(older_than_days))
            rows = [r for r in rows if (r["occurred_at"] or r["created_at"]) < cutoff]
        if below_confidence is not None:
            rows = [r for r in rows if (r["confidence"] if r["confidence"] is not None else 1.0) < below_confidence]
        if not rows:
            return 0
        with self.store.transaction():
            for row in rows:
                self.store.update_memory(row["id"], {"archived": True, "updated_at": now})
            generation = self.store.bump_generation()
        self._index.remove(r["id"] for r in rows)
        self._lexical.remove(r["id"] for r in rows)
        self._index_generation = generation
        self._emit(EventType.DELETED, agent, [r["id"] for r in rows], archived=True)
        return len(rows)

    def restore(self, memory_ids: Iterable[str]) -> int:
        """Bring archived memories back into retrieval."""
        self._check_open()
        rows = [r for r in self.store.get_memories(list(memory_ids)) if r["archived"]]
        if not rows:
            return 0
        with self.store.transaction():
            for row in rows:
                self.store.update_memory(row["id"], {"archived": False, "updated_at": utcnow()})
            generation = self.store.bump_generation()
        full = {r["id"]: r for r in self.store.find_memories(with_embedding=True, ids=[r["id"] for r in rows])}
        self._index_rows(list(full.values()), generation)
        self._emit(EventType.UPDATED, None, list(full), reason="restored")
        return len(rows)

    def stats(self, agent: str | None = None) -> dict[str, Any]:
        """Counts per kind (and per agent), archived memories, graph size and storage."""
        self._check_open()
        if agent is not None:
            agent = self._known_agent(agent)
        by_kind = {kind.value: 0 for kind in MemoryKind}
        by_agent: dict[str, int] = {}
        archived = 0
        for row in self.store.memory_counts():
            if agent is not None and row["agent"] != agent:
                continue
            if row["archived"]:
                archived += row["n"]
                continue
            by_kind[row["kind"]] += row["n"]
            if row["agent"]:
                by_agent[row["agent"]] = by_agent.get(row["agent"], 0) + row["n"]
        return {
            "project_id": self.config.project_id,
            "storage": self.config.storage,
            "location": self.store.location,
            "agent": agent,
            "total_memories": sum(by_kind.values()),
            "by_kind": by_kind,
            "by_agent": by_agent,
            "archived": archived,
            "graph": self.store.node_counts(),
            "indexed_vectors": len(self._index),
            "indexed_texts": len(self._lexical),
        }

    # -- relationship context ---------------------------------------------------------------

    def _visible(self, agent: str) -> dict[str, str | None]:
        return self.store.visible_agents(check_name(agent), self.config.retrieval.max_inheritance_depth)

    def related(self, entity: str, agent: str, predicate: str | None = None, as_of: datetime | None = None,
                include_history: bool = False) -> list[Fact]:
        """Facts about an entity (current ones, or those valid at ``as_of``), each naming its memory."""
        self._check_open()
        return self.knowledge.related(entity, self._visible(agent), predicate, as_utc(as_of), include_history)

    def entity_context(self, name: str, agent: str, hops: int = 2, as_of: datetime | None = None) -> EntityContext:
        """The facts within ``hops`` of an entity and the memories that mention it."""
        self._check_open()
        return self.knowledge.entity_context(name, self._visible(agent), hops, as_utc(as_of))

    def path(self, a: str, b: str, agent: str, max_hops: int = 4, as_of: datetime | None = None) -> list[Fact]:
        """The shortest chain of facts linking two entities, as the agent may see them."""
        self._check_open()
        return self.knowledge.path(a, b, self._visible(agent), max_hops, as_utc(as_of))

    # -- ingestion ---------------------------------------------------------------------------

    def ingest_directory(self, path: str | Path, agent: str, **options: Any):
        """Text, Markdown and code files under ``path`` → memories (see alma_graph.ingest)."""
        from alma_graph.ingest import ingest_directory

        return ingest_directory(self, path, agent, **options)

    def ingest_conversations(self, path: str | Path, agent: str, **options: Any):
        """Chat exports (Claude Code, ChatGPT, Claude.ai, Codex, Slack, plain text) → memories."""
        from alma_graph.ingest import ingest_conversations

        return ingest_conversations(self, path, agent, **options)

    def agents(self) -> dict[str, AgentConfig]:
        """Every agent the config or the graph knows, with its config (default when absent)."""
        names = set(self.config.agents) | set(self.store.agent_names())
        return {name: self.config.agent(name) for name in sorted(names)}

    # -- ALMA's names --------------------------------------------------------------------------

    def add_user_preference(self, user_id: str, category: str, preference: str, source: str = "explicit",
                            **kwargs: Any) -> UserPreference:
        return self.add_preference(user_id, category, preference, source, **kwargs)

    def add_domain_knowledge(self, agent: str, domain: str, fact: str, source: str = "user",
                             **kwargs: Any) -> DomainKnowledge:
        return self.add_knowledge(agent, domain, fact, source, **kwargs)

    def get_stats(self, agent: str | None = None) -> dict[str, Any]:
        return self.stats(agent)


def _async_twin(name: str):
    method = getattr(ALMA, name)

    @functools.wraps(method)
    async def twin(self: ALMA, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(method, self, *args, **kwargs)

    twin.__name__ = twin.__qualname__ = f"async_{name}"
    twin.__doc__ = f"Async twin of :meth:`ALMA.{name}` (runs it in a worker thread)."
    return twin


ASYNC_METHODS = (
    "retrieve", "learn", "add_preference", "add_knowledge", "add_knowledge_batch", "add_anti_pattern",
    "record_usage", "record_feedback", "forget", "restore", "stats", "add_user_preference",
    "add_domain_knowledge", "get_stats", "close", "related", "entity_context", "path",
    "ingest_directory", "ingest_conversations", "reindex", *WORKFLOW_METHODS,
)
for _name in ASYNC_METHODS:
    setattr(ALMA, f"async_{_name}", _async_twin(_name))
