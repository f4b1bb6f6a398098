"""What the ranker's signals ask of the indexes.

Two implementations answer the same questions: ``DerivedIndexes`` (FAISS + BM25 in
the process, derived from the graph; the embedded default) and ``ServerIndexes``
(Neo4j's own vector and full-text indexes); ``indexes.choice`` picks one per store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np

from alma_graph.indexes.rows import RankingRows
from alma_graph.indexes.vectors import VectorEntry


class VectorSearch(Protocol):
    """Dense search and lookups over the live memories' vectors."""

    def __len__(self) -> int: ...

    def search(self, vector: np.ndarray, owners: Iterable[str], kind: str, k: int,
               only_ids: set[str] | None = None) -> list[tuple[str, float]]: ...

    def cosines(self, vector: np.ndarray, memory_ids: Iterable[str]) -> dict[str, float]: ...

    def entry(self, memory_id: str) -> VectorEntry | None: ...

    def entries(self, memory_ids: Iterable[str]) -> dict[str, VectorEntry]: ...

    def ids(self) -> set[str]: ...

    def vector(self, memory_id: str) -> np.ndarray | None: ...


class TextSearch(Protocol):
    """BM25 over the live memories' text (a turn with the one before it)."""

    def __len__(self) -> int: ...

    def search(self, query: str, owners: set[str], kind: str, n: int,
               only_ids: set[str] | None = None) -> list[tuple[str, float]]: ...


class SearchIndexes(Protocol):
    """The indexes of one open store, tagged with the write generation they reflect."""

    generation: int
    rows: RankingRows

    @property
    def vectors(self) -> VectorSearch: ...

    @property
    def lexical(self) -> TextSearch: ...

    def rebuild(self) -> None: ...

    def catch_up(self) -> None: ...

    def stale(self) -> bool: ...

    def add(self, rows: list[dict[str, Any]]) -> None: ...

    def remove(self, memory_ids: Iterable[str]) -> None: ...

    def save(self) -> None: ...
