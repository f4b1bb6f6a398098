"""``graph``: the part of the graph one agent may see, as nodes and edges for a viewer.

Around a center — a memory (id or short id), an entity (key or name) or an agent
(``agent:NAME`` or its name) — the view grows ``hops`` steps: a memory leads to the
entities it mentions, the concepts it names (``HAS_CONCEPT``), its agent and its other
versions; an entity to the facts (``RELATED``) about it and the memories that mention it;
a concept to the memories that name it (concepts in view show their ``SIMILAR`` edges); an agent to its newest
memories and the agents it inherits from or shares with. Without a center: the
visible agents with their links, and the entities their memories mention most,
with the facts between them. Only memories of visible agents (own, inherited,
shared) and what they state appear; a fact that no longer holds carries its
``valid_to`` and ``superseded: true``. ``limit`` caps the nodes (``truncated`` says
when it cut).

    {"center": ..., "nodes": [{"id", "kind", "label", "props"}],
     "edges": [{"id", "source", "target", "type", "props"}], "truncated": false}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alma_graph.context import Context
from alma_graph.errors import NotFoundError, ValidationError
from alma_graph.graph_model import Edge
from alma_graph.memory.access import MIN_PREFIX, resolve
from alma_graph.memory.records import utcnow
from alma_graph.memory.validation import check_name, is_int, shown

AGENT_PREFIX = "agent:"
LABEL_CHARS = 200


def _plain(props: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready property values (times as ISO 8601)."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in props.items()}


def _check_int(value: Any, what: str, low: int, high: int) -> int:
    if not is_int(value, low, high):
        raise ValidationError(f"{what} must be an integer between {low} and {high}, got {shown(value)}")
    return value


class _View:
    def __init__(self, ctx: Context, visible: dict[str, str | None], limit: int):
        self.ctx, self.store, self.visible, self.limit = ctx, ctx.store, visible, limit
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[str, dict[str, Any]] = {}
        self.truncated = False
        self.now = utcnow()

    def _add(self, node_id: str, kind: str, label: str, props: dict[str, Any]) -> bool:
        if node_id in self.nodes:
            return False
        if len(self.nodes) >= self.limit:
            self.truncated = True
            return False
        self.nodes[node_id] = {"id": node_id, "kind": kind, "label": label, "props": _plain(props)}
        return True

    def edge(self, edge: Edge, source: str, target: str, props: dict[str, Any] | None = None, tag: str = "") -> None:
        edge_id = f"{edge.value}:{source}->{target}{tag}"
        self.edges.setdefault(edge_id, {"id": edge_id, "source": source, "target": target, "type": edge.value,
                                        "props": _plain(props or {})})

    # -- nodes --------------------------------------------------------------------------------

    def add_agent(self, name: str) -> str | None:
        relation = "self" if self.visible.get(name, "") is None else "visible"
        node_id = AGENT_PREFIX + name
        return node_id if self._add(node_id, "agent", name, {"relation": relation}) else None

    def add_memory(self, row: dict[str, Any]) -> str | None:
        props = {k: row.get(k) for k in ("kind", "agent", "category", "confidence", "archived", "created_at",
                                          "user_id")}
        props["shared_from"] = self.visible.get(row["agent"])
        return row["id"] if self._add(row["id"], "memory", (row["text"] or "")[:LABEL_CHARS], props) else None

    def add_entity(self, entity: dict[str, Any]) -> str | None:
        key = entity["key"]
        return key if self._add(key, "entity", entity["name"], {"type": entity.get("type")}) else None

    def add_concept(self, key: str, name: str) -> str | None:
        return key if self._add(key, "concept", name, {}) else None

    # -- neighbourhoods ---------------------------------------------------------------------------

    def visible_memory(self, row: dict[str, Any] | None) -> bool:
        return row is not None and row["agent"] in self.visible

    def expand_memories(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for m in self.store.entities_mentioned_by(ids):
            if self.add_entity(m) or m["key"] in self.nodes:
                found.add(m["key"])
                self.edge(Edge.MENTIONS, m["memory_id"], m["key"])
        for c in self.store.concepts_of(ids):
            if self.add_concept(c["key"], c["name"]) or c["key"] in self.nodes:
                found.add(c["key"])
                self.edge(Edge.HAS_CONCEPT, c["memory_id"], c["key"], {"mention": c["mention"], "speaker": c["speaker"]})
        rows = self.store.get_memories(ids)
        for row in rows:
            if row["agent"] in self.visible and (self.add_agent(row["agent"]) or AGENT_PREFIX + row["agent"] in self.nodes):
                found.add(AGENT_PREFIX + row["agent"])
                self.edge(Edge.LEARNED, AGENT_PREFIX + row["agent"], row["id"])
        links = self.store.version_links(ids)
        versions = {r["id"]: r for r in self.store.get_memories(sorted({i for link in links for i in link.values()}))}
        for link in links:
            newer, older = versions.get(link["newer"]), versions.get(link["older"])
            if newer is not None and older is not None and self.visible_memory(newer) and self.visible_memory(older):
                for version in (newer, older):
                    if self.add_memory(version) or version["id"] in self.nodes:
                        found.add(version["id"])
                self.edge(Edge.SUPERSEDES, link["newer"], link["older"])
        return found

    def expand_entities(self, keys: list[str]) -> set[str]:
        found: set[str] = set()
        facts = self.store.facts_around(keys)
        memories = {r["id"]: r for r in self.store.get_memories(sorted({f["memory_id"] for f in facts}))}
        for fact in facts:
            memory = memories.get(fact["memory_id"])
            if memory is None or not self.visible_memory(memory) or memory["archived"]:
                continue
            ends = []
            for end in ("subject", "object"):
                key = fact[end]
                if self.add_entity({"key": key, "name": fact[f"{end}_name"], "type": None}) or key in self.nodes:
                    ends.append(key)
            if len(ends) == 2:
                found.update(ends)
                superseded = fact["valid_to"] is not None and fact["valid_to"] <= self.now
                self.edge(Edge.RELATED, fact["subject"], fact["object"], tag=f":{fact['predicate']}:{fact['memory_id']}",
                          props={"predicate": fact["predicate"], "memory_id": fact["memory_id"],
                                 "valid_from": fact["valid_from"], "valid_to": fact["valid_to"],
                                 "superseded": superseded})
        mentioning = [m for m in self.store.mentioning(keys) if m["agent"] in self.visible]
        rows = {r["id"]: r for r in self.store.get_memories(sorted({m["id"] for m in mentioning}))}
        for mention in mentioning:
            row = rows.get(mention["id"])
            if row is not None and (self.add_memory(row) or row["id"] in self.nodes):
                found.add(row["id"])
                self.edge(Edge.MENTIONS, row["id"], mention["entity"])
        return found

    def expand_concepts(self, keys: list[str]) -> set[str]:
        found: set[str] = set()
        links = [m for m in self.store.concept_memories(keys) if m["agent"] in self.visible]
        rows = {r["id"]: r for r in self.store.get_memories(sorted({m["id"] for m in links}))}
        for link in links:
            row = rows.get(link["id"])
            if row is not None and (self.add_memory(row) or row["id"] in self.nodes):
                found.add(row["id"])
                self.edge(Edge.HAS_CONCEPT, row["id"], link["key"], {"mention": link["mention"], "speaker": link["speaker"]})
        return found

    def expand_agents(self, names: list[str]) -> set[str]:
        found: set[str] = set()
        visible = sorted(self.visible)
        for edge in (Edge.INHERITS_FROM, Edge.SHARES_WITH):
            for link in self.store.agent_links(edge, visible):
                if link["source"] in names or link["target"] in names:
                    for name in (link["source"], link["target"]):
                        if self.add_agent(name) or AGENT_PREFIX + name in self.nodes:
                            found.add(AGENT_PREFIX + name)
                    self.edge(edge, AGENT_PREFIX + link["source"], AGENT_PREFIX + link["target"])
        for name in names:
            for row in self.store.memory_page([name], None, False, None, self.limit):
                if self.add_memory(row) or row["id"] in self.nodes:
                    found.add(row["id"])
                    self.edge(Edge.LEARNED, AGENT_PREFIX + name, row["id"])
        return found

    def expand(self, frontier: set[str]) -> set[str]:
        kinds = {node_id: self.nodes[node_id]["kind"] for node_id in frontier if node_id in self.nodes}
        found: set[str] = set()
        memories = [i for i, k in kinds.items() if k == "memory"]
        entities = [i for i, k in kinds.items() if k == "entity"]
        concepts = [i for i, k in kinds.items() if k == "concept"]
        agents = [i[len(AGENT_PREFIX):] for i, k in kinds.items() if k == "agent"]
        if memories:
            found |= self.expand_memories(sorted(memories))
        if entities:
            found |= self.expand_entities(sorted(entities))
        if concepts:
            found |= self.expand_concepts(sorted(concepts))
        if agents:
            found |= self.expand_agents(sorted(agents))
        return found - frontier

    def result(self, center: str | None) -> dict[str, Any]:
        untyped = [n["id"] for n in self.nodes.values() if n["kind"] == "entity" and n["props"].get("type") is None]
        for entity in self.store.entities(untyped):  # fact ends arrive without their type
            self.nodes[entity["key"]]["props"]["type"] = entity["type"]
        concepts = sorted(n["id"] for n in self.nodes.values() if n["kind"] == "concept")
        for link in self.store.similar_among(concepts):  # both ends already shown through visible memories
            self.edge(Edge.SIMILAR, link["from_key"], link["to_key"], {"cosine": link["cosine"]})
        edges = [e for e in self.edges.values() if e["source"] in self.nodes and e["target"] in self.nodes]
        return {"center": center, "nodes": list(self.nodes.values()), "edges": edges, "truncated": self.truncated}


def _center(view: _View, center: str, agent: str) -> str:
    """The node id of the center: an agent, a memory, an entity key, an entity name."""
    ctx, store = view.ctx, view.store
    name = center[len(AGENT_PREFIX):] if center.startswith(AGENT_PREFIX) else center
    if name in view.visible:
        return view.add_agent(name) or AGENT_PREFIX + name
    if center.startswith(AGENT_PREFIX):
        raise NotFoundError(f"no agent {name!r} visible to agent {agent!r}")
    if store.get_memories([center]) or len(center) >= MIN_PREFIX and store.memory_ids_with_prefix(center):
        row, _ = resolve(ctx, center, agent)
        return view.add_memory(row) or row["id"]
    by_key = store.entities([center])
    entity: dict[str, Any] | None = by_key[0] if by_key else None
    if entity is None:
        try:
            entity = ctx.knowledge.resolve(center, view.visible)
        except NotFoundError:
            entity = None
    if entity is not None:
        probe = _View(ctx, view.visible, 2)
        probe.add_entity(entity)
        if probe.expand_entities([entity["key"]]):  # seen through at least one visible memory or fact
            return view.add_entity(entity) or entity["key"]
    concept = store.concepts([center])
    if concept and _View(ctx, view.visible, 2).expand_concepts([center]):  # named by a visible memory
        return view.add_concept(center, concept[0]["name"]) or center
    raise NotFoundError(f"nothing named {center!r} visible to agent {agent!r}: give a memory id, an entity's "
                        "name or key, or an agent name")


def graph(ctx: Context, agent: str, center: str | None = None, hops: int = 1, limit: int = 200) -> dict[str, Any]:
    ctx.check_open()
    agent = check_name(agent)
    hops = _check_int(hops, "hops", 1, 4)
    limit = _check_int(limit, "limit", 1, 1000)
    if center is not None and (not isinstance(center, str) or not center.strip()):
        raise ValidationError("center must be a non-empty string (a memory id, an entity or an agent), or omitted")
    view = _View(ctx, ctx.visible(agent), limit)
    if center is None:
        names = sorted(view.visible)
        for name in names:
            view.add_agent(name)
        for edge in (Edge.INHERITS_FROM, Edge.SHARES_WITH):
            for link in view.store.agent_links(edge, names):
                view.edge(edge, AGENT_PREFIX + link["source"], AGENT_PREFIX + link["target"])
        keys = [e["key"] for e in view.store.top_mentioned_entities(names, limit) if view.add_entity(e)]
        if keys:
            facts_view = _View(ctx, view.visible, limit)  # the facts among the chosen entities only
            facts_view.nodes = dict(view.nodes)
            facts_view.limit = len(view.nodes)
            facts_view.expand_entities(keys)
            view.edges.update({k: e for k, e in facts_view.edges.items() if e["type"] == Edge.RELATED.value})
        return view.result(None)
    start = _center(view, center.strip(), agent)
    frontier = {start}
    for _ in range(hops):
        frontier = view.expand(frontier)
        if not frontier:
            break
    return view.result(start)
