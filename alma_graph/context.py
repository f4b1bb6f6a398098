"""The context every service receives: config, store, embedder, indexes, knowledge, events.

Services (memory writes and learning, retrieval, knowledge, lifecycle, workflows,
sessions, wake-up, confidence) take a ``Context`` and never the ``ALMA`` facade, so
nothing below the facade imports it.

Every write goes through ``Context.write()``, the one routine that commits the
graph transaction, moves the store's write generation and brings the derived
indexes (FAISS, BM25) up to date::

    with ctx.write() as change:
        ctx.store.create_memories(rows)
        change.index(rows)          # new or restored memories
        change.unindex(archived)    # archived or merged ones
        change.touch()              # properties changed, the indexed text did not
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from alma_graph.backends.base import GraphStore
from alma_graph.config import AgentConfig, ALMAConfig
from alma_graph.errors import UnknownAgentError, ValidationError
from alma_graph.events import EventEmitter, EventType, MemoryEvent
from alma_graph.graph_model import Edge, agent_key
from alma_graph.indexes.embeddings import Embedder
from alma_graph.indexes.choice import open_indexes
from alma_graph.indexes.search import SearchIndexes
from alma_graph.indexes.vectors import VectorIndex
from alma_graph.knowledge.graph import KnowledgeGraph
from alma_graph.memory.validation import check_name
from alma_graph.retrieval.signals import graph_matrix


@dataclass
class Change:
    """What one write did to memories, for the derived indexes."""

    indexed: list[dict[str, Any]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: bool = False
    rebuild: bool = False

    def index(self, rows: Iterable[dict[str, Any]]) -> None:
        """Memories (rows with embeddings) that enter retrieval."""
        self.indexed += list(rows)
        self.changed = True

    def unindex(self, memory_ids: Iterable[str]) -> None:
        """Memories that leave retrieval (archived, merged)."""
        self.removed += list(memory_ids)
        self.changed = True

    def touch(self) -> None:
        """Memory properties changed (feedback, confidence, counts): move the generation only."""
        self.changed = True

    def rebuild_all(self) -> None:
        """A bulk write (an import): rebuild every derived index from the graph afterwards."""
        self.changed = self.rebuild = True


def sync_agents(store: GraphStore, config: ALMAConfig) -> None:
    """Write the config's agents and their INHERITS_FROM / SHARES_WITH edges into the graph."""
    with store.transaction():
        for name, agent in config.agents.items():
            store.sync_agent(name, agent.domain, agent.can_learn, agent.cannot_learn,
                             shares_with_all="*" in agent.share_with)
        for name, agent in config.agents.items():
            store.set_agent_links(name, Edge.INHERITS_FROM, agent.inherit_from)
            store.set_agent_links(name, Edge.SHARES_WITH, [a for a in agent.share_with if a != "*"])


