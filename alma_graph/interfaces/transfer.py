"""Moving a project between stores, and JSON-lines backups.

``copy_store(source, target)`` copies every node, edge and property of the
source's project into the target's project — embedded Kuzu up to a Neo4j
server is the case that matters. ``export_jsonl`` / ``import_jsonl`` write and
read the same records as a file. Both go through one stream of records, so a
backup restores exactly what a copy would write.

Writes MERGE by key (memory id, agent / user / task / entity key), so running
an import or a copy again adds nothing: a memory that is already there gets
the file's values. Keys carry the project id; records are re-keyed to the
target's project, so a project may be restored under another name. The whole
import is one graph transaction. Vectors travel with the memories when the
target uses the same dimension, and are re-derived from the memory text when
they are missing or of another size. Each store keeps its own schema version
and write generation; the import bumps the target's generation so every
process re-syncs its vector index.

File format: one JSON object per line — a header, then nodes, then edges::

    {"type": "header", "format": "alma_graph.jsonl", "version": 1, "project_id": ..., "dimension": 384, ...}
    {"type": "node", "label": "Memory", "properties": {...}}
    {"type": "edge", "edge": "LEARNED", "from_key": ..., "to_key": ..., "properties": {...}}

Timestamps are ISO 8601 strings with their UTC offset.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alma_graph.errors import StorageError, ValidationError
from alma_graph.indexes.cache import META_KEY as VECTOR_CACHE_KEY
from alma_graph.graph_model import (
    EDGE_ENDS,
    EDGE_PROPERTIES,
    MEMORY_PROPERTIES,
    NODE_KEYS,
    NODE_PROPERTIES,
    SCHEMA_VERSION,
    Edge,
    Node,
)

if TYPE_CHECKING:
    from alma_graph.alma import ALMA
    from alma_graph.backends.base import GraphStore

FORMAT = "alma_graph.jsonl"
FORMAT_VERSION = 1
BATCH = 500
# Properties that tell parallel edges of one type apart (one RELATED edge per fact and memory).
EDGE_IDENTITY: dict[Edge, tuple[str, ...]] = {Edge.RELATED: ("predicate", "memory_id")}
# Meta entries each store keeps for itself.
LOCAL_META = {"schema_version", "generation"}
# Nodes before the edges that join them; Memory last among nodes (its writes are the heaviest).
NODE_ORDER = [node for node in Node if node is not Node.MEMORY] + [Node.MEMORY]
# Node properties (by label) that list memory ids, re-mapped along with the ids.
MEMORY_ID_LISTS: dict[str, tuple[str, ...]] = {"Audit": ("memory_ids",)}


@dataclass
class TransferReport:
    """What a copy, export or import went through, per label and edge type."""

    project_id: str
    nodes: dict[str, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)
    memories_created: int = 0
    memories_updated: int = 0
    vectors_derived: int = 0  # memories embedded anew (no vector, or another dimension)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# -- reading a project -----------------------------------------------------------------


def read_project(store: "GraphStore", vectors: bool = True) -> Iterator[dict[str, Any]]:
    """Every node, then every edge, of the store's project as transfer records, in a stable
    order (nodes by key, edges by their ends and properties) so two backups of the same
    store are identical byte for byte, whatever order the store scans in."""
    for node in NODE_ORDER:
        for row in sorted(store.project_nodes(node), key=lambda r: str(r.get("key", r.get("id")))):
            if node is Node.META and str(row.get("key")).endswith("/" + VECTOR_CACHE_KEY):
                continue  # about this machine's cache file, not the project
            if node is Node.MEMORY and not vectors:
                row["embedding"] = None
            yield {"type": "node", "label": node.value, "properties": row}
    for edge in Edge:
        for row in sorted(store.project_edges(edge), key=_edge_order):
            props = {k: v for k, v in row.items() if k not in ("from_key", "to_key")}
            yield {"type": "edge", "edge": edge.value, "from_key": row["from_key"], "to_key": row["to_key"],
                   "properties": props}


def _edge_order(row: dict[str, Any]) -> tuple[str, str, str]:
    props = {k: v for k, v in row.items() if k not in ("from_key", "to_key")}
    return str(row["from_key"]), str(row["to_key"]), json.dumps(props, sort_keys=True, default=str)


# -- writing a project -------------------------------------------------------------------


class _Rekey:
    """Maps the source project's keys and project id onto the target's, and with
    ``new_ids`` each memory id onto a new one derived from it (the same every run)."""

    def __init__(self, source: str, target: str, new_ids: bool = False):
        self.source, self.target = source, target
        self._prefix = f"{source}/"
        self.new_ids = new_ids

    def memory_id(self, value: str | None) -> str | None:
        if not self.new_ids or value is None:
            return value
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"alma_graph:{self.target}/{value}"))

    def key(self, value: str) -> str:
        if self.source == self.target or not isinstance(value, str):
            return value
        if value.startswith(self._prefix):
            return f"{self.target}/{value[len(self._prefix):]}"
        return value

    def node(self, node: Node, props: dict[str, Any]) -> dict[str, Any]:
        props = dict(props)
        if "project_id" in props and props["project_id"] is not None:
            props["project_id"] = self.target
        if node is Node.MEMORY:
            props["id"] = self.memory_id(props["id"])
        else:
            props[NODE_KEYS[node]] = self.key(props[NODE_KEYS[node]])
        for name in MEMORY_ID_LISTS.get(node.value, ()):
            if props.get(name):
                props[name] = [self.memory_id(i) for i in props[name]]
        return props

    def end(self, node: Node, value: str) -> str:
        if node is Node.MEMORY:
            return self.memory_id(value) or value  # a str in, a str out
        return self.key(value)

    def edge(self, props: dict[str, Any]) -> dict[str, Any]:
        if props.get("memory_id") is not None:  # a RELATED fact names the memory it came from
            props = {**props, "memory_id": self.memory_id(props["memory_id"])}
        return props


def write_project(target: "ALMA", records: Iterable[dict[str, Any]], source_project: str,
                  new_ids: bool = False) -> TransferReport:
    """Upsert transfer records into the target's project in one transaction, then
    bring the target's derived indexes up to date."""
    store = target.store
    rekey = _Rekey(source_project, store.project_id, new_ids)
    report = TransferReport(project_id=store.project_id)
    nodes: dict[Node, list[dict[str, Any]]] = {node: [] for node in Node}
    edges: dict[Edge, list[dict[str, Any]]] = {edge: [] for edge in Edge}
    for record in records:
        kind = record.get("type")
        if kind == "node":
            node = _enum(Node, record.get("label"), "node label")
            props = _check_props(record.get("properties"), NODE_PROPERTIES[node], node.value)
            if node is Node.META and props["key"].split("/", 1)[-1] in LOCAL_META:
                continue
            nodes[node].append(rekey.node(node, props))
        elif kind == "edge":
            edge = _enum(Edge, record.get("edge"), "edge type")
            start, end = EDGE_ENDS[edge]
            props = _check_props(record.get("properties") or {}, EDGE_PROPERTIES.get(edge, {}), edge.value)
            edges[edge].append({**rekey.edge(props), "from_key": rekey.end(start, record["from_key"]),
                                "to_key": rekey.end(end, record["to_key"])})
        elif kind != "header":
            raise ValidationError(f"unknown transfer record type {kind!r}; expected header, node or edge")

    memories = [_full_memory(row) for row in nodes[Node.MEMORY]]
    report.vectors_derived += _derive_vectors(target, memories)
    _check_foreign_ids(store, [m["id"] for m in memories])
    # the one write routine: one transaction, then every derived index rebuilt from the graph
    with target.context.write() as change:
        for node in NODE_ORDER:
            if node is Node.MEMORY:
                created, updated = _upsert_memories(store, memories)
                report.memories_created += created
                report.memories_updated += updated
            else:
                for chunk in _chunks(nodes[node]):
                    store.upsert_nodes(node, chunk)
            report.nodes[node.value] = report.nodes.get(node.value, 0) + len(nodes[node])
        for edge in Edge:
            for chunk in _chunks(edges[edge]):
                store.upsert_edges(edge, chunk, EDGE_IDENTITY.get(edge, ()))
            report.edges[edge.value] = report.edges.get(edge.value, 0) + len(edges[edge])
        change.rebuild_all()
    return report


