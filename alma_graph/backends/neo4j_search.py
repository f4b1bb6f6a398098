"""Retrieval on the Neo4j server: the vector and full-text searches, and keeping the
text BM25 reads (``search_text``) in step with every write.

A mixin of ``Neo4jStore``; ``alma_graph.indexes.server`` puts these behind the
interfaces the ranker's signals use. Owners are matched on one field: ``agent``,
or ``user_id`` for a user's preferences. The statements are in
``alma_graph.queries.neo4j_search``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from alma_graph.backends.base import GraphStore
from alma_graph.queries import learning as ql
from alma_graph.queries import neo4j_search as sq

log = logging.getLogger(__name__)

SEARCH_TEXT_BATCH = 2000


class ServerSearch(GraphStore):
    """The server-side searches of one project (``Neo4jStore`` is one)."""

    def _fill_search_text(self) -> None:
        """A store written before the search text existed gets it on open (once per project)."""
        if self.get_meta(sq.SEARCH_TEXT_META) is None:
            count = self.refresh_search_text_everywhere()
            self.set_meta(sq.SEARCH_TEXT_META, "1")
            if count:
                log.info("filled in the search text of %d memories of project %s", count, self.project_id)

    # -- searches -----------------------------------------------------------------------

    def _search_params(self, kind: str, owner_field: str, owners: Iterable[str],
                       only_ids: Iterable[str] | None, **more: Any) -> dict[str, Any]:
        params = {"project_id": self.project_id, "kind": kind, "owners": list(owners), **more}
        if only_ids is not None:
            params["only_ids"] = list(only_ids)
        return params

    def vector_candidates(self, vector: list[float], kind: str, owner_field: str, owners: Iterable[str], k: int,
                          fetch: int, only_ids: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """The visible memories among the ``fetch`` nearest of the HNSW index, by exact cosine."""
        params = self._search_params(kind, owner_field, owners, only_ids, vector=vector, k=k, fetch=fetch)
        rows = self.run(sq.vector_candidates(owner_field, only_ids is not None), params)
        return [(r["id"], r["score"]) for r in rows]

    def vector_exact(self, vector: list[float], kind: str, owner_field: str, owners: Iterable[str], k: int,
                     only_ids: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` most similar visible memories, every visible one scored."""
        params = self._search_params(kind, owner_field, owners, only_ids, vector=vector, k=k)
        rows = self.run(sq.vector_exact(owner_field, only_ids is not None), params)
        return [(r["id"], r["score"]) for r in rows]

    def count_visible(self, kind: str, owner_field: str, owners: Iterable[str], cap: int,
                      only_ids: Iterable[str] | None = None) -> int:
        """How many memories with vectors are visible, up to ``cap``."""
        params = self._search_params(kind, owner_field, owners, only_ids, cap=cap)
        return int(self.run(sq.count_visible(owner_field, only_ids is not None), params)[0]["n"])

    def text_search(self, lucene_query: str, kind: str, owner_field: str, owners: Iterable[str], n: int,
                    only_ids: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """BM25 (Lucene) over ``search_text``, the ``n`` best visible matches."""
        params = self._search_params(kind, owner_field, owners, only_ids, query=lucene_query, n=n)
        rows = self.run(sq.text_search(owner_field, only_ids is not None), params)
        return [(r["id"], r["score"]) for r in rows]

    def text_candidates(self, lucene_query: str, kind: str, owner_field: str, owners: Iterable[str], n: int,
                        fetch: int, only_ids: Iterable[str] | None = None) -> tuple[int, list[tuple[str, float]]]:
        """BM25 (Lucene) over ``search_text``: the visible matches among the ``fetch`` best of
        the whole index, best first (up to ``n``), and how many matches Lucene returned."""
        params = self._search_params(kind, owner_field, owners, only_ids, query=lucene_query, n=n, fetch=fetch)
        [row] = self.run(sq.text_candidates(owner_field, only_ids is not None), params)
        hits = sorted(((h["id"], h["score"]) for h in row["hits"]), key=lambda hit: (-hit[1], hit[0]))
        return int(row["fetched"]), hits

    def term_counts(self, terms: list[str]) -> dict[str, tuple[int, int]]:
        """term -> (matching documents in the whole index, in this project's live memories)."""
        if not terms:
            return {}
        rows = self.run(sq.TERM_COUNTS, {"terms": terms, "project_id": self.project_id})
        return {r["term"]: (int(r["everywhere"]), int(r["here"])) for r in rows}

    def memories_everywhere(self) -> int:
        """Memory nodes on the whole server (every project; from Neo4j's count store)."""
        return int(self.run(sq.INDEXED_EVERYWHERE)[0]["n"])

    def similar_outcomes(self, agent: str, category: str, vector: list[float], floor: float,
                         exclude: str) -> list[dict[str, Any]]:
        """Scored on the server: only the outcomes at least ``floor`` close cross the network."""
        params = {**self._outcome_params(agent, category), "exclude": exclude, "vector": vector, "floor": floor}
        return self.run(ql.similar_outcomes("cosine"), params)

    # -- lookups by id --------------------------------------------------------------------

    def memory_cosines(self, vector: list[float], ids: list[str]) -> dict[str, float]:
        if not ids:
            return {}
        rows = self.run(sq.MEMORY_COSINES, {"project_id": self.project_id, "ids": ids, "vector": vector})
        return {r["id"]: r["score"] for r in rows}

    def memory_entries(self, ids: list[str]) -> list[dict[str, Any]]:
        """id, agent, kind and user_id of the live memories among ``ids``."""
        return self.run(sq.MEMORY_ENTRIES, {"project_id": self.project_id, "ids": ids}) if ids else []

    def memory_embeddings(self, ids: list[str]) -> dict[str, list[float] | None]:
        rows = self.run(sq.MEMORY_EMBEDDINGS, {"project_id": self.project_id, "ids": ids}) if ids else []
        return {r["id"]: r["embedding"] for r in rows}

    def live_count(self) -> int:
        """How many memories are live (in retrieval): what both indexes hold."""
        return int(self.run(sq.LIVE_COUNT, {"project_id": self.project_id})[0]["n"])

    def live_ids(self) -> set[str]:
        return {r["id"] for r in self.run(sq.LIVE_IDS, {"project_id": self.project_id})}

    def missing_embeddings(self) -> list[dict[str, Any]]:
        """Live memories without a vector (e.g. written by hand), with their text."""
        return self.run(sq.MISSING_EMBEDDINGS, {"project_id": self.project_id})

    # -- search_text, kept in step with the writes ------------------------------------------

    def memories_changed(self, written: list[str], removed: list[str], everything: bool = False) -> None:
        if everything:
            self.refresh_search_text_everywhere()
        else:
            self.refresh_search_text(written, removed)

    def refresh_search_text(self, written: list[str], removed: list[str]) -> None:
        """The search_text of memories written or removed, and of the turns whose previous
        turn that changed."""
        if not written and not removed:
            return
        ids = set(self.run(sq.SEARCH_TEXT_AFFECTED, {"ids": written + removed})[0]["ids"])
        if removed:
            ids |= {r["id"] for r in self.run(sq.CARRYING_TEXT_OF, {"ids": removed})}
        self._set_search_text(sorted(ids))

    def refresh_search_text_everywhere(self) -> int:
        """Every memory of the project (a store written before the search text, an import)."""
        ids = [r["id"] for r in self.run(sq.PROJECT_MEMORY_IDS, {"project_id": self.project_id})]
        self._set_search_text(ids)
        return len(ids)

    def _set_search_text(self, ids: list[str]) -> None:
        for start in range(0, len(ids), SEARCH_TEXT_BATCH):
            self.run(sq.SET_SEARCH_TEXT, {"ids": ids[start:start + SEARCH_TEXT_BATCH]})
