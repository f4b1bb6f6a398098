"""Data statements shared by Kuzu and Neo4j (both speak this Cypher subset)."""

from __future__ import annotations

from alma_graph.graph_model import (
    EDGE_ENDS,
    EDGE_PROPERTIES,
    NODE_PROPERTIES,
    MEMORY_PROPERTIES,
    NODE_KEYS,
    Edge,
    Node,
)

# Memory columns returned to Python; the embedding is fetched only when asked.
# Statements that feed the derived indexes return rows in creation order: the
# indexes break score ties by insertion order, so a rebuilt index (or one built on
# another backend, which returns rows in its own order) ranks like the original.
MEMORY_FIELDS = [name for name in MEMORY_PROPERTIES if name != "embedding"]
_RETURN_MEMORY = ", ".join(f"m.{name} AS {name}" for name in MEMORY_FIELDS)


def _props(names, prefix="$") -> str:
    return ", ".join(f"{name}: {prefix}{name}" for name in names)


# -- agents and users -----------------------------------------------------------

MERGE_AGENT = """
MERGE (a:Agent {key: $key})
ON CREATE SET a.name = $name, a.project_id = $project_id, a.domain = $domain,
              a.can_learn = $can_learn, a.cannot_learn = $cannot_learn, a.shares_with_all = $shares_with_all
ON MATCH SET a.domain = $domain, a.can_learn = $can_learn, a.cannot_learn = $cannot_learn,
             a.shares_with_all = $shares_with_all
"""

ENSURE_AGENT = """
MERGE (a:Agent {key: $key})
ON CREATE SET a.name = $name, a.project_id = $project_id, a.can_learn = $empty, a.cannot_learn = $empty,
              a.shares_with_all = false
"""

ENSURE_USER = """
MERGE (u:User {key: $key})
ON CREATE SET u.user_id = $user_id, u.project_id = $project_id
"""

AGENT_NAMES = "MATCH (a:Agent) WHERE a.project_id = $project_id RETURN a.name AS name ORDER BY name"


def drop_agent_links(edge: Edge) -> str:
    return f"MATCH (a:Agent {{key: $key}})-[r:{edge.value}]->(:Agent) DELETE r"


def inherited_agents(max_depth: int) -> str:
    # Cypher cannot take a path length as a parameter; max_depth is a validated int.
    depth = int(max_depth)
    return (
        f"MATCH (a:Agent {{key: $key}})-[:INHERITS_FROM*1..{depth}]->(b:Agent) "
        "RETURN DISTINCT b.name AS name"
    )


SHARING_AGENTS = """
MATCH (c:Agent)-[:SHARES_WITH]->(a:Agent {key: $key})
RETURN DISTINCT c.name AS name
"""

SHARING_WITH_ALL = """
MATCH (c:Agent) WHERE c.project_id = $project_id AND c.shares_with_all = true AND c.key <> $key
RETURN c.name AS name
"""


# -- edges --------------------------------------------------------------------------

def merge_edge(edge: Edge) -> str:
    """Link two existing nodes by key; MERGE so a repeated link is not duplicated."""
    start, end = EDGE_ENDS[edge]
    return (
        f"MATCH (a:{start.value} {{{NODE_KEYS[start]}: $from_key}}), (b:{end.value} {{{NODE_KEYS[end]}: $to_key}}) "
        f"MERGE (a)-[:{edge.value}]->(b)"
    )


def merge_edges(edge: Edge) -> str:
    start, end = EDGE_ENDS[edge]
    return (
        "UNWIND $pairs AS p "
        f"MATCH (a:{start.value} {{{NODE_KEYS[start]}: p.from_key}}), (b:{end.value} {{{NODE_KEYS[end]}: p.to_key}}) "
        f"MERGE (a)-[:{edge.value}]->(b)"
    )


def edge_targets(edge: Edge) -> str:
    start, end = EDGE_ENDS[edge]
    return (
        f"MATCH (a:{start.value} {{{NODE_KEYS[start]}: $key}})-[:{edge.value}]->(b:{end.value}) "
        f"RETURN b.{NODE_KEYS[end]} AS key"
    )


def edge_sources(edge: Edge) -> str:
    start, end = EDGE_ENDS[edge]
    return (
        f"MATCH (a:{start.value})-[:{edge.value}]->(b:{end.value} {{{NODE_KEYS[end]}: $key}}) "
        f"RETURN a.{NODE_KEYS[start]} AS key"
    )


# -- tasks ------------------------------------------------------------------------------

MERGE_TASK = """
MERGE (t:Task {key: $key})
ON CREATE SET t.project_id = $project_id, t.task_type = $task_type, t.description = $description
"""


# -- memories -----------------------------------------------------------------------

