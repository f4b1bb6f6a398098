"""What retrieval reads of every candidate, kept in memory beside the indexes.

A retrieve scores up to a few hundred candidates with ALMA's factors (confidence,
feedback, success counts, times), finds the session neighbours of its best hits and
returns the winners as typed memories. Reading those rows from the graph on every
retrieve cost more than the whole search; this cache holds them
(``queries.cypher.RANKING_FIELDS``: every property but the embedding) for every live memory.

It stays right without trusting anyone to report their writes: every memory write of
the store (``GraphStore.create_memories``, ``update_memory``, ``erase_memories``,
``upsert_nodes``) notes the ids it touched, and each read here first re-reads just
those rows. ``clear`` (on a rebuild, and so when another process on a shared server
moved the write generation) re-reads everything on the next use. Rows not in the
cache are archived or gone: they are never returned.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Iterable

from alma_graph.backends.base import GraphStore
from alma_graph.memory.records import owner_of

Row = dict[str, Any]


class RankingRows:
    def __init__(self, store: GraphStore):
        self.store = store
        self._lock = threading.RLock()
        self._rows: dict[str, Row] | None = None  # None: load everything on next use
        self._turns: dict[tuple[str, int], set[str]] = {}  # (session id, sequence) -> memory ids
        self._held: Counter[tuple[str, str]] = Counter()  # (owner, kind) -> live memories

    def clear(self) -> None:
        with self._lock:
            self._rows, self._turns, self._held = None, {}, Counter()

    def holds(self, owners: Iterable[str], kind: str) -> bool:
        """Whether any of ``owners`` holds a live memory of ``kind`` (a kind nobody visible
        holds is not searched at all)."""
        return self.count(owners, kind) > 0

    def count(self, owners: Iterable[str], kind: str) -> int:
        """How many live memories of ``kind`` the ``owners`` hold."""
        self._current()
        return sum(self._held[(owner, kind)] for owner in set(owners))

    def get(self, ids: Iterable[str]) -> dict[str, Row]:
        """The live memories among ``ids``, by id."""
        rows = self._current()
        return {i: row for i in ids if (row := rows.get(i)) is not None}

    def turns_at(self, session_id: str, sequence: int) -> list[str]:
        """The live memories at one position of a session (a conversation turn)."""
        self._current()
        return sorted(self._turns.get((session_id, sequence), ()))

    def _current(self) -> dict[str, Row]:
        with self._lock:
            changed = self.store.take_changed_memories()
            if changed is None or self._rows is None:
                self._rows, self._turns, self._held = {}, {}, Counter()
                self._put(self.store.ranking_rows())
            elif changed:
                for memory_id in changed:
                    self._drop(memory_id)
                self._put(self.store.ranking_rows(sorted(changed)))
            return self._rows

    def _put(self, rows: list[Row]) -> None:
        assert self._rows is not None
        for row in rows:
            self._rows[row["id"]] = row
            self._held[(owner_of(row), row["kind"])] += 1
            if row["session_id"] and row["sequence"] is not None:
                self._turns.setdefault((row["session_id"], row["sequence"]), set()).add(row["id"])

    def _drop(self, memory_id: str) -> None:
        assert self._rows is not None
        row = self._rows.pop(memory_id, None)
        if row is not None:
            self._held[(owner_of(row), row["kind"])] -= 1
        if row is not None and row["session_id"] and row["sequence"] is not None:
            self._turns.get((row["session_id"], row["sequence"]), set()).discard(memory_id)
