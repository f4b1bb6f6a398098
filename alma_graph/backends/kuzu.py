"""Embedded Kuzu: the default store, one directory on disk, no server.

Kuzu allows one read-write process per database; a second process gets a
``StorageError`` that says so. Statements run under a lock so the async twins
(threads) and the sync API can share one connection.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from alma_graph.backends import open_paths
from alma_graph.backends.base import GraphStore
from alma_graph.errors import StorageError
from alma_graph.graph_model import EDGE_PROPERTIES, MEMORY_PROPERTIES, NODE_PROPERTIES, Edge, Node
from alma_graph.queries import cypher as q
from alma_graph.queries import kuzu as kq
from alma_graph.queries import concepts as qc
from alma_graph.queries import learning as ql

log = logging.getLogger(__name__)

DB_NAME = "graph.kuzu"
COPY_THRESHOLD = 20
KEY_LOOKUPS = 8  # up to this many memories by id: one key lookup each
ID_LIST_JOIN = 100  # above this many ids, join them with the memories (UNWIND): IN costs ids x memories


class KuzuStore(GraphStore):
    name = "kuzu"

    def __init__(self, directory: str | Path, project_id: str, dimension: int):
        super().__init__(project_id, dimension)
        import kuzu

        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._path = self.directory / DB_NAME
        open_paths.claim(self._path, self, project_id)  # a second handle in this process would lose writes
        try:
            self._db = kuzu.Database(str(self._path))
        except RuntimeError as exc:
            open_paths.release(self._path, self)
            if "lock" in str(exc).lower():
                raise StorageError(
                    f"the Kuzu store at {self._path} is open in another process; embedded Kuzu allows "
                    "one writer per database — close the other process or use the Neo4j backend"
                ) from None
            raise StorageError(f"could not open the Kuzu store at {self._path}: {exc}") from None
        except BaseException:
            open_paths.release(self._path, self)
            raise
        self._conn = kuzu.Connection(self._db)
        self._prepared: dict[str, Any] = {}
        self._in_transaction = False
        self._create_schema()

    @property
    def location(self) -> str:
        return str(self._path)

    # -- primitives ------------------------------------------------------------------

    def run(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            result = self._execute(query, params)
            columns = result.get_column_names()
            rows = []
            while result.has_next():
                rows.append({c: _aware(v) for c, v in zip(columns, result.get_next())})
            return rows

    def _execute(self, query: str, params: dict[str, Any] | None) -> Any:
        """A statement's result, under the caller's hold of the lock."""
        try:
            if params:  # the same few statements run on every retrieve: prepare each once
                prepared = self._prepared.get(query)
                if prepared is None:
                    # Kuzu 0.11.3 (the last release) deprecates prepare(); it saves ~0.7 ms a statement.
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", DeprecationWarning)
                        prepared = self._prepared[query] = self._conn.prepare(query)
                return self._conn.execute(prepared, params)
            return self._conn.execute(query)
        except RuntimeError as exc:
            raise StorageError(f"Kuzu rejected a statement: {exc}") from exc

    def memory_vectors(self) -> tuple[list[dict[str, Any]], np.ndarray]:
        """As the base class, the vectors through Arrow: no Python float is ever made."""
        with self._lock:
            table = self._execute(q.MEMORY_VECTORS, {"project_id": self.project_id}).get_as_arrow(0)
        vectors = table.column("embedding").combine_chunks()
        matrix = np.full((table.num_rows, self.dimension), np.nan, dtype=np.float32)
        stored = ~vectors.is_null().to_numpy(zero_copy_only=False)
        if stored.any():
            values = vectors.filter(stored).flatten().to_numpy(zero_copy_only=False)
            matrix[stored] = values.astype(np.float32, copy=False).reshape(-1, self.dimension)
        return table.drop_columns(["embedding"]).to_pylist(), matrix

    @contextmanager
    def transaction(self):
        with self._lock:
            if self._in_transaction:  # nested: the outer transaction decides
                yield
                return
            self.run("BEGIN TRANSACTION")
            self._in_transaction = True
            try:
                yield
            except BaseException:
                self._in_transaction = False
                try:
                    self._conn.execute("ROLLBACK")
                except RuntimeError:
                    pass  # Kuzu already rolled back the failed transaction itself
                raise
            self._in_transaction = False
            self.run("COMMIT")

    def bump_generation(self) -> int:
        with self.transaction():  # one statement instead of a read and a write
            [row] = self.run(kq.BUMP_GENERATION, {"key": f"{self.project_id}/generation"})
            return int(row["value"])

    def _create_memories_query(self) -> str:
        return kq.create_memories(self.dimension)

    def create_memories(self, rows: list[dict[str, Any]]) -> None:
        """Bulk loads go through COPY from an Arrow table (~100x faster than UNWIND);
        a few rows are cheaper as one statement, one row (every ``learn``) as plain parameters.
        All roll back with the transaction."""
        if len(rows) == 1:
            self.changed_memories([rows[0]["id"]])
            self.run(kq.create_memory(self.dimension), {name: rows[0].get(name) for name in MEMORY_PROPERTIES})
            return None
        if len(rows) <= COPY_THRESHOLD:
            return super().create_memories(rows)
        self.changed_memories(r["id"] for r in rows)
        self._copy(Node.MEMORY.value, kq.arrow_table(rows, MEMORY_PROPERTIES, self.dimension))

    def merge_concepts(self, rows: list[dict[str, Any]]) -> None:
        """Kuzu converts a vector parameter value by value (~6 ms per concept): a batch of new
        concepts goes in through COPY from Arrow instead, after one read of which keys exist."""
        if len(rows) <= COPY_THRESHOLD:
            return super().merge_concepts(rows)
        present = {r["key"] for r in self.run(qc.CONCEPTS_BY_KEY, {"keys": [r["key"] for r in rows]})}
        new = [r for r in rows if r["key"] not in present]
        if len(new) <= COPY_THRESHOLD:
            return super().merge_concepts(new)
        self._copy(Node.CONCEPT.value, kq.arrow_table(new, NODE_PROPERTIES[Node.CONCEPT], self.dimension))

    def link_concepts(self, rows: list[dict[str, Any]]) -> None:
        """A batch's HAS_CONCEPT edges through COPY: UNWIND + MATCH joined the rows with
        every memory (~1 s per 1,000 memories at 50,000, growing with the store). One
        memory's (a single write's) with the memory looked up first (``kq.edges_from_one``)."""
        if len({r["memory_id"] for r in rows}) == 1:
            self.run(kq.CONCEPT_LINKS_OF_ONE, {"id": rows[0]["memory_id"], "rows": rows})
        elif len(rows) <= COPY_THRESHOLD:
            super().link_concepts(rows)
        else:
            self._copy(Edge.HAS_CONCEPT.value, kq.arrow_edges([(r["memory_id"], r["key"]) for r in rows], rows,
                                                               EDGE_PROPERTIES[Edge.HAS_CONCEPT]))

    def link_new(self, edge: Edge, pairs: list[tuple[str, str]]) -> None:
        """Many new edges without properties through COPY (as ``link_concepts``); a few that
        share one end with that end looked up first (``kq.edges_from_one``)."""
        starts, ends = {a for a, _ in pairs}, {b for _, b in pairs}
        if len(starts) == 1 and len(pairs) <= COPY_THRESHOLD:  # a few from one node: by its key first
            self.run(kq.edges_from_one(edge), {"key": pairs[0][0], "others": [b for _, b in pairs]})
        elif len(ends) == 1 and len(pairs) <= COPY_THRESHOLD:
            self.run(kq.edges_to_one(edge), {"key": pairs[0][1], "others": [a for a, _ in pairs]})
        elif len(pairs) <= COPY_THRESHOLD or edge in EDGE_PROPERTIES:
            super().link_new(edge, pairs)
        else:
            self._copy(edge.value, kq.arrow_edges(pairs))

    def _copy(self, table: str, rows: Any) -> None:
        """COPY an Arrow table into a node or edge table (it rolls back with the transaction)."""
        with self._lock:
            try:
                self._conn.execute(f"COPY {table} FROM rows")  # Kuzu finds the local ``rows`` by name
            except RuntimeError as exc:
                raise StorageError(f"Kuzu rejected a bulk load into {table}: {exc}") from exc

    def _id_lookup(self, count: int) -> str:
        return "unwind" if count > ID_LIST_JOIN else "in"

    def _facts_of(self, memory_ids: list[str]) -> list[dict[str, Any]]:
        """Many memories' facts: the project's (few) facts, kept here by memory (``IN`` on an
        edge property compares each fact with the whole list)."""
        if len(memory_ids) <= ID_LIST_JOIN:
            return super()._facts_of(memory_ids)
        wanted = set(memory_ids)
        return [r for r in self.run(qc.LIVE_FACTS, {"project_id": self.project_id}) if r["memory_id"] in wanted]

    def outcomes_among(self, agent: str, category: str, ids: list[str]) -> list[dict[str, Any]]:
        """A few ids by key lookups, without their derived memories (the learner reads those
        with ``derived_of`` as far as it needs); more joined with the memories (``IN $ids``
        compared each memory with the whole list: it grew with the store times the ids)."""
        params = self._outcome_params(agent, category)
        if len(ids) > KEY_LOOKUPS:
            return self.run(ql.similar_outcomes("unwind"), {**params, "ids": ids})
        del params["derived_kinds"]  # Kuzu refuses a parameter a statement does not use
        return [outcome for i in ids for outcome in self.run(ql.OUTCOME_BY_ID, {**params, "id": i})]

    def _memories_by_id(self, ids: list[str], ranking: bool) -> list[dict[str, Any]]:
        """A few ids by key lookups, one statement each (~0.5 ms, whatever the store's size);
        more in one statement, UNWIND + MATCH: Kuzu joins the ids with a pass over every
        memory, where ``IN $ids`` compares each memory with the whole list (2,000 ids among
        50,000 memories: 0.03 s against 1 s)."""
        if len(ids) > KEY_LOOKUPS:
            return self.run(q.memories_by_id("unwind", ranking), {"ids": ids, "project_id": self.project_id})
        one = q.memories_by_id("one", ranking)
        return [row for i in ids for row in self.run(one, {"id": i, "project_id": self.project_id})]

    def compact(self) -> None:
        """Rewrite the database file from its live contents.

        Kuzu leaves a deleted value's bytes in its pages (even after CHECKPOINT), so
        an erasure rebuilds the file: export the live data, import it into a fresh
        database beside the old one, swap the files. The old file stays in place
        until the new one is complete, so a failure leaves the store as it was."""
        import kuzu

        with self._lock:
            if self._in_transaction:
                raise StorageError("compact() cannot run inside a transaction")
            export = Path(tempfile.mkdtemp(prefix=".compact-", dir=self.directory))
            fresh = self.directory / (DB_NAME + ".compact")
            try:
                self._conn.execute("CHECKPOINT")
                shutil.rmtree(export)  # EXPORT DATABASE creates the folder itself
                self._conn.execute(kq.export_database(str(export)))
                db = kuzu.Database(str(fresh))
                conn = kuzu.Connection(db)
                try:
                    conn.execute(kq.import_database(str(export)))
                    conn.execute("CHECKPOINT")
                finally:
                    conn.close()
                    db.close()
                self._conn.close()
                self._db.close()
                self._conn = self._db = None
                os.replace(fresh, self._path)
                for suffix in (".wal", ".shadow"):  # stale logs of the old file must not replay on the new one
                    stale = Path(str(self._path) + suffix)
                    if stale.exists():
                        stale.unlink()
            except RuntimeError as exc:
                raise StorageError(f"Kuzu could not rewrite the store at {self._path}: {exc}") from exc
            finally:
                shutil.rmtree(export, ignore_errors=True)
                for leftover in self.directory.glob(DB_NAME + ".compact*"):
                    leftover.unlink()
                if self._db is None:
                    self._db = kuzu.Database(str(self._path))
                    self._conn = kuzu.Connection(self._db)
                    self._prepared = {}

    def close(self) -> None:
        with self._lock:
            conn, db = getattr(self, "_conn", None), getattr(self, "_db", None)
            self._conn = self._db = None
            if conn is not None:
                conn.close()
            if db is not None:
                db.close()
            open_paths.release(self._path, self)

    # -- schema ----------------------------------------------------------------------

    def _create_schema(self) -> None:
        """Create missing tables, then add columns the model gained since (migration)."""
        for node in Node:
            self.run(kq.create_node_table(node, self.dimension))
        for edge in Edge:
            self.run(kq.create_rel_table(edge, self.dimension))
        for node in Node:
            self._add_missing_columns(node.value, NODE_PROPERTIES[node])
        for edge, props in EDGE_PROPERTIES.items():
            self._add_missing_columns(edge.value, props)
        self._check_schema_version()

    def _add_missing_columns(self, table: str, props: dict[str, str]) -> None:
        # table names come from the enums; Kuzu's table_info takes only a literal
        existing = {row["name"] for row in self.run(f"CALL table_info('{table}') RETURN *")}
        for name, logical in props.items():
            if name not in existing:
                log.info("migrating %s: adding column %s", table, name)
                self.run(kq.add_column(table, name, logical, self.dimension))


def _aware(value: Any) -> Any:
    """Kuzu returns naive datetimes that are UTC; make them timezone-aware."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