class Context:
    """The services' handle on one open store."""

    def __init__(self, config: ALMAConfig, store: GraphStore, embedder: Embedder, indexes: SearchIndexes,
                 knowledge: KnowledgeGraph, events: EventEmitter):
        self.config = config
        self.store = store
        self.embedder = embedder
        self.indexes = indexes
        self.knowledge = knowledge
        self.events = events
        self.closed = False
        self._visible: dict[str, dict[str, str | None]] = {}
        self._visible_generation: int | None = None
        self.rebuilding = 0  # bulk writes whose indexes are being rebuilt (changed under the store's lock)

    @classmethod
    def open(cls, config: ALMAConfig, store: GraphStore, embedder: Embedder, events: EventEmitter) -> "Context":
        """The context of a freshly opened store: the config's agents written into the graph,
        the derived indexes loaded (or rebuilt from the graph)."""
        knowledge = KnowledgeGraph(store, config.extraction, embedder)
        sync_agents(store, config)
        indexes = open_indexes(config, store, embedder)
        return cls(config, store, embedder, indexes, knowledge, events)

    # -- the one write routine -------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Change]:
        """One graph transaction; when it changed memories, the next write generation and
        the matching index updates, after the commit."""
        change = Change()
        generation = None
        # The store's lock until the vector and text indexes show the commit: they take the
        # writes in commit order, and the next write of this process sees this one in them
        # (learning reads the vectors in its transaction: ``own_vectors``). Only the indexes'
        # own locks are taken under it; what reads the store under a lock of its own (a
        # rebuild, the graph matrix) comes after, or two threads could wait on each other.
        with self.store.exclusive():
            with self.store.transaction():
                yield change
                if change.changed:
                    # a server's own indexes change with the graph, in this transaction
                    self.store.memories_changed([r["id"] for r in change.indexed], change.removed, change.rebuild)
                    generation = self.store.bump_generation()
            if generation is None:
                return
            if change.rebuild:
                self.rebuilding += 1  # the indexes miss this write until reindex() is done
            else:
                self.indexes.remove(change.removed)
                self.indexes.add(change.indexed)
                self.indexes.generation = generation
                if self._visible_generation == generation - 1:  # no other write in between
                    self._visible_generation = generation
        if change.rebuild:
            try:
                self.reindex()
            finally:
                with self.store.exclusive():
                    self.rebuilding -= 1
            return
        graph_matrix.note_write(self.store, generation, [r["id"] for r in change.indexed], bool(change.removed))

    def own_vectors(self) -> VectorIndex | None:
        """The process's FAISS index, inside a write, when it holds every committed live memory:
        an embedded store has no other writer and no rebuild is under way. A shared store's
        other processes write too; a server's indexes are not in the process."""
        vectors = self.indexes.vectors
        if isinstance(vectors, VectorIndex) and not self.store.shared and not self.rebuilding:
            return vectors
        return None

    def reindex(self) -> None:
        """Everything derived from the graph again: both indexes and the entity names the
        extractor knows."""
        self.indexes.rebuild()
        self.knowledge.forget_known_names()

    def refresh(self) -> None:
        """Before a read on a shared server: follow other processes' writes."""
        if self.indexes.stale():
            self.indexes.catch_up()
            self.knowledge.forget_known_names()

    # -- shared checks -------------------------------------------------------------------------

    def check_open(self) -> None:
        if self.closed:
            raise ValidationError("this ALMA instance is closed; open a new one")

    def known_agent(self, agent: Any) -> str:
        """A checked agent name the config or the graph knows."""
        agent = check_name(agent)
        if agent not in self.config.agents and agent not in self.store.agent_names():
            raise UnknownAgentError(
                f"unknown agent {agent!r}: it is not in the config and has never written a memory "
                f"(known: {', '.join(sorted(set(self.config.agents) | set(self.store.agent_names()))) or 'none'})"
            )
        return agent

    def agents(self) -> dict[str, AgentConfig]:
        """Every agent the config or the graph knows, with its config (default when absent)."""
        names = set(self.config.agents) | set(self.store.agent_names())
        return {name: self.config.agent(name) for name in sorted(names)}

    def visible(self, agent: str) -> dict[str, str | None]:
        """The agents whose memories ``agent`` may read (own, inherited, shared with it).

        Remembered until the write generation moves by another process's write: agent links
        change only when a store opens with its config (``sync_agents``), so this process's
        own memory writes keep what it knows, and the traversal costs three statements. A
        process that opens a shared store with other links is seen here after its next write."""
        agent = check_name(agent)
        if self._visible_generation != self.indexes.generation or len(self._visible) > 1024:
            self._visible, self._visible_generation = {}, self.indexes.generation
        found = self._visible.get(agent)
        if found is None:
            found = self.store.visible_agents(agent, self.config.retrieval.max_inheritance_depth)
            self._visible[agent] = found
        return dict(found)  # the caller's own copy

    def agent_key(self, agent: str) -> str:
        return agent_key(self.config.project_id, agent)

    def emit(self, kind: EventType, agent: str | None, memory_ids: Iterable[str], **details: Any) -> None:
        ids = tuple(memory_ids)
        if ids:
            self.events.emit(MemoryEvent(kind, self.config.project_id, agent, ids, details))
