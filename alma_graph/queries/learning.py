"""Statements of ``learn`` (``alma_graph.memory.learning``), shared by Kuzu and Neo4j.

Each does in one round trip what took several: a statement costs ~1–3 ms on embedded
Kuzu and a network round trip on Neo4j, and ``learn`` runs a dozen of them.
"""

from __future__ import annotations

from alma_graph.models import MemoryKind
from alma_graph.queries.cypher import NEW_AGENT, NEW_TASK, memory_assignments

OUTCOME = MemoryKind.OUTCOME.value
DERIVED_KINDS = [MemoryKind.HEURISTIC.value, MemoryKind.ANTI_PATTERN.value]

# A new outcome: its agent LEARNED it (the agent created when new) and it is ABOUT its
# task (merged by key). The edges are new because the outcome is: CREATE, not MERGE.
FILE_OUTCOME = f"""
MATCH (m:Memory {{id: $id}})
MERGE (a:Agent {{key: $agent_key}}) ON CREATE SET {NEW_AGENT}
MERGE (t:Task {{key: $task_key}}) ON CREATE SET {NEW_TASK}
CREATE (a)-[:LEARNED]->(m), (m)-[:ABOUT]->(t)
"""

_OUTCOMES = ("o.project_id = $project_id AND o.agent = $agent AND o.kind = $kind AND o.category = $category "
             "AND o.archived = false")
# The live heuristic or anti-pattern of the same agent and task type derived from an outcome.
_DERIVED = ("OPTIONAL MATCH (d:Memory)-[:DERIVED_FROM]->(o) "
            "WHERE d.project_id = $project_id AND d.agent = $agent AND d.category = $category "
            "AND d.archived = false AND d.kind IN $derived_kinds ")
_RETURN = ("RETURN o.id AS id, o.success AS success, o.created_at AS created_at, d.id AS derived, "
           "d.kind AS derived_kind, d.occurrence_count AS occurrence_count, d.success_count AS success_count")


# Kuzu, one outcome at a time: the outcome by its key, then what was derived from it,
# filtered by the caller (``IN $ids`` compares every memory with the whole list). Joined in
# one statement, Kuzu scans every memory for the derived side: ~4.7 ms at 10,000 memories
# against ~1.5 for the two.
OUTCOME_BY_ID = (f"MATCH (o:Memory {{id: $id}}) WHERE {_OUTCOMES} "
                 "RETURN o.id AS id, o.success AS success, o.created_at AS created_at")
DERIVED_FROM_OUTCOME = (
    "MATCH (o:Memory {id: $id})<-[:DERIVED_FROM]-(d:Memory) "
    "RETURN d.id AS derived, d.kind AS derived_kind, d.occurrence_count AS occurrence_count, "
    "d.success_count AS success_count, d.project_id AS project_id, d.agent AS agent, d.category AS category, "
    "d.archived AS archived"
)
DERIVED_FIELDS = ("derived", "derived_kind", "occurrence_count", "success_count")


def similar_outcomes(candidates: str) -> str:
    """An agent's live outcomes of one task type, each with the derived memories that cover it
    (one row per derived memory, or one with a null ``derived``). ``candidates``:

    - "ids": those among ``$ids`` (the caller's vector index found them);
    - "unwind": those among ``$ids``, joined with one pass over the memories (Kuzu, many ids);
    - "all": every one with a vector but ``$exclude``, returned with it (the caller scores them);
    - "cosine": as "all", only those whose cosine with ``$vector`` is at least ``$floor``
      (Neo4j's ``vector.similarity.cosine`` is ``(1 + cosine) / 2``).
    """
    if candidates == "ids":
        return f"MATCH (o:Memory) WHERE o.id IN $ids AND {_OUTCOMES} {_DERIVED}{_RETURN}"
    if candidates == "unwind":
        return f"UNWIND $ids AS i MATCH (o:Memory {{id: i}}) WHERE {_OUTCOMES} {_DERIVED}{_RETURN}"
    where = f"{_OUTCOMES} AND o.id <> $exclude AND o.embedding IS NOT NULL"
    if candidates == "cosine":
        where += " AND 2 * vector.similarity.cosine(o.embedding, $vector) - 1 >= $floor"
    elif candidates != "all":
        raise ValueError(f"unknown candidates {candidates!r}")
    return f"MATCH (o:Memory) WHERE {where} {_DERIVED}{_RETURN}, o.embedding AS embedding"


def reinforce(fields: list[str]) -> str:
    """A derived memory's new counts (``$v_<name>``) and its DERIVED_FROM edge to the new
    outcome ``$outcome`` (new, as the outcome is)."""
    return (f"MATCH (m:Memory {{id: $id}}), (o:Memory {{id: $outcome}}) SET {memory_assignments(fields)} "
            "CREATE (m)-[:DERIVED_FROM]->(o)")
