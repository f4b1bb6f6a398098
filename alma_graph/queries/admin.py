"""Statements of memory administration: id prefixes, pages of a listing, hard erasure
and the graph view. Shared by Kuzu and Neo4j; labels and properties come from the
graph model's enums."""

from __future__ import annotations

from alma_graph.graph_model import Edge
from alma_graph.queries.cypher import _RETURN_MEMORY

# Memories whose id starts with a prefix (git-style short ids); a few are enough to
# tell "one" from "several".
MEMORIES_BY_PREFIX = """
MATCH (m:Memory) WHERE m.project_id = $project_id AND m.id STARTS WITH $prefix
RETURN m.id AS id ORDER BY id LIMIT 20
"""


def memory_page(with_kind: bool, live_only: bool, after: bool, limit: int) -> str:
    """A page of the given agents' memories, newest first (ties by id); ``after`` continues
    below the cursor's (created_at, id)."""
    clauses = ["m.project_id = $project_id", "m.agent IN $agents"]
    if with_kind:
        clauses.append("m.kind = $kind")
    if live_only:
        clauses.append("m.archived = false")
    if after:
        clauses.append("(m.created_at < $cursor_at OR (m.created_at = $cursor_at AND m.id > $cursor_id))")
    return (f"MATCH (m:Memory) WHERE {' AND '.join(clauses)} RETURN {_RETURN_MEMORY} "
            f"ORDER BY m.created_at DESC, m.id LIMIT {int(limit)}")


# What erase_user looks at to find the memories stated by or about a user.
MEMORY_OWNERSHIP = """
MATCH (m:Memory) WHERE m.project_id = $project_id
RETURN m.id AS id, m.user_id AS user_id, m.speaker AS speaker, m.metadata AS metadata
"""

# -- hard erasure ------------------------------------------------------------------------------

FACTS_OF_MEMORIES = """
MATCH (a:Entity)-[r:RELATED]->(b:Entity) WHERE r.memory_id IN $ids
RETURN a.key AS subject, r.predicate AS predicate, b.key AS object, r.memory_id AS memory_id,
       r.valid_from AS valid_from, r.valid_to AS valid_to
"""

DELETE_FACTS_OF_MEMORIES = "MATCH (:Entity)-[r:RELATED]->(:Entity) WHERE r.memory_id IN $ids DELETE r"

ENTITIES_MENTIONED_BY = """
MATCH (m:Memory)-[:MENTIONS]->(n:Entity) WHERE m.id IN $ids
RETURN m.id AS memory_id, n.key AS key, n.name AS name, n.type AS type
"""

TASKS_OF_MEMORIES = "MATCH (m:Memory)-[:ABOUT]->(t:Task) WHERE m.id IN $ids RETURN DISTINCT t.key AS key"

DELETE_MEMORIES = "MATCH (m:Memory) WHERE m.id IN $ids DETACH DELETE m"

# Of the given entities, those no memory mentions and no fact touches any more.
UNUSED_ENTITIES = """
MATCH (n:Entity) WHERE n.key IN $keys
  AND NOT EXISTS { MATCH (:Memory)-[:MENTIONS]->(n) }
  AND NOT EXISTS { MATCH (n)-[:RELATED]-(:Entity) }
RETURN n.key AS key
"""

UNUSED_TASKS = """
MATCH (t:Task) WHERE t.key IN $keys AND NOT EXISTS { MATCH (:Memory)-[:ABOUT]->(t) }
RETURN t.key AS key
"""

DELETE_ENTITIES = "MATCH (n:Entity) WHERE n.key IN $keys DETACH DELETE n"
DELETE_TASKS = "MATCH (t:Task) WHERE t.key IN $keys DETACH DELETE t"
DELETE_USER = "MATCH (u:User {key: $key}) DETACH DELETE u"
USER_EXISTS = "MATCH (u:User {key: $key}) RETURN u.key AS key"

# One subject's facts of one predicate, all of them, for re-dating after an erasure.
SUBJECT_PREDICATE_FACTS = """
MATCH (a:Entity {key: $subject})-[r:RELATED]->(b:Entity) WHERE r.predicate = $predicate
RETURN b.key AS object, r.memory_id AS memory_id, r.valid_from AS valid_from, r.valid_to AS valid_to
"""

REOPEN_FACT = """
MATCH (a:Entity {key: $subject})-[r:RELATED]->(b:Entity {key: $object})
WHERE r.predicate = $predicate AND r.memory_id = $memory_id
SET r.valid_to = NULL
"""

DELETE_FACT = """
MATCH (a:Entity {key: $subject})-[r:RELATED]->(b:Entity {key: $object})
WHERE r.predicate = $predicate AND r.memory_id = $memory_id
DELETE r
"""

# -- the graph view ---------------------------------------------------------------------------

# SUPERSEDES edges touching any of the given memories, either end.
VERSION_LINKS = """
MATCH (a:Memory)-[:SUPERSEDES]->(b:Memory) WHERE a.id IN $ids OR b.id IN $ids
RETURN a.id AS newer, b.id AS older
"""


def top_mentioned(limit: int) -> str:
    """The entities the given agents' live memories mention most."""
    return ("MATCH (m:Memory)-[:MENTIONS]->(n:Entity) "
            "WHERE m.project_id = $project_id AND m.archived = false AND m.agent IN $agents "
            "RETURN n.key AS key, n.name AS name, n.type AS type, count(m) AS mentions "
            f"ORDER BY mentions DESC, key LIMIT {int(limit)}")


def agent_links(edge: Edge) -> str:
    """Edges of one agent-to-agent kind among the named agents of a project."""
    if edge not in (Edge.INHERITS_FROM, Edge.SHARES_WITH):
        raise ValueError(f"not an agent link: {edge}")
    return (f"MATCH (a:Agent)-[:{edge.value}]->(b:Agent) WHERE a.project_id = $project_id "
            "AND a.name IN $names AND b.name IN $names RETURN a.name AS source, b.name AS target")
