"""Graph knowledge: entities and dated relationships extracted from memories.

On every write, spaCy (``alma_graph.extractors``) finds the entities a memory
mentions and the relations between them. Each entity becomes one Entity node
per project (keyed by its normalised name), each mention a MENTIONS edge, each
relation a RELATED edge carrying its predicate, the memory it came from and
when it holds (``valid_from`` / ``valid_to``). A newer fact with the same
subject and a single-valued predicate closes the older edge instead of
deleting it, so the graph answers both "where does Bob work?" and "where did
Bob work in May?".

Reads (``related``, ``entity_context``, ``path``) only use edges whose source
memory the asking agent may see, and name that memory.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from alma_graph.backends.base import GraphStore
from alma_graph.config import ExtractionConfig
from alma_graph.errors import EntityNotFoundError
from alma_graph.graph_model import Edge
from alma_graph.knowledge.concepts import ConceptGraph, Embeds
from alma_graph.knowledge.names import NameMatcher
from alma_graph.models import MemoryKind
from alma_graph.memory.validation import check_number, check_text, shown
from alma_graph.memory.records import utcnow


@dataclass(frozen=True)
class Fact:
    """One RELATED edge, with the memory behind it."""

    subject: str
    predicate: str
    object: str
    memory_id: str
    memory_text: str
    agent: str
    valid_from: datetime | None
    valid_to: datetime | None

    @property
    def current(self) -> bool:
        return self.valid_to is None


@dataclass
class EntityContext:
    """What the graph knows around one entity, as one agent may see it."""

    entity: str
    type: str
    facts: list[Fact] = field(default_factory=list)  # edges within ``hops`` of the entity
    memories: list[dict[str, Any]] = field(default_factory=list)  # memories that mention it
    neighbors: list[str] = field(default_factory=list)

    def to_prompt(self) -> str:
        lines = [f"## {self.entity} ({self.type})"]
        lines += [f"- {f.subject} {f.predicate.replace('_', ' ')} {f.object}" +
                  (f" (until {f.valid_to:%Y-%m-%d})" if f.valid_to else "") for f in self.facts]
        lines += [f"- mentioned: {m['text']}" for m in self.memories[:5]]
        return "\n".join(lines)


def extraction_text(row: dict[str, Any]) -> str:
    """The words of a memory worth extracting from (labels like 'strategy:' left out)."""
    kind = row["kind"]
    if kind == MemoryKind.OUTCOME.value:
        return f"{row['task_description']}. {row['strategy_used']}"
    if kind == MemoryKind.HEURISTIC.value:
        return f"{row['condition']}. {row['strategy']}"
    if kind == MemoryKind.ANTI_PATTERN.value:
        return f"{row['pattern']}. {row['why_bad']}"
    text = row["fact"] or row["preference"] or row["text"]
    speaker = row.get("speaker")
    if speaker and text.startswith(f"{speaker}:"):  # "Caroline: I went..." — the speaker is passed apart
        text = text[len(speaker) + 1:].lstrip()
    return text


class KnowledgeGraph:
    def __init__(self, store: GraphStore, config: ExtractionConfig, embedder: Embeds | None = None):
        self.store = store
        self.config = config
        self.concepts = ConceptGraph(store, config, embedder)
        self._extractor = None
        self._names: NameMatcher | None = None  # the entity names a query can name
        self._lock = threading.Lock()

    @property
    def extractor(self):
        """The spaCy extractor, created on first use and primed with the project's entity names."""
        with self._lock:
            if self._extractor is None:
                from alma_graph.extractors import EntityExtractor

                known = {row["name"]: row["type"] for row in self.store.entity_names() if row["name"]}
                self._extractor = EntityExtractor(aliases=self.config.aliases, known_names=known)
            return self._extractor

    def forget_known_names(self) -> None:
        """Drop the extractor so it is primed again from the graph's entities on next use."""
        with self._lock:
            self._extractor = None
            self._names = None
        self.concepts.forget()

    def entity_key(self, norm_name: str) -> str:
        return f"{self.store.project_id}/{norm_name}"

    # -- writing ------------------------------------------------------------------------

    def extract(self, rows: list[dict[str, Any]]) -> list:
        """One Extraction per row (batched through spaCy). Runs before the transaction."""
        if not self.config.enabled or not rows:
            return [None] * len(rows)
        texts = [extraction_text(r) for r in rows]
        extractions = self.extractor.extract_batch(texts, speakers=[r.get("speaker") for r in rows])
        self.concepts.prepare(extractions)
        return _share_batch_names(texts, extractions)

    def write(self, rows: list[dict[str, Any]], extractions: list) -> None:
        """Entities, MENTIONS and dated RELATED edges for freshly created memories.

        Runs inside the caller's transaction, after the memory rows exist. A fixed
        number of statements however many rows: no per-entity or per-fact round trip."""
        entities, mentions, facts = self._graph_of(rows, extractions)
        self.store.merge_entities(list(entities.values()))
        self.store.link_new(Edge.MENTIONS, mentions)  # the memories are new: so are their edges
        self.concepts.write(rows, extractions)
        self._add_facts(facts)
        if entities and self._extractor is not None:
            self._extractor.add_known_names({e["name"]: e["type"] for e in entities.values()})
        if entities and self._names is not None:
            self._names.add({e["norm_name"]: e["name"] for e in entities.values()})

    def _graph_of(self, rows: list[dict[str, Any]], extractions: list) -> tuple[dict[str, dict[str, Any]], list, list]:
        """What the extractions add to the graph: entity rows by key, (memory, entity) mentions,
        and (subject, predicate, object, memory, valid_from) facts."""
        from alma_graph.extractors import norm_name

        entities: dict[str, dict[str, Any]] = {}
        mentions: list[tuple[str, str]] = []
        facts: list[tuple[str, str, str, str, datetime]] = []

        def entity(name: str, norm: str, etype: str) -> str:
            key = self.entity_key(norm)
            entities.setdefault(key, {"key": key, "project_id": self.store.project_id, "name": name,
                                      "norm_name": norm, "type": etype})
            return key

        for row, extraction in zip(rows, extractions):
            named = [(e.name, e.norm_name, e.type) for e in (extraction.entities if extraction else ())]
            if row.get("speaker"):
                named.append((row["speaker"], norm_name(row["speaker"], self.config.aliases or None), "PERSON"))
            mentions.extend((row["id"], entity(*n)) for n in named)
            for relation in (extraction.relations if extraction else ()):
                subject, obj = relation.subject, relation.object
                facts.append((entity(subject.name, subject.norm_name, subject.type), relation.predicate,
                              entity(obj.name, obj.norm_name, obj.type), row["id"], row["occurred_at"] or utcnow()))
        return entities, list(dict.fromkeys(mentions)), facts

    def _add_facts(self, facts: list[tuple[str, str, str, str, datetime]]) -> None:
        """RELATED edges, oldest first. For a single-valued predicate a new object ends the
        subject's current fact when the new one begins, and a fact arriving late (older than
        one already stored) holds only until the newer one began. The facts stored for those
        subjects are read once, the batch is resolved in memory, then written in two statements."""
        if not facts:
            return
        single = self.config.single_valued_predicates
        known: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in self.store.subjects_facts(sorted({(f[0], f[1]) for f in facts if f[1] in single})):
            known.setdefault((row["subject"], row["predicate"]), []).append({**row, "stored": True})
        closes: dict[tuple[str, str, str, str], Any] = {}  # stored edges to end, last value wins
        created: list[dict[str, Any]] = []
        for subject, predicate, obj, memory_id, valid_from in sorted(facts, key=lambda f: f[4]):
            valid_to = None
            if predicate in single:
                same = known.setdefault((subject, predicate), [])
                for old in [dict(o) for o in same]:  # as they stood before this fact
                    if old["object"] == obj:
                        continue
                    starts = old["valid_from"]
                    if starts is not None and starts > valid_from:
                        valid_to = starts if valid_to is None else min(valid_to, starts)
                    elif old["valid_to"] is None or old["valid_to"] > valid_from:
                        for edge in same:  # every edge with that object and memory, as CLOSE_FACT does
                            if edge["object"] == old["object"] and edge["memory_id"] == old["memory_id"]:
                                edge["valid_to"] = valid_from
                                if edge["stored"]:
                                    closes[(subject, edge["object"], predicate, edge["memory_id"])] = valid_from
            fact = {"subject": subject, "object": obj, "predicate": predicate, "memory_id": memory_id,
                    "valid_from": valid_from, "valid_to": valid_to, "stored": False}
            known.setdefault((subject, predicate), []).append(fact)
            created.append(fact)
        self.store.close_facts([{"subject": s, "object": o, "predicate": p, "memory_id": m, "valid_to": v}
                                for (s, o, p, m), v in closes.items()])
        self.store.create_facts([{k: v for k, v in f.items() if k != "stored"} for f in created])

    # -- reading -------------------------------------------------------------------------

    def resolve(self, name: str, visible: dict[str, str | None]) -> dict[str, Any]:
        """The Entity node a name refers to, among those the agent may read about (mentioned by,
        or in a fact of, a memory of a ``visible`` agent): exact normalised name, else a unique
        partial match. Other agents' entity names never appear, not even in the error."""
        from alma_graph.extractors import norm_name

        name = check_text(name, "entity name", 500)
        norm = norm_name(name, self.config.aliases or None)
        exact = self._readable(self.store.entities([self.entity_key(norm)]), visible)
        if exact:
            return exact[0]
        partial = self._readable(self.store.find_entities(norm), visible) if norm else []
        if len(partial) == 1:
            return partial[0]
        if partial:
            names = ", ".join(sorted(p["name"] for p in partial)[:10])
            raise EntityNotFoundError(f"{shown(name)} matches several entities ({names}); use the full name")
        raise EntityNotFoundError(f"no entity named {shown(name)} in the memories this agent may read")

    def _readable(self, entities: list[dict[str, Any]], visible: dict[str, str | None]) -> list[dict[str, Any]]:
        """The entities a live memory of a visible agent mentions or states a fact about."""
        keys = [e["key"] for e in entities]
        seen = {m["entity"] for m in self.store.mentioning(keys) if m["agent"] in visible}
        rest = [k for k in keys if k not in seen]
        if rest:
            for _, subject, obj in self._visible_facts(rest, visible, include_history=True):
                seen |= {subject, obj}
        return [e for e in entities if e["key"] in seen]

    def _visible_facts(self, keys: Iterable[str], visible: dict[str, str | None], as_of: datetime | None = None,
                       include_history: bool = False) -> list[tuple[Fact, str, str]]:
        """(fact, subject key, object key) for edges touching ``keys`` whose source memory
        the agent may see and which hold at ``as_of`` (now by default)."""
        rows = self.store.facts_around(list(keys))
        memories = {m["id"]: m for m in self.store.get_memories(list({r["memory_id"] for r in rows}))}
        when = as_of or utcnow()
        out = []
        for r in rows:
            memory = memories.get(r["memory_id"])
            if memory is None or memory["archived"] or memory["agent"] not in visible:
                continue
            if not include_history and not _holds(r["valid_from"], r["valid_to"], when):
                continue
            fact = Fact(r["subject_name"], r["predicate"], r["object_name"], r["memory_id"], memory["text"],
                        memory["agent"], r["valid_from"], r["valid_to"])
            out.append((fact, r["subject"], r["object"]))
        return out

    def related(self, name: str, visible: dict[str, str | None], predicate: str | None = None,
                as_of: datetime | None = None, include_history: bool = False) -> list[Fact]:
        entity = self.resolve(name, visible)
        facts = [f for f, _, _ in self._visible_facts([entity["key"]], visible, as_of, include_history)]
        if predicate is not None:
            facts = [f for f in facts if f.predicate == predicate]
        return sorted(facts, key=lambda f: (f.predicate, f.object, f.valid_from or utcnow()))

    def _expand(self, start: str, visible, as_of, hops: int, stop_at: str | None = None):
        """Breadth-first over visible facts: every (fact, subject key, object key) within ``hops``."""
        frontier, seen, found = {start}, {start}, {}
        for _ in range(hops):
            next_frontier: set[str] = set()
            for fact, subject, obj in self._visible_facts(frontier, visible, as_of):
                found[(fact.memory_id, fact.predicate, subject, obj)] = (fact, subject, obj)
                next_frontier |= {subject, obj} - seen
            seen |= next_frontier
            frontier = next_frontier
            if not frontier or (stop_at is not None and stop_at in seen):
                break
        return list(found.values())

    def entity_context(self, name: str, visible: dict[str, str | None], hops: int = 2,
                       as_of: datetime | None = None) -> EntityContext:
        check_number(hops, "hops", 1, 4, integer=True)
        entity = self.resolve(name, visible)
        facts = [f for f, _, _ in self._expand(entity["key"], visible, as_of, hops)]
        mentioned = [m for m in self.store.mentioning([entity["key"]]) if m["agent"] in visible]
        memory_rows = self.store.get_memories([m["id"] for m in mentioned])
        neighbors = sorted({n for f in facts for n in (f.subject, f.object)} - {entity["name"]})
        return EntityContext(
            entity=entity["name"], type=entity["type"], facts=facts,
            memories=[{"id": r["id"], "text": r["text"], "agent": r["agent"], "kind": r["kind"]} for r in memory_rows],
            neighbors=neighbors,
        )

    def path(self, a: str, b: str, visible: dict[str, str | None], max_hops: int = 4,
             as_of: datetime | None = None) -> list[Fact]:
        """The shortest chain of visible facts linking two entities (empty when none within max_hops)."""
        import networkx as nx

        start, goal = self.resolve(a, visible), self.resolve(b, visible)
        if start["key"] == goal["key"]:
            return []
        graph = nx.Graph()
        for fact, subject, obj in self._expand(start["key"], visible, as_of, max_hops, stop_at=goal["key"]):
            graph.add_edge(subject, obj, fact=fact)
        try:
            nodes = nx.shortest_path(graph, start["key"], goal["key"])
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return []
        return [graph.edges[u, v]["fact"] for u, v in zip(nodes, nodes[1:])]

    # -- for retrieval ----------------------------------------------------------------------

    @property
    def names(self) -> NameMatcher:
        """The project's entity names, for finding them in queries (loaded on first use)."""
        with self._lock:
            if self._names is None:
                names = NameMatcher(self.config.aliases)
                names.add({row["norm_name"]: row["name"] for row in self.store.entity_names() if row["norm_name"]})
                self._names = names
            return self._names

    def query_entities(self, text: str) -> dict[str, str]:
        """Entities of the graph a query names, as key -> name: its n-grams looked up among
        the graph's entity names (``knowledge.names``; no parse of the query)."""
        if not self.config.enabled:
            return {}
        keys = [self.entity_key(norm) for norm in self.names.find(text)]
        return {row["key"]: row["name"] for row in self.store.entities(keys)}


def _holds(valid_from: datetime | None, valid_to: datetime | None, when: datetime) -> bool:
    return (valid_from is None or valid_from <= when) and (valid_to is None or valid_to > when)


def _share_batch_names(texts: list[str], extractions: list) -> list:
    """Names found anywhere in a batch also count where NER missed them in another text
    of the same batch ("Acme Corp" recognised in one sentence, not in the next) — the
    batch's own version of matching against the project's known entity names."""
    import re
    from dataclasses import replace

    names = {e.name.lower(): e for x in extractions for e in x.entities if e.type != "DATE" and len(e.name) >= 3}
    if len(texts) < 2 or not names:
        return extractions
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b", re.I)
    out = []
    for text, extraction in zip(texts, extractions):
        have = {e.norm_name for e in extraction.entities}
        extra = []
        for match in pattern.finditer(text):
            entity = names[match.group(1).lower()]
            if entity.norm_name not in have:
                have.add(entity.norm_name)
                extra.append(entity)
        out.append(replace(extraction, entities=extraction.entities + tuple(extra)) if extra else extraction)
    return out