def _full_memory(props: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(MEMORY_PROPERTIES)
    row.update(props)
    return row


def _derive_vectors(target: "ALMA", memories: list[dict[str, Any]]) -> int:
    """Embed the memories whose vector is missing or of another size, before the transaction."""
    dimension = target.store.dimension
    missing = [m for m in memories if not m["embedding"] or len(m["embedding"]) != dimension]
    if missing:
        vectors = target.embedder.embed_batch([m["text"] or "" for m in missing])
        for memory, vector in zip(missing, vectors):
            memory["embedding"] = vector.tolist()
    return len(missing)


def _check_foreign_ids(store: "GraphStore", ids: list[str]) -> None:
    """Memory ids are unique across a server: refuse ones another project already holds."""
    clashes: list[str] = []
    for chunk in _chunks(ids):
        clashes += store.foreign_memory_ids(chunk)
    if clashes:
        raise StorageError(
            f"{len(clashes)} memory id(s) (e.g. {clashes[0]!r}) already belong to another project at "
            f"{store.location}; restore into that project, or pass new_ids=True to give the copies new ids"
        )


def _upsert_memories(store: "GraphStore", memories: list[dict[str, Any]]) -> tuple[int, int]:
    """Create the memories the target lacks; update the fields that differ on the others."""
    created = updated = 0
    for chunk in _chunks(memories):
        existing = {r["id"]: r for r in store.find_memories(with_embedding=True, ids=[m["id"] for m in chunk])}
        fresh = [m for m in chunk if m["id"] not in existing]
        store.create_memories(fresh)
        created += len(fresh)
        for memory in chunk:
            current = existing.get(memory["id"])
            if current is None:
                continue
            changed = {k: v for k, v in memory.items() if k != "id" and not _same(current.get(k), v)}
            if changed:
                store.update_memory(memory["id"], changed)
                updated += 1
    return created, updated


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list) and a and isinstance(a[0], float):
        # Kuzu keeps vectors as float32, Neo4j as float64: equal within float32 precision.
        return len(a) == len(b) and all(math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-7) for x, y in zip(a, b))
    return a == b


