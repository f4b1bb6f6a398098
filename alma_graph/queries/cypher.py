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

# What an agent first written by one of its memories gets (``queries.learning`` reuses them).
NEW_AGENT = ("a.name = $name, a.project_id = $project_id, a.can_learn = $empty, a.cannot_learn = $empty, "
             "a.shares_with_all = false")
ENSURE_AGENT = f"MERGE (a:Agent {{key: $key}}) ON CREATE SET {NEW_AGENT}"

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


def create_edges(edge: Edge) -> str:
    """Edges known to be new (one end was created in the same transaction): CREATE, since a
    MERGE first looks through the other end's edges — an agent's LEARNED edges are all its memories."""
    start, end = EDGE_ENDS[edge]
    return (
        "UNWIND $pairs AS p "
        f"MATCH (a:{start.value} {{{NODE_KEYS[start]}: p.from_key}}), (b:{end.value} {{{NODE_KEYS[end]}: p.to_key}}) "
        f"CREATE (a)-[:{edge.value}]->(b)"
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

NEW_TASK = "t.project_id = $project_id, t.task_type = $task_type, t.description = $description"
MERGE_TASK = f"MERGE (t:Task {{key: $key}}) ON CREATE SET {NEW_TASK}"


# -- memories -----------------------------------------------------------------------

def create_memories(labels: str = "Memory") -> str:
    """Create memory nodes from a list of rows; ``labels`` lets Neo4j add the kind label."""
    return f"UNWIND $rows AS r CREATE (m:{labels} {{{_props(MEMORY_PROPERTIES, 'r.')}}})"


def memory_assignments(fields: list[str]) -> str:
    """``m.<name> = $v_<name>`` for each given property, for a SET."""
    unknown = [f for f in fields if f not in MEMORY_PROPERTIES or f == "id"]
    if unknown:
        raise ValueError(f"not updatable memory properties: {unknown}")
    return ", ".join(f"m.{name} = $v_{name}" for name in fields)


def update_memory(fields: list[str]) -> str:
    """SET the given properties from parameters of the same name (``$v_<name>``)."""
    return f"MATCH (m:Memory {{id: $id}}) SET {memory_assignments(fields)}"


# What retrieval reads of every candidate, kept in memory (``indexes.rows``): the whole
# row but the embedding (a Kuzu key lookup of a full row costs ~1 ms; five per retrieve
# were a third of its time).
RANKING_FIELDS = MEMORY_FIELDS
_RETURN_RANKING = ", ".join(f"m.{name} AS {name}" for name in RANKING_FIELDS)


def memories_by_id(lookup: str, ranking: bool = False) -> str:
    """Memories of this project by id: full rows, or the ranking fields of live ones.
    ``lookup``: "one" ($id, a key lookup) or "unwind" ($ids: a key lookup each on Neo4j,
    a join of the ids with one pass over the memories on Kuzu)."""
    where = "m.project_id = $project_id" + (" AND m.archived = false" if ranking else "")
    returns = _RETURN_RANKING if ranking else _RETURN_MEMORY
    match = {"one": "MATCH (m:Memory {id: $id})", "unwind": "UNWIND $ids AS i MATCH (m:Memory {id: i})"}[lookup]
    return f"{match} WHERE {where} RETURN {returns}"


ALL_RANKING_ROWS = f"MATCH (m:Memory) WHERE m.project_id = $project_id AND m.archived = false RETURN {_RETURN_RANKING}"

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

# -- entities and relations ------------------------------------------------------------

MERGE_ENTITIES = """
UNWIND $rows AS e
MERGE (n:Entity {key: e.key})
ON CREATE SET n.project_id = e.project_id, n.name = e.name, n.norm_name = e.norm_name, n.type = e.type
"""

ENTITY_NAMES = ("MATCH (n:Entity) WHERE n.project_id = $project_id "
                "RETURN n.name AS name, n.type AS type, n.norm_name AS norm_name")

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

# The batched forms, one statement for a whole write. Facts with no end yet are created
# without valid_to (null either way), so no row has a property that is null in every row.
SUBJECTS_FACTS = """
UNWIND $pairs AS p
MATCH (a:Entity {key: p.subject})-[r:RELATED]->(b:Entity)
WHERE r.predicate = p.predicate
RETURN a.key AS subject, r.predicate AS predicate, b.key AS object, r.memory_id AS memory_id,
       r.valid_from AS valid_from, r.valid_to AS valid_to
"""

CLOSE_FACTS = """
UNWIND $rows AS f
MATCH (a:Entity {key: f.subject})-[r:RELATED]->(b:Entity {key: f.object})
WHERE r.predicate = f.predicate AND r.memory_id = f.memory_id
SET r.valid_to = f.valid_to
"""

CREATE_OPEN_FACTS = """
UNWIND $rows AS f
MATCH (a:Entity {key: f.subject}), (b:Entity {key: f.object})
CREATE (a)-[:RELATED {predicate: f.predicate, memory_id: f.memory_id, valid_from: f.valid_from}]->(b)
"""

CREATE_CLOSED_FACTS = """
UNWIND $rows AS f
MATCH (a:Entity {key: f.subject}), (b:Entity {key: f.object})
CREATE (a)-[:RELATED {predicate: f.predicate, memory_id: f.memory_id, valid_from: f.valid_from,
                      valid_to: f.valid_to}]->(b)
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

MENTION_COUNTS = """
MATCH (m:Memory)-[:MENTIONS]->(n:Entity)
WHERE n.key IN $keys AND m.archived = false
RETURN n.key AS entity, count(m) AS n
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


# -- workflows: checkpoints, artifacts, scoped memories ------------------------------------
# Labels and property names below come from the graph model's enums and property maps.

def _returns(node: Node, var: str) -> str:
    return ", ".join(f"{var}.{name} AS {name}" for name in NODE_PROPERTIES[node])


def _create(node: Node, var: str) -> str:
    """CREATE a node with every property of its kind from parameters of the same name."""
    return f"CREATE ({var}:{node.value} {{{_props(NODE_PROPERTIES[node])}}})"


MERGE_WORKFLOW = f"""
MERGE (w:{Node.WORKFLOW.value} {{key: $key}})
ON CREATE SET w.project_id = $project_id, w.workflow_id = $workflow_id, w.created_at = $now, w.updated_at = $now
ON MATCH SET w.updated_at = $now
"""

GET_WORKFLOW = f"MATCH (w:{Node.WORKFLOW.value} {{key: $key}}) RETURN {_returns(Node.WORKFLOW, 'w')}"

CREATE_CHECKPOINT = (
    f"MATCH (w:{Node.WORKFLOW.value} {{key: $workflow_key}}) {_create(Node.CHECKPOINT, 'c')} "
    f"CREATE (w)-[:{Edge.HAS_CHECKPOINT.value}]->(c)"
)

LATEST_CHECKPOINT = f"""
MATCH (w:{Node.WORKFLOW.value} {{key: $key}})-[:{Edge.HAS_CHECKPOINT.value}]->(c:{Node.CHECKPOINT.value})
RETURN {_returns(Node.CHECKPOINT, 'c')}
ORDER BY c.sequence DESC LIMIT 1
"""

# Every checkpoint of the project (newest first per workflow), for cleanup.
PROJECT_CHECKPOINTS = f"""
MATCH (w:{Node.WORKFLOW.value})-[:{Edge.HAS_CHECKPOINT.value}]->(c:{Node.CHECKPOINT.value})
WHERE w.project_id = $project_id
RETURN w.workflow_id AS workflow_id, c.key AS key, c.sequence AS sequence, c.created_at AS created_at
ORDER BY workflow_id, sequence DESC
"""

DELETE_CHECKPOINTS = f"MATCH (c:{Node.CHECKPOINT.value}) WHERE c.key IN $keys DETACH DELETE c"

# Linking an artifact again updates it: the fields given replace, the ones left out (null) stay.
_ARTIFACT_FIXED = ("project_id", "id", "workflow_id", "artifact_type", "ref", "updated_at")
_ARTIFACT_SET = ", ".join(
    f"a.{name} = ${name}" if name in _ARTIFACT_FIXED else f"a.{name} = coalesce(${name}, a.{name})"
    for name in NODE_PROPERTIES[Node.ARTIFACT] if name not in ("key", "created_at")
)
MERGE_ARTIFACT = f"""
MATCH (w:{Node.WORKFLOW.value} {{key: $workflow_key}})
MERGE (a:{Node.ARTIFACT.value} {{key: $key}})
ON CREATE SET a.created_at = $created_at
SET {_ARTIFACT_SET}
MERGE (w)-[:{Edge.PRODUCED.value}]->(a)
"""

GET_ARTIFACT = f"MATCH (a:{Node.ARTIFACT.value} {{key: $key}}) RETURN {_returns(Node.ARTIFACT, 'a')}"

WORKFLOW_ARTIFACTS = f"""
MATCH (w:{Node.WORKFLOW.value} {{key: $key}})-[:{Edge.PRODUCED.value}]->(a:{Node.ARTIFACT.value})
RETURN {_returns(Node.ARTIFACT, 'a')}
ORDER BY created_at, id
"""

# The live memories a workflow produced, for workflow_only retrieval.
WORKFLOW_MEMORIES = f"""
MATCH (m:Memory)-[:{Edge.IN_WORKFLOW.value}]->(w:{Node.WORKFLOW.value} {{key: $key}})
WHERE m.archived = false
RETURN m.id AS id, m.agent AS agent, m.kind AS kind
"""


# -- sessions and handoffs ---------------------------------------------------------------------

CREATE_SESSION = (
    f"MATCH (a:Agent {{key: $agent_key}}) {_create(Node.SESSION, 's')} CREATE (a)-[:{Edge.STARTED.value}]->(s)"
)

GET_SESSION = f"MATCH (s:{Node.SESSION.value} {{key: $key}}) RETURN {_returns(Node.SESSION, 's')}"

# The agent's most recent handoff.
LAST_HANDOFF = f"""
MATCH (a:Agent {{key: $agent_key}})-[:{Edge.STARTED.value}]->(s:{Node.SESSION.value})
WHERE s.handoff_at IS NOT NULL
RETURN {_returns(Node.SESSION, 's')}
ORDER BY handoff_at DESC LIMIT 1
"""

_HANDOFF_FIELDS = ["handoff_at", "last_action", "last_outcome", "next_steps", "blockers", "decisions",
                   "active_files", "confidence", "metadata"]
SET_HANDOFF = (
    f"MATCH (s:{Node.SESSION.value} {{key: $key}}) SET "
    + ", ".join(f"s.{name} = ${name}" for name in _HANDOFF_FIELDS)
)

# The session whose handoff a session picked up (HANDOFF points from the earlier to the later).
HANDED_FROM = f"""
MATCH (p:{Node.SESSION.value})-[:{Edge.HANDOFF.value}]->(s:{Node.SESSION.value} {{key: $key}})
RETURN p.id AS id
"""


# -- lifecycle: audit records and what wake-up loads first ---------------------------------------

CREATE_AUDIT = _create(Node.AUDIT, "x")


def audit_log(limit: int, with_action: bool) -> str:
    where = "x.project_id = $project_id" + (" AND x.action = $action" if with_action else "")
    return (f"MATCH (x:{Node.AUDIT.value}) WHERE {where} RETURN {_returns(Node.AUDIT, 'x')} "
            f"ORDER BY created_at DESC, id LIMIT {int(limit)}")


def top_memories(limit: int) -> str:
    """The agents' most trusted, most used live memories of the given kinds."""
    return (
        "MATCH (m:Memory) WHERE m.project_id = $project_id AND m.archived = false "
        "AND m.agent IN $agents AND m.kind IN $kinds "
        f"RETURN {_RETURN_MEMORY} ORDER BY m.confidence DESC, m.use_count DESC, m.id LIMIT {int(limit)}"
    )