def create_memories(labels: str = "Memory") -> str:
    """Create memory nodes from a list of rows; ``labels`` lets Neo4j add the kind label."""
    return f"UNWIND $rows AS r CREATE (m:{labels} {{{_props(MEMORY_PROPERTIES, 'r.')}}})"


def update_memory(fields: list[str]) -> str:
    """SET the given properties from parameters of the same name (``$v_<name>``)."""
    unknown = [f for f in fields if f not in MEMORY_PROPERTIES or f == "id"]
    if unknown:
        raise ValueError(f"not updatable memory properties: {unknown}")
    assignments = ", ".join(f"m.{name} = $v_{name}" for name in fields)
    return f"MATCH (m:Memory {{id: $id}}) SET {assignments}"


GET_MEMORIES = f"MATCH (m:Memory) WHERE m.id IN $ids RETURN {_RETURN_MEMORY}"

# Filters a caller may combine; each maps to one fixed predicate. (Kuzu 0.11
# crashes on "$x IS NULL OR ..." with a null list, so absent filters are omitted.)
MEMORY_FILTERS = {
    "agents": "m.agent IN $agents",
    "kind": "m.kind = $kind",
    "category": "m.category = $category",
    "success": "m.success = $success",
    "archived": "m.archived = $archived",
    "user_id": "m.user_id = $user_id",
    "ids": "m.id IN $ids",
}


def find_memories(filters: list[str], with_embedding: bool = False) -> str:
    clauses = ["m.project_id = $project_id"] + [MEMORY_FILTERS[name] for name in filters]
    returns = _RETURN_MEMORY + (", m.embedding AS embedding" if with_embedding else "")
    return f"MATCH (m:Memory) WHERE {' AND '.join(clauses)} RETURN {returns}"


MEMORY_VECTORS = """
MATCH (m:Memory)
WHERE m.project_id = $project_id AND m.archived = false
RETURN m.id AS id, m.agent AS agent, m.kind AS kind, m.user_id AS user_id, m.text AS text, m.embedding AS embedding
ORDER BY m.created_at, id
"""

MEMORY_TEXTS = """
MATCH (m:Memory)
WHERE m.project_id = $project_id AND m.archived = false
RETURN m.id AS id, m.agent AS agent, m.kind AS kind, m.user_id AS user_id, m.text AS text,
       m.session_id AS session_id, m.sequence AS sequence
ORDER BY m.created_at, id
"""

ACTIVE_MEMORY_IDS = "MATCH (m:Memory) WHERE m.project_id = $project_id AND m.archived = false RETURN m.id AS id"

COUNT_MEMORIES = """
MATCH (m:Memory) WHERE m.project_id = $project_id
RETURN m.agent AS agent, m.kind AS kind, m.archived AS archived, count(*) AS n
"""

# -- meta: schema version and the write generation that derived indexes track ----

GET_META = "MATCH (x:Meta {key: $key}) RETURN x.value AS value"
SET_META = "MERGE (x:Meta {key: $key}) SET x.value = $value"

STORE_NODE_COUNTS = {
    node: f"MATCH (n:{node.value}) WHERE n.project_id = $project_id RETURN count(n) AS n"
    for node in Node if node is not Node.META
}

# -- learning -------------------------------------------------------------------------

# Which outcome each live heuristic / anti-pattern of an agent was derived from.
DERIVED_SOURCES = """
MATCH (d:Memory)-[:DERIVED_FROM]->(o:Memory)
WHERE d.project_id = $project_id AND d.agent = $agent AND d.kind = $kind
  AND d.category = $category AND d.archived = false
RETURN d.id AS derived, o.id AS source
"""

# -- entities and relations ------------------------------------------------------------

MERGE_ENTITIES = """
UNWIND $rows AS e
MERGE (n:Entity {key: e.key})
ON CREATE SET n.project_id = e.project_id, n.name = e.name, n.norm_name = e.norm_name, n.type = e.type
"""

ENTITY_NAMES = "MATCH (n:Entity) WHERE n.project_id = $project_id RETURN n.name AS name, n.type AS type"

ENTITIES_BY_KEY = """
MATCH (n:Entity) WHERE n.key IN $keys
RETURN n.key AS key, n.name AS name, n.norm_name AS norm_name, n.type AS type
"""

FIND_ENTITIES = """
MATCH (n:Entity) WHERE n.project_id = $project_id AND n.norm_name CONTAINS $needle
RETURN n.key AS key, n.name AS name, n.norm_name AS norm_name, n.type AS type
"""

# Facts about one subject and predicate, for supersession.
SUBJECT_FACTS = """
MATCH (a:Entity {key: $subject})-[r:RELATED]->(b:Entity)
WHERE r.predicate = $predicate
RETURN b.key AS object, r.memory_id AS memory_id, r.valid_from AS valid_from, r.valid_to AS valid_to
"""

