"""Cypher for concept nodes (knowledge/concepts.py) and the graph signal's whole-project reads
(retrieval/signals/graph.py). Batched: every write takes a list parameter."""

from __future__ import annotations

def merge_concepts(dimension: int, kuzu: bool) -> str:
    """Kuzu infers a list parameter's type from its values (a batch of nulls is no vector):
    the cast fixes it to the column's. Neo4j stores the list as given and has no CAST."""
    embedding = f"CAST(c.embedding AS FLOAT[{int(dimension)}])" if kuzu else "c.embedding"
    return f"""
UNWIND $rows AS c
MERGE (n:Concept {{key: c.key}})
ON CREATE SET n.project_id = c.project_id, n.name = c.name, n.norm_name = c.norm_name, n.embedding = {embedding}
"""


# The memories are new (one row per memory and concept): their edges are created, not merged.
MERGE_CONCEPT_LINKS = """
UNWIND $rows AS r
MATCH (m:Memory {id: r.memory_id}), (c:Concept {key: r.key})
CREATE (m)-[:HAS_CONCEPT {mention: r.mention, speaker: r.speaker}]->(c)
"""

MERGE_SIMILAR = """
UNWIND $rows AS r
MATCH (a:Concept {key: r.from_key}), (b:Concept {key: r.to_key})
MERGE (a)-[e:SIMILAR]->(b)
SET e.cosine = r.cosine
"""

CONCEPTS_BY_KEY = "MATCH (n:Concept) WHERE n.key IN $keys RETURN n.key AS key, n.name AS name"

CONCEPT_VECTORS = "MATCH (n:Concept) WHERE n.project_id = $project_id RETURN n.key AS key, n.embedding AS embedding"

CONCEPTS_OF_MEMORIES = """
MATCH (m:Memory)-[e:HAS_CONCEPT]->(c:Concept) WHERE m.id IN $ids
RETURN m.id AS memory_id, c.key AS key, c.name AS name, e.mention AS mention, e.speaker AS speaker
"""

# Live memories naming the given concepts (for the graph view; visibility is the caller's).
CONCEPT_MEMORIES = """
MATCH (m:Memory)-[e:HAS_CONCEPT]->(c:Concept) WHERE c.key IN $keys AND m.archived = false
RETURN m.id AS id, m.agent AS agent, c.key AS key, e.mention AS mention, e.speaker AS speaker
"""

SIMILAR_AMONG = """
MATCH (a:Concept)-[e:SIMILAR]->(b:Concept) WHERE a.key IN $keys AND b.key IN $keys
RETURN a.key AS from_key, b.key AS to_key, e.cosine AS cosine
"""

# Of the given concepts, those no memory links to any more (their names are its words).
UNUSED_CONCEPTS = """
MATCH (c:Concept) WHERE c.key IN $keys AND NOT EXISTS { MATCH (:Memory)-[:HAS_CONCEPT]->(c) }
RETURN c.key AS key
"""

DELETE_CONCEPTS = "MATCH (c:Concept) WHERE c.key IN $keys DETACH DELETE c"

# -- the graph signal's matrix: the live memories and what links them ---------------------------

LIVE_MEMORIES = """
MATCH (m:Memory) WHERE m.project_id = $project_id AND m.archived = false
RETURN m.id AS id, m.agent AS agent, m.kind AS kind, m.user_id AS user_id
"""

LIVE_CONCEPT_LINKS = """
MATCH (m:Memory)-[e:HAS_CONCEPT]->(c:Concept) WHERE m.project_id = $project_id AND m.archived = false
RETURN m.id AS memory_id, c.key AS key, c.name AS name, e.mention AS mention
"""

LIVE_ENTITY_LINKS = """
MATCH (m:Memory)-[:MENTIONS]->(n:Entity) WHERE m.project_id = $project_id AND m.archived = false
RETURN m.id AS memory_id, n.key AS key, n.name AS name, n.norm_name AS norm_name
"""

LIVE_FACTS = """
MATCH (a:Entity)-[r:RELATED]->(b:Entity) WHERE a.project_id = $project_id
RETURN a.key AS subject, b.key AS object, r.predicate AS predicate, r.memory_id AS memory_id
"""

SIMILAR_EDGES = """
MATCH (a:Concept)-[e:SIMILAR]->(b:Concept) WHERE a.project_id = $project_id
RETURN a.key AS from_key, b.key AS to_key, e.cosine AS cosine
"""

# The same links for memories just written (the matrix grows instead of being rebuilt).
# ``lookup``: "in" (Neo4j looks each id up in its index) or "unwind" (Kuzu: the ids joined
# with one pass over the memories, where ``IN`` compares every memory with the whole list).
_NEW = {"in": "MATCH (m:Memory){path} WHERE m.id IN $ids AND m.archived = false",
        "unwind": "UNWIND $ids AS i MATCH (m:Memory {{id: i}}){path} WHERE m.archived = false"}


def new_memories(lookup: str) -> str:
    return _NEW[lookup].format(path="") + " RETURN m.id AS id, m.agent AS agent, m.kind AS kind, m.user_id AS user_id"


def new_concept_links(lookup: str) -> str:
    return (_NEW[lookup].format(path="-[e:HAS_CONCEPT]->(c:Concept)")
            + " RETURN m.id AS memory_id, c.key AS key, c.name AS name, e.mention AS mention")


def new_entity_links(lookup: str) -> str:
    return (_NEW[lookup].format(path="-[:MENTIONS]->(n:Entity)")
            + " RETURN m.id AS memory_id, n.key AS key, n.name AS name, n.norm_name AS norm_name")


NEW_FACTS = """
MATCH (a:Entity)-[r:RELATED]->(b:Entity) WHERE a.project_id = $project_id AND r.memory_id IN $ids
RETURN a.key AS subject, b.key AS object, r.predicate AS predicate, r.memory_id AS memory_id
"""

SIMILAR_TOUCHING = """
MATCH (a:Concept)-[e:SIMILAR]->(b:Concept) WHERE a.key IN $keys OR b.key IN $keys
RETURN a.key AS from_key, b.key AS to_key, e.cosine AS cosine
"""
