"""Neo4j-only statements: schema (constraints, indexes) and the memory create
that adds each memory's kind as a second label.

Neo4j has no tables, so the graph model becomes uniqueness constraints on each
node's key and a few lookup indexes. Community edition supports only
``IS UNIQUE`` constraints (no ``IS NOT NULL`` / ``NODE KEY``), which is all the
key needs. Every statement is idempotent (``IF NOT EXISTS``), so opening a store
twice, or from two processes, is safe.
"""

from __future__ import annotations

from alma_graph.graph_model import NODE_KEYS, Node
from alma_graph.models import MemoryKind
from alma_graph.queries import cypher as q

# Closed mapping: a memory's kind -> its second label (for Neo4j Browser styling).
KIND_LABELS: dict[str, str] = {
    MemoryKind.HEURISTIC.value: "Heuristic",
    MemoryKind.OUTCOME.value: "Outcome",
    MemoryKind.PREFERENCE.value: "Preference",
    MemoryKind.DOMAIN_KNOWLEDGE.value: "DomainKnowledge",
    MemoryKind.ANTI_PATTERN.value: "AntiPattern",
}

# Properties looked up by value besides the keys: (label, property).
_LOOKUPS: list[tuple[Node, str]] = [
    (Node.MEMORY, "project_id"),
    (Node.MEMORY, "agent"),
    (Node.MEMORY, "kind"),
    (Node.AGENT, "project_id"),
    (Node.USER, "project_id"),
    (Node.TASK, "project_id"),
    (Node.ENTITY, "project_id"),
    (Node.ENTITY, "norm_name"),
    (Node.CONCEPT, "project_id"),
]


def schema_statements() -> dict[str, str]:
    """Name -> statement; constraints first (each also creates the index behind the key lookup)."""
    statements = {}
    for node in Node:
        name = f"{node.value.lower()}_{NODE_KEYS[node]}_unique"
        statements[name] = (f"CREATE CONSTRAINT {name} IF NOT EXISTS "
                            f"FOR (n:{node.value}) REQUIRE n.{NODE_KEYS[node]} IS UNIQUE")
    for node, prop in _LOOKUPS:
        name = f"{node.value.lower()}_{prop}"
        statements[name] = f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{node.value}) ON (n.{prop})"
    return statements


# Constraint names are also the names of their backing indexes, so one listing covers both.
SCHEMA_NAMES = "SHOW INDEXES YIELD name RETURN name"


def create_memories() -> str:
    """The shared UNWIND-create plus one conditional label per kind.

    Labels cannot be parameters, so each kind's label is written out from the
    closed mapping and applied by a FOREACH that runs only for that kind."""
    set_labels = " ".join(
        f"FOREACH (_ IN CASE WHEN r.kind = '{kind}' THEN [1] ELSE [] END | SET m:{label})"
        for kind, label in KIND_LABELS.items()
    )
    return f"{q.create_memories('Memory')} {set_labels}"


# Taking the write lock on the project's generation node (created if missing)
# serialises the project's write transactions across processes.
LOCK_PROJECT = """
MERGE (x:Meta {key: $key})
ON CREATE SET x.value = '0'
SET x._lock = true
REMOVE x._lock
"""

# A single statement, so concurrent writers from other processes cannot lose an
# increment: SET takes the node's write lock before it reads the old value.
BUMP_GENERATION = """
MERGE (x:Meta {key: $key})
ON CREATE SET x.value = '1'
ON MATCH SET x.value = toString(toInteger(x.value) + 1)
RETURN toInteger(x.value) AS value
"""
