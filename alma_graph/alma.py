"""``ALMA``: the one facade agents, the CLI and the MCP server use.

A thin layer of one-line delegations: every method hands the store's ``Context``
(config, store, embedder, indexes, knowledge, events) to the service that does the
work — ``memory.writes`` (learn, add_*), ``retrieval.pipeline`` (retrieve),
``memory.feedback``, ``lifecycle``, ``knowledge.lookup``, ``workflows``. Nothing
below this module imports it. Every method has a typed ``async_`` twin that runs it
in a worker thread.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from alma_graph.backends import GraphStore, open_store
from alma_graph.config import AgentConfig, ALMAConfig, load_config, parse_config
from alma_graph.context import Context
from alma_graph.events import EventEmitter
from alma_graph.indexes.embeddings import Embedder
from alma_graph.knowledge import lookup, view
from alma_graph.knowledge.graph import EntityContext, Fact
from alma_graph.lifecycle import audit, erasure, forget, policies
from alma_graph.lifecycle.audit import AuditRecord
from alma_graph.lifecycle.policies import ConsolidationReport, LifecycleReport, PruneReport
from alma_graph.memory import access, feedback, stats, versions, writes
from alma_graph.models import (AntiPattern, DomainKnowledge, Memory, MemoryKind, MemoryPage, MemorySlice, Outcome,
                               UserPreference)
from alma_graph.retrieval import pipeline, scoped
from alma_graph.workflows import checkpoints, confidence, sessions, wakeup
from alma_graph.workflows.checkpoints import Artifact, Checkpoint
from alma_graph.workflows.confidence import StrategyAssessment
from alma_graph.workflows.sessions import Handoff, Session
from alma_graph.workflows.wakeup import WakeUpContext

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _async_twin(method: Callable[Concatenate["ALMA", _P], _R]) -> Callable[Concatenate["ALMA", _P], Coroutine[Any, Any, _R]]:
    """``async_<name>``: the same call, run in a worker thread."""

    @functools.wraps(method)
    async def twin(self: "ALMA", *args: _P.args, **kwargs: _P.kwargs) -> _R:
        import asyncio  # only async callers pay for it: `import alma_graph` stays fast

        return await asyncio.to_thread(method, self, *args, **kwargs)

    twin.__name__ = twin.__qualname__ = f"async_{method.__name__}"
    twin.__doc__ = f"Async twin of :meth:`ALMA.{method.__name__}` (runs it in a worker thread)."
    return twin


class ALMA:
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
        self.events = EventEmitter()
        self.on_close: list[Callable[[], None]] = []  # run first on close(), e.g. deliver queued webhooks
        try:
            self.context = Context.open(config, self.store, self.embedder, self.events)
            # the audit trail, and the configured schedule (on open / every N writes)
            self.lifecycle_schedule = policies.start(self.context)
        except BaseException:
            self.store.close()
            raise

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

    def _open(self) -> Context:
        """The context, once this instance is known to be open."""
        self.context.check_open()
        return self.context

    def reindex(self) -> None:
        """Rebuild everything derived from the graph — the vector and BM25 indexes, and the
        entity names the extractor knows — e.g. after a bulk import or another process's writes."""
        self._open().reindex()

    def close(self) -> None:
        """Save the vector index beside the graph and release the store."""
        if self.context.closed:
            return
        self.context.closed = True
        try:
            for hook in self.on_close:
                hook()
            self.context.indexes.save()
        finally:
            self.store.close()

    def __enter__(self) -> "ALMA":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- retrieval -----------------------------------------------------------------------------

    def retrieve(self, task: str, agent: str, top_k: int | None = None, user_id: str | None = None,
                 include_shared: bool = True, recipe: str | None = None, explain: bool = False,
                 as_of: datetime | None = None, only_ids: Iterable[str] | None = None) -> MemorySlice:
        """The memories most relevant to ``task`` that ``agent`` may see, top_k per kind.

        ``recipe`` names the ranker (default ``retrieval.recipe``, normally ``hybrid``);
        ``explain=True`` attaches each result's per-signal ranks and graph paths;
        ``as_of`` is the moment the query is asked (for "last week" and recency);
        ``only_ids`` narrows the candidates to those memories, before ranking."""
        return pipeline.retrieve(self.context, task, agent, top_k, user_id, include_shared, recipe, explain,
                                 as_of, only_ids)

    def retrieve_scoped(self, query: str, agent: str, scope: str, workflow_id: str | None = None,
                        **options: Any) -> MemorySlice:
        """``retrieve`` within a scope: ``workflow_only`` (memories of ``workflow_id``),
        ``agent_only`` (the agent's own) or ``project_wide`` (all it may see).
        ``options`` are retrieve's: top_k, user_id, recipe, explain, as_of."""
        return scoped.retrieve_scoped(self._open(), query, agent, scope, workflow_id, **options)

    def retrieve_with_scope(self, task: str, agent: str, context: Any = None, scope: Any = "agent",
                            user_id: str | None = None, top_k: int = 5) -> MemorySlice:
        """ALMA's name for :meth:`retrieve_scoped`. ``context`` is a workflow id, a dict with
        ``workflow_id`` or an object with that attribute; ``scope`` also takes ALMA's values
        (workflow, run, agent, tenant, global)."""
        return scoped.retrieve_with_scope(self.context, task, agent, context, scope, user_id, top_k)

    # -- writes and learning ---------------------------------------------------------------------

    def learn(self, agent: str, task: str, outcome: bool | str, strategy_used: str,
              task_type: str | None = None, duration_ms: int | None = None,
              error_message: str | None = None, feedback: str | None = None,
              timestamp: datetime | None = None, metadata: dict[str, Any] | None = None,
              memory_id: str | None = None, workflow_id: str | None = None) -> Outcome:
        """Record an outcome; similar outcomes turn into heuristics and anti-patterns."""
        return writes.learn(self.context, agent, task, outcome, strategy_used, task_type, duration_ms,
                            error_message, feedback, timestamp, metadata, memory_id, workflow_id)

    def add_preference(self, user_id: str, category: str, preference: str, source: str = "explicit",
                       agent: str | None = None, timestamp: datetime | None = None,
                       metadata: dict[str, Any] | None = None, memory_id: str | None = None) -> UserPreference:
        """A user's preference, visible to every agent that retrieves with that ``user_id``."""
        return writes.add_preference(self.context, user_id, category, preference, source, agent, timestamp,
                                     metadata, memory_id)

    def add_knowledge(self, agent: str, domain: str, fact: str, source: str = "user",
                      confidence: float = 1.0, timestamp: datetime | None = None,
                      metadata: dict[str, Any] | None = None) -> DomainKnowledge:
        """A fact in a domain the agent may learn."""
        [memory] = self.add_knowledge_batch([dict(agent=agent, domain=domain, fact=fact, source=source,
                                                  confidence=confidence, timestamp=timestamp, metadata=metadata)])
        return memory

    def add_knowledge_batch(self, items: Iterable[Mapping[str, Any]],
                            show_progress: bool = False) -> list[DomainKnowledge]:
        """Many facts at once: all validated and scope-checked first, embedded in batches,
        written in one transaction. Each item has agent, domain, fact and optionally
        source, confidence, timestamp, metadata, id, and where it was said: session_id,
        sequence (position in the session) and speaker."""
        return writes.add_knowledge_batch(self.context, items, show_progress)

    def add_anti_pattern(self, agent: str, pattern: str, why_bad: str, better_alternative: str | None = None,
                         task_type: str | None = None, metadata: dict[str, Any] | None = None,
                         timestamp: datetime | None = None, memory_id: str | None = None) -> AntiPattern:
        """Something not to do, why, and what to do instead.

        With ``task_type`` the write is scope-checked against it; without, it is filed
        under 'general' (ALMA's signature has no domain)."""
        return writes.add_anti_pattern(self.context, agent, pattern, why_bad, better_alternative, task_type,
                                       metadata, timestamp, memory_id)

    # -- feedback ---------------------------------------------------------------------------------

    def record_usage(self, retrieved_memory_ids: Iterable[str], used_memory_ids: Iterable[str],
                     agent: str) -> dict[str, int]:
        """Which retrieved memories the agent actually used: used ones rank higher later,
        ignored ones slightly lower."""
        return feedback.record_usage(self.context, retrieved_memory_ids, used_memory_ids, agent)

    def record_feedback(self, memory_id: str, signal: str | float | bool, agent: str) -> Memory:
        """Explicit feedback on one memory ('positive' / 'negative' or a number in [-1, 1])."""
        return feedback.record_feedback(self.context, memory_id, signal, agent)

    # -- lifecycle --------------------------------------------------------------------------------

    def forget(self, agent: str | None = None, older_than_days: float | None = None,
               below_confidence: float | None = None, memory_ids: Iterable[str] | None = None,
               kind: str | MemoryKind | None = None) -> int:
        """Archive memories (they leave retrieval; nothing is deleted). Returns how many.

        Without any criterion this is an error, so a bare ``forget()`` cannot wipe a store."""
        return forget.forget(self.context, agent, older_than_days, below_confidence, memory_ids, kind)

    def restore(self, memory_ids: Iterable[str]) -> int:
        """Bring archived memories back into retrieval."""
        return forget.restore(self.context, memory_ids)

    def consolidate(self, agent: str, kind: str | None = None, similarity_threshold: float | None = None,
                    dry_run: bool = False) -> ConsolidationReport:
        """Merge the agent's near-duplicate heuristics, anti-patterns or knowledge (``kind``;
        all three by default) into one survivor each: summed counts, ``MERGED_INTO`` edges,
        duplicates archived (restorable), audited. Default threshold:
        ``lifecycle.consolidate.similarity_threshold``."""
        return policies.consolidate(self._open(), agent, kind, similarity_threshold, dry_run)

    def prune(self, agent: str | None = None, older_than_days: float | None = None,
              below_confidence: float | None = None, max_per_agent: int | None = None,
              kinds: Iterable[str] | None = None, dry_run: bool = False) -> PruneReport:
        """The forget policy: archive, through ``forget``, memories idle for more than
        ``older_than_days``, below ``below_confidence``, or beyond ``max_per_agent`` per
        agent and kind (each criterion on its own). Audited; ``restore`` undoes it."""
        return policies.prune(self._open(), agent, older_than_days, below_confidence, max_per_agent, kinds, dry_run)

    def run_lifecycle(self, now: datetime | None = None) -> LifecycleReport:
        """Decay, consolidation (if enabled) and the forget policy, as ``lifecycle:`` configures.
        ``now`` runs it as of another moment."""
        return policies.run(self._open(), now)

    def audit_log(self, action: str | None = None, limit: int = 100) -> list[AuditRecord]:
        """Lifecycle actions (forget, restore, consolidate, decay), newest first."""
        return audit.audit_log(self._open().store, action, limit)

    def stats(self, agent: str | None = None) -> dict[str, Any]:
        """Counts per kind (and per agent), archived memories, graph size and storage."""
        return stats.stats(self.context, agent)

    def agents(self) -> dict[str, AgentConfig]:
        """Every agent the config or the graph knows, with its config (default when absent)."""
        return self.context.agents()

    # -- single memories: read, correct, erase ----------------------------------------------------

    def get(self, memory_id: str, agent: str) -> Memory:
        """The memory ``memory_id`` (or an unambiguous prefix of at least 8 characters) if ``agent``
        may read it — its own, inherited or shared; ``MemoryNotFoundError`` otherwise, whether it
        exists or not. An ambiguous prefix raises ``AmbiguousIdError`` listing the candidates."""
        return access.get(self.context, memory_id, agent)

    def list_memories(self, agent: str, kind: str | None = None, limit: int = 50, cursor: str | None = None,
                      include_archived: bool = False) -> MemoryPage:
        """The memories ``agent`` may read, newest first, ``limit`` (1..1000) at a time; pass the
        page's ``next_cursor`` back as ``cursor`` for the next page."""
        return access.list_memories(self.context, agent, kind, limit, cursor, include_archived)

    def update(self, memory_id: str, agent: str, *, text: str | None = None, metadata: dict | None = None,
               confidence: float | None = None) -> Memory:
        """Correct a memory: a new version (new id) replaces it in retrieval, the old one is kept,
        archived, behind ``(new)-[:SUPERSEDES]->(old)``; entities and facts follow the new text.
        The agent must own the memory (a preference: may write its category)."""
        return versions.update(self.context, memory_id, agent, text=text, metadata=metadata, confidence=confidence)

    def history(self, memory_id: str, agent: str) -> list[Memory]:
        """Every version of a memory, newest first, given any version's id."""
        return access.history(self.context, memory_id, agent)

    def delete(self, memory_id: str, agent: str, hard: bool = False) -> dict[str, Any]:
        """Archive a memory (``restore`` brings it back), or with ``hard=True`` erase it with all its
        versions, index entries, facts and entities only it supported; returns counts."""
        return erasure.delete(self.context, memory_id, agent, hard)

    def erase_user(self, user_id: str) -> dict[str, Any]:
        """Erase everything stated by or about a user: their preferences, the memories whose
        user id, speaker or metadata names them, and the User node; returns counts."""
        return erasure.erase_user(self.context, user_id)

    def graph(self, agent: str, center: str | None = None, hops: int = 1, limit: int = 200) -> dict[str, Any]:
        """The subgraph ``agent`` may see around a memory, entity or agent (or the overview
        without ``center``), as ``{"nodes": [...], "edges": [...]}`` for a viewer."""
        return view.graph(self.context, agent, center, hops, limit)

    # -- relationship context ---------------------------------------------------------------

    def related(self, entity: str, agent: str, predicate: str | None = None, as_of: datetime | None = None,
                include_history: bool = False) -> list[Fact]:
        """Facts about an entity (current ones, or those valid at ``as_of``), each naming its memory."""
        return lookup.related(self.context, entity, agent, predicate, as_of, include_history)

    def entity_context(self, name: str, agent: str, hops: int = 2, as_of: datetime | None = None) -> EntityContext:
        """The facts within ``hops`` of an entity and the memories that mention it."""
        return lookup.entity_context(self.context, name, agent, hops, as_of)

    def path(self, a: str, b: str, agent: str, max_hops: int = 4, as_of: datetime | None = None) -> list[Fact]:
        """The shortest chain of facts linking two entities, as the agent may see them."""
        return lookup.path(self.context, a, b, agent, max_hops, as_of)

    # -- workflows and sessions -----------------------------------------------------------------

    def checkpoint(self, workflow_id: str, state: Mapping[str, Any], metadata: dict[str, Any] | None = None,
                   agent: str | None = None) -> Checkpoint:
        """Save a workflow's state (a JSON object of at most 1 MB) as its next checkpoint.

        A state equal to the latest checkpoint's writes nothing and returns that checkpoint."""
        return checkpoints.save_checkpoint(self._open().store, workflow_id, state, metadata, agent)[0]

    def resume(self, workflow_id: str) -> Checkpoint | None:
        """The workflow's latest checkpoint, to continue from (None when it has none)."""
        return checkpoints.resume_point(self._open().store, workflow_id)

    def get_resume_point(self, workflow_id: str, branch_id: str | None = None) -> Checkpoint | None:
        """ALMA's name for :meth:`resume` (branches are separate workflows here)."""
        return checkpoints.resume_point(self._open().store, workflow_id, branch_id)

    def merge_states(self, workflow_id: str, states: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
                     reducer: str | Callable | Mapping[str, str | Callable] = "latest_wins",
                     priority: Sequence[str] | None = None, metadata: dict[str, Any] | None = None,
                     agent: str | None = None, save: bool = True) -> dict[str, Any]:
        """Merge the states of parallel agents into one and (with ``save``) checkpoint it.

        ``states`` is a list, or a mapping of agent name -> state (needed by ``priority_agent``,
        whose order is ``priority`` or the mapping's). ``reducer`` is one of
        latest_wins, merge_lists, priority_agent, sum, max, min, union; a callable
        ``fn(states) -> dict``; or a mapping of state key -> reducer (``"*"`` for the rest),
        where a reducer may be a callable ``fn(values) -> value``."""
        return checkpoints.merge_states(self._open().store, workflow_id, states, reducer, priority, metadata,
                                        agent, save)

    def link_artifact(self, workflow_id: str, artifact_type: str, ref: str, name: str | None = None,
                      agent: str | None = None, mime_type: str | None = None, size_bytes: int | None = None,
                      checksum: str | None = None, metadata: dict[str, Any] | None = None) -> Artifact:
        """Record something the workflow produced (a file path, URL, ...); the same type and
        ref again updates it."""
        return checkpoints.save_artifact(self._open().store, workflow_id, artifact_type, ref, name, agent,
                                         mime_type, size_bytes, checksum, metadata)

    def get_artifacts(self, workflow_id: str, artifact_type: str | None = None) -> list[Artifact]:
        """The workflow's artifacts, oldest first."""
        return checkpoints.list_artifacts(self._open().store, workflow_id, artifact_type)

    def cleanup_checkpoints(self, older_than_days: float = 7, keep_latest: int = 1,
                            workflow_id: str | None = None) -> int:
        """Delete checkpoints older than ``older_than_days`` except each workflow's
        ``keep_latest`` newest (one workflow with ``workflow_id``). Returns how many."""
        return checkpoints.cleanup(self._open().store, older_than_days, keep_latest, workflow_id)

    def start_session(self, agent: str, goal: str, session_id: str | None = None) -> Session:
        """Start a session; ``.last_handoff`` is what the agent's previous session left."""
        return sessions.start(self._open().store, agent, goal, session_id)

    def create_handoff(self, agent: str, session_id: str, last_action: str, last_outcome: str,
                       next_steps: Iterable[str] | None = None, blockers: Iterable[str] | None = None,
                       decisions: Iterable[str] | None = None, active_files: Iterable[str] | None = None,
                       confidence: float | None = None, metadata: dict[str, Any] | None = None) -> Handoff:
        """Record how a session ended, for the agent's next ``start_session``."""
        return sessions.create_handoff(self._open().store, agent, session_id, last_action, last_outcome, next_steps,
                                       blockers, decisions, active_files, confidence, metadata)

    def assess_strategy(self, strategy: str, context: str, agent: str, top_k: int = 10) -> StrategyAssessment:
        """How likely ``strategy`` is to work in ``context``, from the heuristics, anti-patterns
        and outcomes the agent can see, with the memories it relied on."""
        return confidence.assess(self._open(), strategy, context, agent, top_k)

    def wake_up(self, agent: str, user_id: str | None = None, query: str | None = None,
                identity: str | None = None, max_tokens: int = 800) -> WakeUpContext:
        """The layered start-of-session context (identity, essential story, on-demand recall
        for ``query``) within ``max_tokens``."""
        return wakeup.wake_up(self._open(), agent, user_id, query, identity, max_tokens)

    # -- ingestion (clients of this facade: they call its write methods) ------------------------

    def ingest_directory(self, path: str | Path, agent: str, **options: Any) -> Any:
        """Text, Markdown and code files under ``path`` → memories (see alma_graph.ingest)."""
        from alma_graph.ingest import ingest_directory

        return ingest_directory(self, path, agent, **options)

    def ingest_conversations(self, path: str | Path, agent: str, **options: Any) -> Any:
        """Chat exports (Claude Code, ChatGPT, Claude.ai, Codex, Slack, plain text) → memories."""
        from alma_graph.ingest import ingest_conversations

        return ingest_conversations(self, path, agent, **options)

    # -- ALMA's names --------------------------------------------------------------------------

    def add_user_preference(self, user_id: str, category: str, preference: str, source: str = "explicit",
                            **kwargs: Any) -> UserPreference:
        return self.add_preference(user_id, category, preference, source, **kwargs)

    def add_domain_knowledge(self, agent: str, domain: str, fact: str, source: str = "user",
                             **kwargs: Any) -> DomainKnowledge:
        return self.add_knowledge(agent, domain, fact, source, **kwargs)

    def get_stats(self, agent: str | None = None) -> dict[str, Any]:
        return self.stats(agent)

    # -- async twins -----------------------------------------------------------------------------

    async_retrieve = _async_twin(retrieve)
    async_retrieve_scoped = _async_twin(retrieve_scoped)
    async_retrieve_with_scope = _async_twin(retrieve_with_scope)
    async_learn = _async_twin(learn)
    async_add_preference = _async_twin(add_preference)
    async_add_knowledge = _async_twin(add_knowledge)
    async_add_knowledge_batch = _async_twin(add_knowledge_batch)
    async_add_anti_pattern = _async_twin(add_anti_pattern)
    async_record_usage = _async_twin(record_usage)
    async_record_feedback = _async_twin(record_feedback)
    async_forget = _async_twin(forget)
    async_restore = _async_twin(restore)
    async_consolidate = _async_twin(consolidate)
    async_prune = _async_twin(prune)
    async_run_lifecycle = _async_twin(run_lifecycle)
    async_audit_log = _async_twin(audit_log)
    async_stats = _async_twin(stats)
    async_get = _async_twin(get)
    async_list_memories = _async_twin(list_memories)
    async_update = _async_twin(update)
    async_history = _async_twin(history)
    async_delete = _async_twin(delete)
    async_erase_user = _async_twin(erase_user)
    async_graph = _async_twin(graph)
    async_related = _async_twin(related)
    async_entity_context = _async_twin(entity_context)
    async_path = _async_twin(path)
    async_checkpoint = _async_twin(checkpoint)
    async_resume = _async_twin(resume)
    async_get_resume_point = _async_twin(get_resume_point)
    async_merge_states = _async_twin(merge_states)
    async_link_artifact = _async_twin(link_artifact)
    async_get_artifacts = _async_twin(get_artifacts)
    async_cleanup_checkpoints = _async_twin(cleanup_checkpoints)
    async_start_session = _async_twin(start_session)
    async_create_handoff = _async_twin(create_handoff)
    async_assess_strategy = _async_twin(assess_strategy)
    async_wake_up = _async_twin(wake_up)
    async_ingest_directory = _async_twin(ingest_directory)
    async_ingest_conversations = _async_twin(ingest_conversations)
    async_add_user_preference = _async_twin(add_user_preference)
    async_add_domain_knowledge = _async_twin(add_domain_knowledge)
    async_get_stats = _async_twin(get_stats)
    async_reindex = _async_twin(reindex)
    async_agents = _async_twin(agents)
    async_close = _async_twin(close)
