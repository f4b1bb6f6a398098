"""Retrieval indexes that live on the Neo4j server: no copy in the process.

Dense candidates come from Neo4j's vector index (HNSW) and BM25 candidates from its
full-text index (Lucene) over the same text the embedded BM25 reads (a turn with the
one before it, ``queries.neo4j_search``). Both apply visibility — project, live,
kind, owners, ``only_ids`` — in the query, before the top-n, behind the interfaces of
the embedded ``VectorIndex`` and ``LexicalIndex``, so the ranker does not care which
it has. Every process on the server reads the same indexes, so a commit in one is
retrieved by the others at once, and opening a store loads nothing.

Neo4j 5's vector search cannot filter first, so a dense search is complete like this:
a visible set of at most ``EXACT_LIMIT`` memories is ranked exactly
(``vector.similarity.cosine`` over it: no dearer than the index up to that size, see
``benchmarks/neo4j_indexes.py``); a larger one takes the visible hits among the
``fetch`` nearest of the whole index — ``fetch`` sized from the visible share of the
server's memories (counted in this process's ranking rows), so that ``k`` are
visible in one round trip, and widening if not — the k best visible are then among
them. When that fetch would be larger than the visible set, or the visible
memories are too rare to surface, the visible set is ranked exactly instead.
BM25 fetches alike: Lucene stops at its best ``fetch`` matches (it would otherwise
score and return every match of a common word) and widens while too few are visible.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from alma_graph.backends.neo4j_search import ServerSearch
from alma_graph.indexes.embeddings import Embedder
from alma_graph.indexes.rows import RankingRows
from alma_graph.indexes.vectors import VectorEntry
from alma_graph.memory.records import owner_of, user_owner
from alma_graph.models import MemoryKind

log = logging.getLogger(__name__)

EXACT_LIMIT = 1000  # visible memories ranked exactly rather than through the HNSW index (measured)
OVERFETCH, MIN_FETCH, MAX_FETCH = 4, 100, 10_000  # fetch widens x OVERFETCH between these
SHARE_SLACK = 2  # fetch this many times k / (visible share): visible memories are not spread evenly
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's token pattern: words of two characters or more
MAX_QUERY_TERMS = 1000  # Lucene refuses a query of more than 1024 clauses
_USER_PREFIX = user_owner("")


def owner_filter(kind: str, owners: Iterable[str]) -> tuple[str, list[str]]:
    """The memory field that names an owner, and the owners' values in it: a user's
    preferences are ``user:<id>`` in the indexes and ``user_id`` in the graph."""
    if kind == MemoryKind.PREFERENCE.value:
        return "user_id", [o[len(_USER_PREFIX):] for o in owners if o.startswith(_USER_PREFIX)]
    return "agent", list(owners)


def lucene_query(text: str) -> str:
    """The query's words as plain Lucene terms (no operators, nothing to escape), lower-cased
    so that AND / OR / NOT stay words; Lucene's English analyzer stems them and drops stopwords."""
    return " ".join(_TOKEN.findall(text.lower())[:MAX_QUERY_TERMS])


class _Counted:
    """How many memories are live (what the indexes hold), and how many the server holds
    in every project (one index serves them all), asked once per generation the process
    follows (the graph signal's hub limit asks on every retrieve)."""

    def __init__(self, store: ServerSearch):
        self.store = store
        self._count: int | None = None
        self._everywhere: int | None = None

    def forget_count(self) -> None:
        self._count = self._everywhere = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self.store.live_count()
        return self._count

    def first_fetch(self, k: int, visible: int) -> int:
        """How many of the server's best hits to fetch so that ``k`` of a reader who sees
        ``visible`` memories are likely among them (its share of the server, with slack)."""
        return max(MIN_FETCH, math.ceil(SHARE_SLACK * k * max(self.everywhere(), visible) / visible))

    def everywhere(self) -> int:
        if self._everywhere is None:
            self._everywhere = self.store.memories_everywhere()
        return self._everywhere


