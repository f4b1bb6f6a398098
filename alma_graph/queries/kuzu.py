"""Kuzu schema statements, generated from the graph model."""

from __future__ import annotations

from alma_graph.graph_model import EDGE_ENDS, MEMORY_PROPERTIES, EDGE_PROPERTIES, NODE_KEYS, NODE_PROPERTIES, Edge, Node

KUZU_TYPES = {
    "string": "STRING",
    "float": "DOUBLE",
    "int": "INT64",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "string_list": "STRING[]",
}


def kuzu_type(logical: str, dimension: int) -> str:
    return f"FLOAT[{int(dimension)}]" if logical == "vector" else KUZU_TYPES[logical]


def create_node_table(node: Node, dimension: int) -> str:
    columns = ", ".join(f"{name} {kuzu_type(t, dimension)}" for name, t in NODE_PROPERTIES[node].items())
    return f"CREATE NODE TABLE IF NOT EXISTS {node.value}({columns}, PRIMARY KEY ({NODE_KEYS[node]}))"


def create_rel_table(edge: Edge, dimension: int) -> str:
    start, end = EDGE_ENDS[edge]
    props = "".join(f", {name} {kuzu_type(t, dimension)}" for name, t in EDGE_PROPERTIES.get(edge, {}).items())
    return f"CREATE REL TABLE IF NOT EXISTS {edge.value}(FROM {start.value} TO {end.value}{props})"


def add_column(table: str, name: str, logical: str, dimension: int) -> str:
    """Migration: a property added to the model after the store was created."""
    return f"ALTER TABLE {table} ADD IF NOT EXISTS {name} {kuzu_type(logical, dimension)}"


def create_memories(dimension: int) -> str:
    """Kuzu infers a struct field that is null in every row as STRING, so each
    property is cast to its column type."""
    values = ", ".join(
        f"{name}: CAST(r.{name} AS {kuzu_type(t, dimension)})" for name, t in MEMORY_PROPERTIES.items()
    )
    return f"UNWIND $rows AS r CREATE (m:Memory {{{values}}})"


def create_memory(dimension: int) -> str:
    """One memory from one parameter per property: a third of the time of UNWIND over a
    one-row list (~2.4 ms against ~7 ms; Kuzu converts the row as a struct)."""
    values = ", ".join(f"{name}: CAST(${name} AS {kuzu_type(t, dimension)})" for name, t in MEMORY_PROPERTIES.items())
    return f"CREATE (m:Memory {{{values}}})"


# The write generation moved in one statement (``GraphStore.bump_generation`` reads, then writes).
BUMP_GENERATION = """
MERGE (x:Meta {key: $key})
ON CREATE SET x.value = '1'
ON MATCH SET x.value = CAST(CAST(x.value AS INT64) + 1 AS STRING)
RETURN CAST(x.value AS INT64) AS value
"""


def _arrow_type(kind: str, dimension: int):
    import pyarrow as pa

    return {"string": pa.string(), "float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(),
            "timestamp": pa.timestamp("us", tz="UTC"), "vector": pa.list_(pa.float32(), int(dimension))}[kind]


def arrow_table(rows: list[dict], properties: dict[str, str], dimension: int = 0):
    """Rows as an Arrow table with the column types (and order) of a node table, for COPY."""
    import pyarrow as pa

    return pa.table({name: pa.array([row[name] for row in rows], type=_arrow_type(t, dimension))
                     for name, t in properties.items()})


def arrow_edges(ends: list[tuple[str, str]], rows: list[dict] | None = None, properties: dict[str, str] | None = None):
    """Edges as an Arrow table for COPY: the keys of their two ends, then their properties
    (from ``rows``, one per edge, in the order of the edge table)."""
    import pyarrow as pa

    columns = {"from": pa.array([a for a, _ in ends], type=pa.string()),
               "to": pa.array([b for _, b in ends], type=pa.string())}
    for name, t in (properties or {}).items():
        columns[name] = pa.array([row.get(name) for row in rows or []], type=_arrow_type(t, 0))
    return pa.table(columns)


def export_database(directory: str) -> str:
    """EXPORT DATABASE takes only a literal path; ours is a folder alma_graph names itself."""
    if "'" in directory or "\\" in directory:
        raise ValueError(f"unsupported characters in export path {directory!r}")
    return f"EXPORT DATABASE '{directory}' (format='parquet')"


def import_database(directory: str) -> str:
    if "'" in directory or "\\" in directory:
        raise ValueError(f"unsupported characters in import path {directory!r}")
    return f"IMPORT DATABASE '{directory}'"


# A few edges that share one end (one memory's concepts or entities, the outcomes a new
# heuristic derives from): that end by its key first, then the others. ``UNWIND ... MATCH
# (a {key: p.from_key}), (b {key: p.to_key})`` joins the rows with a scan of both tables:
# 3.6 against 1.1 ms for one memory's concepts, 12 against 2 ms for three DERIVED_FROM
# edges, at 10,000 memories.
def edges_from_one(edge: Edge) -> str:
    start, end = EDGE_ENDS[edge]
    return (f"MATCH (a:{start.value} {{{NODE_KEYS[start]}: $key}}) UNWIND $others AS other "
            f"MATCH (b:{end.value} {{{NODE_KEYS[end]}: other}}) CREATE (a)-[:{edge.value}]->(b)")


def edges_to_one(edge: Edge) -> str:
    start, end = EDGE_ENDS[edge]
    return (f"MATCH (b:{end.value} {{{NODE_KEYS[end]}: $key}}) UNWIND $others AS other "
            f"MATCH (a:{start.value} {{{NODE_KEYS[start]}: other}}) CREATE (a)-[:{edge.value}]->(b)")


CONCEPT_LINKS_OF_ONE = """
MATCH (m:Memory {id: $id})
UNWIND $rows AS r
MATCH (c:Concept {key: r.key})
CREATE (m)-[:HAS_CONCEPT {mention: r.mention, speaker: r.speaker}]->(c)
"""