CLOSE_FACT = """
MATCH (a:Entity {key: $subject})-[r:RELATED]->(b:Entity {key: $object})
WHERE r.predicate = $predicate AND r.memory_id = $memory_id
SET r.valid_to = $valid_to
"""

CREATE_FACT = """
MATCH (a:Entity {key: $subject}), (b:Entity {key: $object})
CREATE (a)-[:RELATED {predicate: $predicate, memory_id: $memory_id, valid_from: $valid_from, valid_to: $valid_to}]->(b)
"""

# Every RELATED edge touching the given entities, both directions.
FACTS_AROUND = """
MATCH (a:Entity)-[r:RELATED]->(b:Entity)
WHERE a.key IN $keys OR b.key IN $keys
RETURN a.key AS subject, a.name AS subject_name, r.predicate AS predicate, b.key AS object, b.name AS object_name,
       r.memory_id AS memory_id, r.valid_from AS valid_from, r.valid_to AS valid_to
"""

# Memories that mention the given entities (live ones only).
MENTIONING = """
MATCH (m:Memory)-[:MENTIONS]->(n:Entity)
WHERE n.key IN $keys AND m.archived = false
RETURN m.id AS id, m.agent AS agent, m.kind AS kind, n.key AS entity
"""

# Memories of given sessions, for the neighbours signal.
SESSION_MEMORIES = """
MATCH (m:Memory)
WHERE m.project_id = $project_id AND m.session_id IN $sessions AND m.archived = false
RETURN m.id AS id, m.session_id AS session_id, m.sequence AS sequence, m.agent AS agent, m.kind AS kind
"""

# Memories in a time window, for the time signal.
MEMORIES_BETWEEN = """
MATCH (m:Memory)
WHERE m.project_id = $project_id AND m.archived = false AND m.occurred_at >= $window_start AND m.occurred_at < $window_end
RETURN m.id AS id, m.agent AS agent, m.kind AS kind, m.user_id AS user_id
"""


# -- whole project: backup and copy between stores --------------------------------------

def project_nodes(node: Node) -> str:
    """Every node of one label in a project, every property (Meta by its key prefix)."""
    where = "n.key STARTS WITH $prefix" if node is Node.META else "n.project_id = $project_id"
    returns = ", ".join(f"n.{name} AS {name}" for name in NODE_PROPERTIES[node])
    return f"MATCH (n:{node.value}) WHERE {where} RETURN {returns} ORDER BY n.{NODE_KEYS[node]}"


def project_edges(edge: Edge) -> str:
    """Every edge of one type whose start node is in the project, with its properties."""
    start, end = EDGE_ENDS[edge]
    extra = "".join(f", r.{name} AS {name}" for name in EDGE_PROPERTIES.get(edge, {}))
    return (
        f"MATCH (a:{start.value})-[r:{edge.value}]->(b:{end.value}) WHERE a.project_id = $project_id "
        f"RETURN a.{NODE_KEYS[start]} AS from_key, b.{NODE_KEYS[end]} AS to_key{extra}"
    )


# Memory ids are unique server-wide; an import must not collide with another project's.
FOREIGN_MEMORY_IDS = "MATCH (m:Memory) WHERE m.id IN $ids AND m.project_id <> $project_id RETURN m.id AS id"


def upsert_nodes(node: Node, names: list[str]) -> str:
    """MERGE nodes by key and SET the named properties from each row."""
    key = NODE_KEYS[node]
    unknown = [n for n in names if n not in NODE_PROPERTIES[node]]
    if unknown:
        raise ValueError(f"unknown {node.value} properties: {unknown}")
    sets = ", ".join(f"n.{name} = r.{name}" for name in names if name != key)
    return f"UNWIND $rows AS r MERGE (n:{node.value} {{{key}: r.{key}}})" + (f" SET {sets}" if sets else "")


def upsert_edges(edge: Edge, identity: list[str], names: list[str]) -> str:
    """MERGE edges between existing nodes; ``identity`` properties tell parallel edges
    apart (a RELATED fact per predicate and memory), ``names`` are SET."""
    start, end = EDGE_ENDS[edge]
    unknown = [n for n in [*identity, *names] if n not in EDGE_PROPERTIES.get(edge, {})]
    if unknown:
        raise ValueError(f"unknown {edge.value} properties: {unknown}")
    pattern = f" {{{_props(identity, 'p.')}}}" if identity else ""
    sets = ", ".join(f"r.{name} = p.{name}" for name in names if name not in identity)
    return (
        "UNWIND $rows AS p "
        f"MATCH (a:{start.value} {{{NODE_KEYS[start]}: p.from_key}}), (b:{end.value} {{{NODE_KEYS[end]}: p.to_key}}) "
        f"MERGE (a)-[r:{edge.value}{pattern}]->(b)" + (f" SET {sets}" if sets else "")
    )