# -- public API ----------------------------------------------------------------------------


def copy_store(source: "ALMA", target: "ALMA", vectors: bool = True, new_ids: bool = False) -> TransferReport:
    """Copy every node, edge and property of ``source``'s project into ``target``'s.

    Running it again adds nothing. ``vectors=False`` re-derives every vector with
    the target's embedder instead of copying them; ``new_ids=True`` gives the
    copied memories new (deterministic) ids, for a second copy on one server."""
    if source.store is target.store:
        raise ValidationError("source and target are the same store")
    return write_project(target, read_project(source.store, vectors), source.store.project_id, new_ids)


def export_jsonl(alma: "ALMA", path: str | os.PathLike, vectors: bool = True) -> TransferReport:
    """Write the project to a JSON-lines file (written to a temporary name, then renamed)."""
    store = alma.store
    report = TransferReport(project_id=store.project_id)
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    header = {"type": "header", "format": FORMAT, "version": FORMAT_VERSION, "schema_version": SCHEMA_VERSION,
              "project_id": store.project_id, "storage": store.name, "dimension": store.dimension,
              "vectors": vectors}
    with partial.open("w", encoding="utf-8") as out:
        out.write(json.dumps(header) + "\n")
        for record in read_project(store, vectors):
            out.write(json.dumps(record, default=_json_default, ensure_ascii=False) + "\n")
            _count(report, record)
    partial.replace(path)
    return report


def import_jsonl(alma: "ALMA", path: str | os.PathLike, new_ids: bool = False) -> TransferReport:
    """Restore a JSON-lines backup into ``alma``'s project; running it again adds nothing.
    ``new_ids=True`` restores a copy beside the original on the same server."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"backup file {path} does not exist")
    records = list(_read_lines(path))
    if not records or records[0].get("type") != "header" or records[0].get("format") != FORMAT:
        raise ValidationError(f"{path} is not an alma_graph backup (its first line must be a {FORMAT} header)")
    header = records[0]
    if header.get("version", 0) > FORMAT_VERSION or header.get("schema_version", 0) > SCHEMA_VERSION:
        raise ValidationError(f"{path} was written by a newer alma_graph (format {header.get('version')}, "
                              f"schema {header.get('schema_version')}); upgrade alma_graph to read it")
    return write_project(alma, (_decode(r) for r in records[1:]), header["project_id"], new_ids)


# -- records <-> JSON --------------------------------------------------------------------------


def _read_lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValidationError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise ValidationError(f"{path}:{number}: each line must be a JSON object")
            yield record


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to a backup")


def _decode(record: dict[str, Any]) -> dict[str, Any]:
    """Turn ISO timestamps back into datetimes, by the graph model's property types."""
    if record.get("type") == "node":
        node = _enum(Node, record.get("label"), "node label")
        types = NODE_PROPERTIES[node]
    elif record.get("type") == "edge":
        types = EDGE_PROPERTIES.get(_enum(Edge, record.get("edge"), "edge type"), {})
    else:
        return record
    props = dict(record.get("properties") or {})
    for name, value in props.items():
        if types.get(name) == "timestamp" and isinstance(value, str):
            try:
                props[name] = datetime.fromisoformat(value)
            except ValueError:
                raise ValidationError(f"property {name}: not an ISO 8601 timestamp: {value!r}") from None
    return {**record, "properties": props}


def _enum(enum, value: Any, what: str):
    try:
        return enum(value)
    except ValueError:
        raise ValidationError(f"unknown {what} {value!r} in transfer records") from None


def _check_props(props: Any, known: dict[str, str], where: str) -> dict[str, Any]:
    if not isinstance(props, dict):
        raise ValidationError(f"{where}: properties must be an object")
    unknown = set(props) - set(known)
    if unknown:
        raise ValidationError(f"{where}: unknown properties {sorted(unknown)} (written by a newer alma_graph?)")
    return props


def _count(report: TransferReport, record: dict[str, Any]) -> None:
    if record["type"] == "node":
        report.nodes[record["label"]] = report.nodes.get(record["label"], 0) + 1
    else:
        report.edges[record["edge"]] = report.edges.get(record["edge"], 0) + 1


def _chunks(rows: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


__all__ = ["TransferReport", "copy_store", "export_jsonl", "import_jsonl", "read_project", "write_project"]
