"""bm25: BM25 over memory text (stemmed, stopwords removed; a turn indexed with the one before it)."""

from __future__ import annotations

from alma_graph.indexes.search import TextSearch


def bm25(lexical: TextSearch, query: str, owners: set[str], kind: str, n: int,
         only_ids: set[str] | None) -> list[tuple[str, float]]:
    return lexical.search(query, owners, kind, n, only_ids)