class ServerVectorIndex(_Counted):
    """``VectorIndex``'s reads, answered by Neo4j's vector index and exact cosines."""

    def __init__(self, store: ServerSearch, rows: RankingRows):
        super().__init__(store)
        self.rows = rows  # how many memories each reader sees, without a round trip

    def search(self, vector: np.ndarray, owners: Iterable[str], kind: str, k: int,
               only_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """The k nearest memories of ``kind`` among those ``owners`` hold (and, when given,
        among ``only_ids``), as (id, cosine)."""
        owners = list(owners)
        field, values = owner_filter(kind, owners)
        if not values or k <= 0 or (only_ids is not None and not only_ids):
            return []
        query = self.query(vector, kind, field, values, k, only_ids)
        visible = self.rows.count(owners, kind)
        if only_ids is not None:
            visible = min(visible, len(only_ids))
        if visible <= EXACT_LIMIT:
            return self.exact(query)
        fetch = self.first_fetch(k, visible)
        if fetch >= visible:  # fetching more than the reader sees: score what it sees
            return self.exact(query)
        return self.nearest(query, fetch) or self.exact(query)

    @staticmethod
    def query(vector: np.ndarray, kind: str, owner_field: str, owners: list[str], k: int,
              only_ids: set[str] | None) -> dict[str, Any]:
        return {"vector": np.asarray(vector, dtype=np.float32).ravel().tolist(), "kind": kind,
                "owner_field": owner_field, "owners": owners, "k": k,
                "only_ids": sorted(only_ids) if only_ids is not None else None}

    def nearest(self, query: dict[str, Any], fetch: int | None = None) -> list[tuple[str, float]] | None:
        """Through the HNSW index: the visible hits among the ``fetch`` nearest, ``fetch``
        widening until ``k`` are visible; None when they are too rare to surface."""
        fetch = fetch or max(query["k"] * OVERFETCH, MIN_FETCH)
        while fetch <= MAX_FETCH:
            hits = self.store.vector_candidates(fetch=fetch, **query)
            if len(hits) >= query["k"]:
                return hits
            fetch *= OVERFETCH
        return None

    def exact(self, query: dict[str, Any]) -> list[tuple[str, float]]:
        """Every visible memory scored."""
        return self.store.vector_exact(**query)

    def cosines(self, vector: np.ndarray, memory_ids: Iterable[str]) -> dict[str, float]:
        """Cosine of the query with each listed live memory."""
        query = np.asarray(vector, dtype=np.float32).ravel().tolist()
        return self.store.memory_cosines(query, list(memory_ids))

    def entries(self, memory_ids: Iterable[str]) -> dict[str, VectorEntry]:
        """Owner and kind of each listed live memory, in one round trip."""
        rows = self.store.memory_entries(list(memory_ids))
        return {r["id"]: VectorEntry(r["id"], owner_of(r), r["kind"]) for r in rows}

    def entry(self, memory_id: str) -> VectorEntry | None:
        return self.entries([memory_id]).get(memory_id)

    def ids(self) -> set[str]:
        return self.store.live_ids()

    def vector(self, memory_id: str) -> np.ndarray | None:
        embedding = self.store.memory_embeddings([memory_id]).get(memory_id)
        return None if embedding is None else np.asarray(embedding, dtype=np.float32)


class ServerLexicalIndex(_Counted):
    """``LexicalIndex``'s search, answered by Neo4j's full-text index (Lucene BM25).

    One Lucene index serves every project on the server, so its term statistics are the
    server's, not the project's: a speaker's name in every turn of one conversation is
    rare server-wide and would weigh as if it singled something out. Each query term is
    boosted by idf(in this project) / idf(server-wide) — Lucene's BM25 idf — so its weight
    is the project's, as in the embedded BM25 (document lengths stay server-wide)."""

    def __init__(self, store: ServerSearch, rows: RankingRows):
        super().__init__(store)
        self.rows = rows  # how many memories each reader sees, without a round trip
        self._boosted: tuple[str, str] | None = None  # (query, Lucene query) of the last search
        # per term: (matches on the server, in this project); counting a common term walks
        # all its matches, so each is counted once per generation
        self._terms: dict[str, tuple[int, int]] = {}

    def forget_count(self) -> None:
        super().forget_count()
        self._boosted, self._terms = None, {}

    def search(self, query: str, owners: set[str], kind: str, n: int,
               only_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """Up to ``n`` (memory id, BM25 score) of ``kind`` among ``owners``' memories (and,
        when given, among ``only_ids``), score > 0."""
        field, values = owner_filter(kind, owners)
        if not values or n <= 0 or (only_ids is not None and not only_ids):
            return []
        terms = self._lucene(query)
        if not terms:
            return []
        only = sorted(only_ids) if only_ids is not None else None
        visible = max(1, self.rows.count(owners, kind))
        # Lucene ranks every match of the whole server unless told where to stop: stop at the
        # best ``fetch``, sized like the vector search's from the reader's share, widening
        # while too few of them are visible and Lucene had more.
        fetch = self.first_fetch(n, visible)
        hits: list[tuple[str, float]] | None = None
        while fetch <= MAX_FETCH:
            fetched, hits = self.store.text_candidates(terms, kind, field, values, n, fetch, only)
            if len(hits) >= n or fetched < fetch:
                break
            fetch *= OVERFETCH
            hits = None
        if hits is None:  # the reader's matches are too rare among the server's: all of them
            hits = self.store.text_search(terms, kind, field, values, n, only)
        return [(memory_id, score) for memory_id, score in hits if score > 0]

    def _lucene(self, query: str) -> str:
        """The query as boosted Lucene terms; asked once per query (the ranker searches each kind)."""
        if self._boosted is not None and self._boosted[0] == query:
            return self._boosted[1]
        words = lucene_query(query).split()
        if len(self._terms) > 10_000:
            self._terms.clear()
        unknown = sorted(set(words) - set(self._terms))
        if unknown:
            counted = self.store.term_counts(unknown)
            self._terms.update({word: counted.get(word, (0, 0)) for word in unknown})
        everywhere, here = max(1, self.everywhere()), len(self)
        counts = {word: self._terms.get(word, (0, 0)) for word in words}
        boosts = {word: _idf(here, in_project) / _idf(everywhere, anywhere)
                  for word, (anywhere, in_project) in counts.items() if anywhere and in_project}
        lucene = " ".join(f"{word}^{boosts[word]:.5f}" for word in words if boosts.get(word, 0) > 0)
        self._boosted = (query, lucene)
        return lucene


def _idf(documents: int, matching: int) -> float:
    """Lucene's BM25 idf (bm25s's "lucene" variant too)."""
    return math.log(1 + (max(documents, matching) - matching + 0.5) / (matching + 0.5))


class ServerIndexes:
    """``DerivedIndexes`` for a store whose server holds the indexes: nothing to load or save."""

    def __init__(self, store: ServerSearch, embedder: Embedder):
        self.store = store
        self.embedder = embedder
        self.generation: int = store.generation()
        self.rows = RankingRows(store)
        self.vectors = ServerVectorIndex(store, self.rows)
        self.lexical = ServerLexicalIndex(store, self.rows)

    def rebuild(self) -> None:
        """Vectors for memories stored without one, and every memory's search text again."""
        missing = self.store.missing_embeddings()
        if missing:
            vectors = self.embedder.embed_batch([r["text"] for r in missing])
            with self.store.transaction():
                for row, vector in zip(missing, vectors):
                    self.store.update_memory(row["id"], {"embedding": vector.tolist()})
            log.info("embedded %d memories stored without a vector", len(missing))
        with self.store.transaction():
            self.store.refresh_search_text_everywhere()
        self.catch_up()

    def catch_up(self) -> None:
        """Other processes wrote: the server's indexes already hold it; forget the count,
        and the ranking rows (their writes are not in this process's list of changed ids)."""
        self.generation = self.store.generation()
        self.rows.clear()
        self._changed()

    def stale(self) -> bool:
        return self.store.generation() != self.generation

    def add(self, rows: list[dict[str, Any]]) -> None:
        self._changed()  # the write's transaction already updated the server's indexes

    def remove(self, memory_ids: Iterable[str]) -> None:
        self._changed()

    def save(self) -> None:
        """Nothing lives beside the store."""

    def _changed(self) -> None:
        self.vectors.forget_count()
        self.lexical.forget_count()
