"""The ``GraphStore`` contract.

A backend supplies four primitives — run a statement, open a transaction,
create the schema, and the dialect's memory-creation statement — and inherits
every domain operation from here, written once in the shared Cypher of
``alma_graph.queries.cypher``. That is what keeps Kuzu and Neo4j from drifting.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from typing import Any, Iterable

import numpy as np

from alma_graph.errors import StorageError
from alma_graph.graph_model import SCHEMA_VERSION, Edge, Node, agent_key, task_key, user_key
from alma_graph.queries import admin as qa
from alma_graph.queries import concepts as qc
from alma_graph.queries import cypher as q
from alma_graph.queries import learning as ql


class GraphStore(ABC):
    """One project's graph. Methods take and return plain dicts and names."""

    name: str = "graph"
    # True when other processes may write to the same graph (a server backend).
    shared: bool = False

    def __init__(self, project_id: str, dimension: int):
        self.project_id = project_id
        self.dimension = dimension
        self._lock = threading.RLock()
        # Memories written since a reader last asked (``take_changed_memories``): the
        # in-memory ranking rows (``indexes.rows``) re-read just those. None: all of them.
        self._changed_memories: set[str] | None = set()

    # -- primitives each backend implements --------------------------------------

    @abstractmethod
    def run(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one parameterised statement; rows as dicts with timezone-aware datetimes."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager:
        """All statements inside commit together or not at all. Re-entrant."""

    def exclusive(self) -> AbstractContextManager:
        """Hold this handle's lock (re-entrant; every statement and transaction takes it)."""
        return self._lock

    @abstractmethod
    def _create_memories_query(self) -> str:
        """The dialect's UNWIND-create statement for Memory rows."""

    @abstractmethod
    def close(self) -> None: ...

    @property
    def location(self) -> str:
        """Where the graph lives, for messages and stats."""
        return self.name

    # -- meta ------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self.run(q.GET_META, {"key": f"{self.project_id}/{key}"})
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self.run(q.SET_META, {"key": f"{self.project_id}/{key}", "value": value})

    def generation(self) -> int:
        """A counter bumped by every memory write; derived indexes record the one they reflect."""
        return int(self.get_meta("generation") or 0)

    def bump_generation(self) -> int:
        with self.transaction():
            value = self.generation() + 1
            self.set_meta("generation", str(value))
            return value

    # -- agents and users -------------------------------------------------------------

    def sync_agent(self, name: str, domain: str | None, can_learn: list[str], cannot_learn: list[str],
                   shares_with_all: bool) -> None:
        self.run(q.MERGE_AGENT, {
            "key": agent_key(self.project_id, name), "name": name, "project_id": self.project_id,
            "domain": domain, "can_learn": list(can_learn), "cannot_learn": list(cannot_learn),
            "shares_with_all": shares_with_all,
        })

    def ensure_agent(self, name: str) -> None:
        self.run(q.ENSURE_AGENT, {"key": agent_key(self.project_id, name), "name": name,
                                  "project_id": self.project_id, "empty": []})

    def set_agent_links(self, name: str, edge: Edge, targets: Iterable[str]) -> None:
        """Replace the agent's INHERITS_FROM or SHARES_WITH edges with ``targets``."""
        key = agent_key(self.project_id, name)
        self.run(q.drop_agent_links(edge), {"key": key})
        for target in targets:
            self.ensure_agent(target)
            self.link(edge, key, agent_key(self.project_id, target))

    def agent_names(self) -> list[str]:
        return [row["name"] for row in self.run(q.AGENT_NAMES, {"project_id": self.project_id})]

    def visible_agents(self, name: str, max_depth: int) -> dict[str, str | None]:
        """Agents whose memories ``name`` may read, each with how: None for its own,
        otherwise the agent name to report as ``shared_from``."""
        key = agent_key(self.project_id, name)
        visible: dict[str, str | None] = {name: None}
        for query, params in (
            (q.inherited_agents(max_depth), {"key": key}),
            (q.SHARING_AGENTS, {"key": key}),
            (q.SHARING_WITH_ALL, {"key": key, "project_id": self.project_id}),
        ):
            for row in self.run(query, params):
                visible.setdefault(row["name"], row["name"])
        return visible

    def ensure_user(self, user_id: str) -> str:
        key = user_key(self.project_id, user_id)
        self.run(q.ENSURE_USER, {"key": key, "user_id": user_id, "project_id": self.project_id})
        return key

    def merge_task(self, task_type: str, description: str) -> str:
        key = task_key(self.project_id, task_type, description)
        self.run(q.MERGE_TASK, {"key": key, "project_id": self.project_id, "task_type": task_type,
                                "description": description})
        return key

    # -- edges --------------------------------------------------------------------------

    def link(self, edge: Edge, from_key: str, to_key: str) -> None:
        self.run(q.merge_edge(edge), {"from_key": from_key, "to_key": to_key})

    def link_many(self, edge: Edge, pairs: list[tuple[str, str]]) -> None:
        if pairs:
            self.run(q.merge_edges(edge), {"pairs": [{"from_key": a, "to_key": b} for a, b in pairs]})

    def link_new(self, edge: Edge, pairs: list[tuple[str, str]]) -> None:
        """Edges that cannot exist yet, because one end was created in this transaction."""
        if pairs:
            self.run(q.create_edges(edge), {"pairs": [{"from_key": a, "to_key": b} for a, b in pairs]})

    def targets(self, edge: Edge, key: str) -> list[str]:
        return [row["key"] for row in self.run(q.edge_targets(edge), {"key": key})]

    def sources(self, edge: Edge, key: str) -> list[str]:
        return [row["key"] for row in self.run(q.edge_sources(edge), {"key": key})]

    # -- memories ---------------------------------------------------------------------

    def changed_memories(self, ids: Iterable[str] | None) -> None:
        """Note memories whose properties a write changed (None: any of them may have)."""
        with self._lock:
            if ids is None or self._changed_memories is None:
                self._changed_memories = None
            else:
                self._changed_memories.update(ids)

    def take_changed_memories(self) -> set[str] | None:
        """The memories changed since the last call (None: possibly all), and forget them."""
        with self._lock:
            changed, self._changed_memories = self._changed_memories, set()
            return changed

    def create_memories(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.changed_memories(r["id"] for r in rows)
            self.run(self._create_memories_query(), {"rows": rows})

    def update_memory(self, memory_id: str, values: dict[str, Any]) -> None:
        if values:
            self.changed_memories([memory_id])
            params = {f"v_{name}": value for name, value in values.items()}
            params["id"] = memory_id
            self.run(q.update_memory(list(values)), params)

    def memories_changed(self, written: list[str], removed: list[str], everything: bool = False) -> None:
        """Inside a write's transaction, after memories were written (created, restored) or
        removed (archived, merged, erased) — ``everything``: after a bulk import. A server
        keeps what its own search indexes read in step here; an embedded store has nothing to do."""

    def get_memories(self, ids: list[str]) -> list[dict[str, Any]]:
        """Full rows of these memories (of this project), each once."""
        return self._memories_by_id(list(dict.fromkeys(ids)), ranking=False)

    def ranking_rows(self, ids: list[str] | None = None) -> list[dict[str, Any]]:
        """What the ranker needs of live memories (``queries.cypher.RANKING_FIELDS``): of
        these ids, or of every live memory of the project."""
        if ids is None:
            return self.run(q.ALL_RANKING_ROWS, {"project_id": self.project_id})
        return self._memories_by_id(list(dict.fromkeys(ids)), ranking=True)

    def _memories_by_id(self, ids: list[str], ranking: bool) -> list[dict[str, Any]]:
        """A key lookup per id, in one statement (a backend whose planner does better
        another way overrides this)."""
        if not ids:
            return []
        return self.run(q.memories_by_id("unwind", ranking), {"ids": ids, "project_id": self.project_id})

    def find_memories(self, with_embedding: bool = False, **filters: Any) -> list[dict[str, Any]]:
        """Memories of this project matching every given filter (see ``MEMORY_FILTERS``)."""
        unknown = set(filters) - set(q.MEMORY_FILTERS)
        if unknown:
            raise ValueError(f"unknown memory filters: {sorted(unknown)}")
        present = {name: value for name, value in filters.items() if value is not None}
        params = {"project_id": self.project_id, **present}
        return self.run(q.find_memories(sorted(present), with_embedding), params)

    def memory_vectors(self) -> tuple[list[dict[str, Any]], np.ndarray]:
        """Live memories' id, agent, kind, user_id and text, and their vectors in one float32
        matrix (NaN: none stored); as lists of Python floats, 650,000 took 15 GB."""
        rows = self.run(q.MEMORY_VECTORS, {"project_id": self.project_id})
        matrix = np.full((len(rows), self.dimension), np.nan, dtype=np.float32)
        for i, row in enumerate(rows):
            if (vector := row.pop("embedding")) is not None:
                matrix[i] = vector
        return rows, matrix

    def memory_texts(self) -> list[dict[str, Any]]:
        return self.run(q.MEMORY_TEXTS, {"project_id": self.project_id})

    def active_memory_ids(self) -> set[str]:
        return {row["id"] for row in self.run(q.ACTIVE_MEMORY_IDS, {"project_id": self.project_id})}

    # -- learning (memory/learning.py; the statements are in queries/learning.py) ------------

    def file_outcome(self, memory_id: str, agent: str, task_type: str, description: str) -> None:
        """A freshly created outcome is LEARNED by its agent (created when new) and ABOUT its task."""
        self.run(ql.FILE_OUTCOME, {
            "id": memory_id, "agent_key": agent_key(self.project_id, agent), "name": agent, "empty": [],
            "task_key": task_key(self.project_id, task_type, description), "project_id": self.project_id,
            "task_type": task_type, "description": description})

    def outcomes_among(self, agent: str, category: str, ids: list[str]) -> list[dict[str, Any]]:
        """Of ``ids``, the agent's live outcomes of the category, with the live heuristics and
        anti-patterns derived from them (``queries.learning.similar_outcomes``), or without
        the ``derived`` fields (the learner then asks ``derived_of``)."""
        if not ids:
            return []
        return self.run(ql.similar_outcomes("ids"), {**self._outcome_params(agent, category), "ids": ids})

    def derived_of(self, outcome_id: str, agent: str, category: str) -> list[dict[str, Any]]:
        """The agent's live heuristics and anti-patterns of the category derived from one outcome
        (``ql.DERIVED_FIELDS``), filtered here: in the statement, Kuzu scanned every memory."""
        return [{name: d[name] for name in ql.DERIVED_FIELDS}
                for d in self.run(ql.DERIVED_FROM_OUTCOME, {"id": outcome_id})
                if d["project_id"] == self.project_id and d["agent"] == agent and d["category"] == category
                and d["archived"] is False and d["derived_kind"] in ql.DERIVED_KINDS]

    def similar_outcomes(self, agent: str, category: str, vector: list[float], floor: float,
                         exclude: str) -> list[dict[str, Any]]:
        """The agent's live outcomes of the category but ``exclude``, with their vectors and
        derived memories: at least those whose cosine with ``vector`` is ``floor`` or more (here
        every one: a server that scores vectors itself sends fewer)."""
        return self.run(ql.similar_outcomes("all"), {**self._outcome_params(agent, category), "exclude": exclude})

    def _outcome_params(self, agent: str, category: str) -> dict[str, Any]:
        return {"project_id": self.project_id, "agent": agent, "category": category, "kind": ql.OUTCOME,
                "derived_kinds": ql.DERIVED_KINDS}

    def reinforce(self, memory_id: str, values: dict[str, Any], outcome_id: str) -> None:
        """``update_memory`` and a DERIVED_FROM edge to a new outcome, in one statement."""
        self.changed_memories([memory_id])
        params = {f"v_{name}": value for name, value in values.items()}
        self.run(ql.reinforce(list(values)), {**params, "id": memory_id, "outcome": outcome_id})

    # -- entities and facts -------------------------------------------------------------

    def merge_entities(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.run(q.MERGE_ENTITIES, {"rows": rows})

    def entity_names(self) -> list[dict[str, Any]]:
        return self.run(q.ENTITY_NAMES, {"project_id": self.project_id})

    def entities(self, keys: list[str]) -> list[dict[str, Any]]:
        return self.run(q.ENTITIES_BY_KEY, {"keys": keys}) if keys else []

    def find_entities(self, needle: str) -> list[dict[str, Any]]:
        return self.run(q.FIND_ENTITIES, {"project_id": self.project_id, "needle": needle})

    def subject_facts(self, subject: str, predicate: str) -> list[dict[str, Any]]:
        return self.run(q.SUBJECT_FACTS, {"subject": subject, "predicate": predicate})

    def close_fact(self, subject: str, obj: str, predicate: str, memory_id: str, valid_to: Any) -> None:
        self.run(q.CLOSE_FACT, {"subject": subject, "object": obj, "predicate": predicate,
                                "memory_id": memory_id, "valid_to": valid_to})

    def create_fact(self, subject: str, obj: str, predicate: str, memory_id: str, valid_from: Any,
                    valid_to: Any) -> None:
        self.run(q.CREATE_FACT, {"subject": subject, "object": obj, "predicate": predicate,
                                 "memory_id": memory_id, "valid_from": valid_from, "valid_to": valid_to})

    def subjects_facts(self, pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """``subject_facts`` for many (subject, predicate) pairs in one statement, each row
        naming its subject and predicate."""
        if not pairs:
            return []
        return self.run(q.SUBJECTS_FACTS, {"pairs": [{"subject": s, "predicate": p} for s, p in pairs]})

    def close_facts(self, rows: list[dict[str, Any]]) -> None:
        """``close_fact`` for many rows (subject, object, predicate, memory_id, valid_to)."""
        if rows:
            self.run(q.CLOSE_FACTS, {"rows": rows})

    def create_facts(self, rows: list[dict[str, Any]]) -> None:
        """``create_fact`` for many rows (subject, object, predicate, memory_id, valid_from, valid_to)."""
        open_rows = [{k: v for k, v in r.items() if k != "valid_to"} for r in rows if r["valid_to"] is None]
        closed = [r for r in rows if r["valid_to"] is not None]
        if open_rows:
            self.run(q.CREATE_OPEN_FACTS, {"rows": open_rows})
        if closed:
            self.run(q.CREATE_CLOSED_FACTS, {"rows": closed})

    def facts_around(self, keys: list[str]) -> list[dict[str, Any]]:
        return self.run(q.FACTS_AROUND, {"keys": keys}) if keys else []

    def mentioning(self, keys: list[str]) -> list[dict[str, Any]]:
        return self.run(q.MENTIONING, {"keys": keys}) if keys else []

    def mention_counts(self, keys: list[str]) -> dict[str, int]:
        return {r["entity"]: r["n"] for r in self.run(q.MENTION_COUNTS, {"keys": keys})} if keys else {}

    def session_memories(self, sessions: list[str]) -> list[dict[str, Any]]:
        if not sessions:
            return []
        return self.run(q.SESSION_MEMORIES, {"project_id": self.project_id, "sessions": sessions})

    def memories_between(self, start: Any, end: Any) -> list[dict[str, Any]]:
        return self.run(q.MEMORIES_BETWEEN, {"project_id": self.project_id, "window_start": start, "window_end": end})

    def memory_counts(self) -> list[dict[str, Any]]:
        return self.run(q.COUNT_MEMORIES, {"project_id": self.project_id})

    def node_counts(self) -> dict[str, int]:
        return {node.value: self.run(query, {"project_id": self.project_id})[0]["n"] for node, query in q.STORE_NODE_COUNTS.items()}

    # -- concepts (knowledge/concepts.py) and the graph signal's reads ----------------------------

    def merge_concepts(self, rows: list[dict[str, Any]]) -> None:
        """Concept nodes by key (key, project_id, name, norm_name, embedding); existing ones kept."""
        if rows:
            self.run(qc.merge_concepts(self.dimension, kuzu=self.name == "kuzu"), {"rows": rows})

    def link_concepts(self, rows: list[dict[str, Any]]) -> None:
        """HAS_CONCEPT edges: rows of memory_id, key, mention, speaker."""
        if rows:
            self.run(qc.MERGE_CONCEPT_LINKS, {"rows": rows})

    def link_similar(self, rows: list[dict[str, Any]]) -> None:
        """SIMILAR edges: rows of from_key, to_key, cosine."""
        if rows:
            self.run(qc.MERGE_SIMILAR, {"rows": rows})

    def concepts(self, keys: list[str]) -> list[dict[str, Any]]:
        return self.run(qc.CONCEPTS_BY_KEY, {"keys": keys}) if keys else []

    def concept_vectors(self) -> list[dict[str, Any]]:
        return self.run(qc.CONCEPT_VECTORS, {"project_id": self.project_id})

    def concepts_of(self, ids: list[str]) -> list[dict[str, Any]]:
        return self.run(qc.CONCEPTS_OF_MEMORIES, {"ids": ids}) if ids else []

    def concept_memories(self, keys: list[str]) -> list[dict[str, Any]]:
        return self.run(qc.CONCEPT_MEMORIES, {"keys": keys}) if keys else []

    def similar_among(self, keys: list[str]) -> list[dict[str, Any]]:
        return self.run(qc.SIMILAR_AMONG, {"keys": keys}) if keys else []

    def live_graph(self) -> dict[str, list[dict[str, Any]]]:
        """The live memories, every memory–concept, memory–entity and concept–concept link and
        every fact, for the graph signal's matrix (built once per write generation)."""
        params = {"project_id": self.project_id}
        return {"memories": self.run(qc.LIVE_MEMORIES, params), "concepts": self.run(qc.LIVE_CONCEPT_LINKS, params),
                "entities": self.run(qc.LIVE_ENTITY_LINKS, params), "similar": self.run(qc.SIMILAR_EDGES, params),
                "facts": self.run(qc.LIVE_FACTS, params)}

    def new_graph(self, memory_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """``live_graph`` for just these (newly written) memories: their rows, links and facts,
        and every SIMILAR edge touching one of their concepts."""
        ids, lookup = {"ids": list(memory_ids)}, self._id_lookup(len(memory_ids))
        concepts = self.run(qc.new_concept_links(lookup), ids)
        keys = sorted({r["key"] for r in concepts})
        return {"memories": self.run(qc.new_memories(lookup), ids), "concepts": concepts,
                "entities": self.run(qc.new_entity_links(lookup), ids),
                "similar": self.run(qc.SIMILAR_TOUCHING, {"keys": keys}) if keys else [],
                "facts": self._facts_of(ids["ids"])}

    def _id_lookup(self, count: int) -> str:
        """How a statement finds ``count`` memories by id (``queries.concepts._NEW``)."""
        return "in"

    def _facts_of(self, memory_ids: list[str]) -> list[dict[str, Any]]:
        return self.run(qc.NEW_FACTS, {"ids": memory_ids, "project_id": self.project_id})

    # -- memory administration: short ids, pages, erasure, the graph view ---------------------

    def memory_ids_with_prefix(self, prefix: str) -> list[str]:
        return [r["id"] for r in self.run(qa.MEMORIES_BY_PREFIX, {"project_id": self.project_id, "prefix": prefix})]

    def memory_page(self, agents: list[str], kind: str | None, include_archived: bool,
                    after: tuple[Any, str] | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` memories of ``agents``, newest first, below the (created_at, id) ``after``."""
        params: dict[str, Any] = {"project_id": self.project_id, "agents": list(agents)}
        if kind is not None:
            params["kind"] = kind
        if after is not None:
            params["cursor_at"], params["cursor_id"] = after
        return self.run(qa.memory_page(kind is not None, not include_archived, after is not None, limit), params)

    def memory_ownership(self) -> list[dict[str, Any]]:
        """Every memory's id, user_id, speaker and metadata: what says whom a memory is about."""
        return self.run(qa.MEMORY_OWNERSHIP, {"project_id": self.project_id})

    def facts_of_memories(self, ids: list[str]) -> list[dict[str, Any]]:
        return self.run(qa.FACTS_OF_MEMORIES, {"ids": ids}) if ids else []

    def entities_mentioned_by(self, ids: list[str]) -> list[dict[str, Any]]:
        return self.run(qa.ENTITIES_MENTIONED_BY, {"ids": ids}) if ids else []

    def subject_predicate_facts(self, subject: str, predicate: str) -> list[dict[str, Any]]:
        return self.run(qa.SUBJECT_PREDICATE_FACTS, {"subject": subject, "predicate": predicate})

    def set_fact_end(self, subject: str, obj: str, predicate: str, memory_id: str, valid_to: Any) -> None:
        """Re-date one fact: ``valid_to`` None makes it hold again."""
        params = {"subject": subject, "object": obj, "predicate": predicate, "memory_id": memory_id}
        if valid_to is None:
            self.run(qa.REOPEN_FACT, params)
        else:
            self.close_fact(subject, obj, predicate, memory_id, valid_to)

    def delete_fact(self, subject: str, obj: str, predicate: str, memory_id: str) -> None:
        self.run(qa.DELETE_FACT, {"subject": subject, "object": obj, "predicate": predicate, "memory_id": memory_id})

    def erase_memories(self, ids: list[str]) -> dict[str, int]:
        """Delete memories with every edge and fact they carry, then the entities and tasks
        nothing refers to any more. Call inside a transaction; returns counts."""
        if not ids:
            return {"memories": 0, "facts": 0, "entities": 0, "tasks": 0, "concepts": 0}
        facts = self.facts_of_memories(ids)
        concept_keys = sorted({r["key"] for r in self.concepts_of(ids)})
        entity_keys = {r["key"] for r in self.entities_mentioned_by(ids)}
        entity_keys |= {r[end] for r in facts for end in ("subject", "object")}
        self.changed_memories(ids)
        task_keys = [r["key"] for r in self.run(qa.TASKS_OF_MEMORIES, {"ids": ids})]
        self.run(qa.DELETE_FACTS_OF_MEMORIES, {"ids": ids})
        self.run(qa.DELETE_MEMORIES, {"ids": ids})
        entities = [r["key"] for r in self.run(qa.UNUSED_ENTITIES, {"keys": sorted(entity_keys)})] if entity_keys else []
        tasks = [r["key"] for r in self.run(qa.UNUSED_TASKS, {"keys": task_keys})] if task_keys else []
        if entities:
            self.run(qa.DELETE_ENTITIES, {"keys": entities})
        if tasks:
            self.run(qa.DELETE_TASKS, {"keys": tasks})
        # a concept only these memories named is their words: it goes with them
        concepts = [r["key"] for r in self.run(qc.UNUSED_CONCEPTS, {"keys": concept_keys})] if concept_keys else []
        if concepts:
            self.run(qc.DELETE_CONCEPTS, {"keys": concepts})
        return {"memories": len(ids), "facts": len(facts), "entities": len(entities), "tasks": len(tasks),
                "concepts": len(concepts)}

    def delete_user(self, user_id: str) -> bool:
        """Delete the User node (and its STATED edges); False when there was none."""
        key = user_key(self.project_id, user_id)
        if not self.run(qa.USER_EXISTS, {"key": key}):
            return False
        self.run(qa.DELETE_USER, {"key": key})
        return True

    def compact(self) -> None:
        """Rewrite storage so deleted values leave no bytes behind, where the backend can
        (embedded Kuzu does; a server manages its own files)."""

    def top_mentioned_entities(self, agents: list[str], limit: int) -> list[dict[str, Any]]:
        return self.run(qa.top_mentioned(limit), {"project_id": self.project_id, "agents": list(agents)})

    def version_links(self, ids: list[str]) -> list[dict[str, Any]]:
        """(newer, older) SUPERSEDES pairs touching the given memories."""
        return self.run(qa.VERSION_LINKS, {"ids": ids}) if ids else []

    def agent_links(self, edge: Edge, names: list[str]) -> list[dict[str, Any]]:
        return self.run(qa.agent_links(edge), {"project_id": self.project_id, "names": list(names)})

    # -- whole project: backup and copy between stores ---------------------------------------

    def project_nodes(self, node: Node) -> list[dict[str, Any]]:
        params = {"prefix": f"{self.project_id}/"} if node is Node.META else {"project_id": self.project_id}
        return self.run(q.project_nodes(node), params)

    def project_edges(self, edge: Edge) -> list[dict[str, Any]]:
        return self.run(q.project_edges(edge), {"project_id": self.project_id})

    def upsert_nodes(self, node: Node, rows: list[dict[str, Any]]) -> None:
        """MERGE by key. A null property is left out of the SET (Kuzu cannot type a
        column that is null in every row), so rows are grouped by which ones they set."""
        if node is Node.MEMORY:
            self.changed_memories(r["id"] for r in rows if r.get("id"))
        for names, group in _by_present(rows).items():
            self.run(q.upsert_nodes(node, list(names)), {"rows": group})

    def _check_schema_version(self) -> None:
        """Once the schema exists: refuse a store a newer alma_graph wrote, stamp an older or new one."""
        stored = self.get_meta("schema_version")
        if stored is not None and int(stored) > SCHEMA_VERSION:
            raise StorageError(
                f"project {self.project_id!r} at {self.location} was written by a newer alma_graph "
                f"(schema {stored}, this version reads {SCHEMA_VERSION}); upgrade alma_graph"
            )
        if stored is None or int(stored) != SCHEMA_VERSION:
            self.set_meta("schema_version", str(SCHEMA_VERSION))

    # -- feature nodes: workflows, checkpoints, artifacts, sessions, audit ----------------------

    def merge_workflow(self, key: str, workflow_id: str, now: Any) -> None:
        self.run(q.MERGE_WORKFLOW, {"key": key, "project_id": self.project_id, "workflow_id": workflow_id, "now": now})

    def workflow_exists(self, key: str) -> bool:
        return bool(self.run(q.GET_WORKFLOW, {"key": key}))

    def workflow_memories(self, key: str) -> list[dict[str, Any]]:
        return self.run(q.WORKFLOW_MEMORIES, {"key": key})

    def latest_checkpoint(self, workflow_key: str) -> dict[str, Any] | None:
        rows = self.run(q.LATEST_CHECKPOINT, {"key": workflow_key})
        return rows[0] if rows else None

    def create_checkpoint(self, row: dict[str, Any], workflow_key: str) -> None:
        self.run(q.CREATE_CHECKPOINT, {**row, "workflow_key": workflow_key})

    def project_checkpoints(self) -> list[dict[str, Any]]:
        """Every checkpoint of the project, newest first within each workflow."""
        return self.run(q.PROJECT_CHECKPOINTS, {"project_id": self.project_id})

    def delete_checkpoints(self, keys: list[str]) -> None:
        self.run(q.DELETE_CHECKPOINTS, {"keys": keys})

    def merge_artifact(self, values: dict[str, Any]) -> dict[str, Any]:
        """Create or update an artifact (``values`` holds its key and workflow_key); returns it."""
        self.run(q.MERGE_ARTIFACT, values)
        [row] = self.run(q.GET_ARTIFACT, {"key": values["key"]})
        return row

    def workflow_artifacts(self, workflow_key: str) -> list[dict[str, Any]]:
        return self.run(q.WORKFLOW_ARTIFACTS, {"key": workflow_key})

    def last_handoff(self, agent_key: str) -> dict[str, Any] | None:
        rows = self.run(q.LAST_HANDOFF, {"agent_key": agent_key})
        return rows[0] if rows else None

    def get_session(self, key: str) -> dict[str, Any] | None:
        rows = self.run(q.GET_SESSION, {"key": key})
        return rows[0] if rows else None

    def create_session(self, row: dict[str, Any], agent_key: str) -> None:
        self.run(q.CREATE_SESSION, {**row, "agent_key": agent_key})

    def set_handoff(self, key: str, values: dict[str, Any]) -> None:
        self.run(q.SET_HANDOFF, {"key": key, **values})

    def create_audit(self, row: dict[str, Any]) -> None:
        self.run(q.CREATE_AUDIT, row)

    def audit_records(self, limit: int, action: str | None = None) -> list[dict[str, Any]]:
        """The project's audit records, newest first (of one action when given)."""
        params: dict[str, Any] = {"project_id": self.project_id}
        if action is not None:
            params["action"] = action
        return self.run(q.audit_log(limit, action is not None), params)

    def top_memories(self, agents: list[str], kinds: list[str], limit: int) -> list[dict[str, Any]]:
        """The agents' live memories of these kinds that matter most (confidence, use), best first."""
        return self.run(q.top_memories(limit), {"project_id": self.project_id, "agents": agents, "kinds": kinds})

    def foreign_memory_ids(self, ids: list[str]) -> list[str]:
        """Those of ``ids`` that belong to another project on this server."""
        return [r["id"] for r in self.run(q.FOREIGN_MEMORY_IDS, {"ids": ids, "project_id": self.project_id})]

    def upsert_edges(self, edge: Edge, rows: list[dict[str, Any]], identity: Iterable[str] = ()) -> None:
        """MERGE edges (``from_key``, ``to_key`` and properties) between existing nodes."""
        identity = list(identity)
        for names, group in _by_present(rows).items():
            props = [n for n in names if n not in ("from_key", "to_key")]
            self.run(q.upsert_edges(edge, [n for n in identity if n in props], props), {"rows": group})


def _by_present(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        present = {k: v for k, v in row.items() if v is not None}
        groups.setdefault(tuple(sorted(present)), []).append(present)
    return groups


__all__ = ["GraphStore", "Node", "Edge"]
