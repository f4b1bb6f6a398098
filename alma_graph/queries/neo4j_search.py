"""Neo4j-only statements for retrieval on the server: its vector (HNSW) index over
``Memory.embedding``, its full-text (Lucene, BM25) index over ``Memory.search_text``,
and the searches that apply visibility before the top-n.

``search_text`` is what BM25 reads, the same text the embedded BM25 index builds
(``alma_graph.indexes.lexical``): a conversation turn together with the live turn
before it in its session (``search_prev`` names that turn, so erasing or archiving it
refreshes the reply), nothing for an archived memory. It is kept in step inside
every write transaction, so a commit is searchable by every process at once.

Neo4j 5's vector search has no filter: ``db.index.vector.queryNodes`` returns the
global nearest nodes, which are then filtered. A caller over-fetches and widens,
or, when the visible set is small, ranks it exactly with ``vector.similarity.cosine``
(see ``alma_graph.indexes.server``). Both Neo4j similarities are normalised to
[0, 1]: ``(1 + cosine) / 2``; the statements return the plain cosine.
"""

from __future__ import annotations

VECTOR_INDEX = "memory_embedding"
TEXT_INDEX = "memory_search_text"
SEARCH_TEXT_META = "search_text"  # meta key: this project's search_text has been filled in
OWNER_FIELDS = ("agent", "user_id")  # preferences belong to a user, everything else to an agent


def search_schema(dimension: int) -> dict[str, str]:
    """Name -> statement, each idempotent. The indexes cover every project on the server."""
    return {
        VECTOR_INDEX: (
            f"CREATE VECTOR INDEX {VECTOR_INDEX} IF NOT EXISTS FOR (m:Memory) ON m.embedding "
            f"OPTIONS {{indexConfig: {{`vector.dimensions`: {int(dimension)}, "
            "`vector.similarity_function`: 'cosine'}}"
        ),
        # Lucene's English analyzer: the 33 stopwords bm25s uses too, Porter stemming.
        TEXT_INDEX: (
            f"CREATE FULLTEXT INDEX {TEXT_INDEX} IF NOT EXISTS FOR (m:Memory) ON EACH [m.search_text] "
            "OPTIONS {indexConfig: {`fulltext.analyzer`: 'english'}}"
        ),
        "memory_session_id": "CREATE INDEX memory_session_id IF NOT EXISTS FOR (m:Memory) ON (m.session_id)",
        "memory_search_prev": "CREATE INDEX memory_search_prev IF NOT EXISTS FOR (m:Memory) ON (m.search_prev)",
    }


AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"


def _visible(owner_field: str, only_ids: bool, vectors: bool = True) -> str:
    """Who may see a memory, as a WHERE clause on ``m`` (fixed fragments only)."""
    if owner_field not in OWNER_FIELDS:
        raise ValueError(f"unknown owner field {owner_field!r}")
    clause = f"m.project_id = $project_id AND m.archived = false AND m.kind = $kind AND m.{owner_field} IN $owners"
    clause += " AND m.embedding IS NOT NULL" if vectors else ""
    return clause + (" AND m.id IN $only_ids" if only_ids else "")


def vector_candidates(owner_field: str, only_ids: bool) -> str:
    """The visible nodes among the ``$fetch`` nearest of the whole index, scored exactly."""
    return (
        f"CALL db.index.vector.queryNodes('{VECTOR_INDEX}', $fetch, $vector) YIELD node AS m "
        f"WHERE {_visible(owner_field, only_ids)} "
        "WITH m, 2 * vector.similarity.cosine(m.embedding, $vector) - 1 AS score "
        "RETURN m.id AS id, score ORDER BY score DESC, m.created_at, id LIMIT $k"
    )


def vector_exact(owner_field: str, only_ids: bool) -> str:
    """Every visible memory scored: exact, for a visible set small enough to scan."""
    return (f"MATCH (m:Memory) WHERE {_visible(owner_field, only_ids)} "
            "WITH m, 2 * vector.similarity.cosine(m.embedding, $vector) - 1 AS score "
            "RETURN m.id AS id, score ORDER BY score DESC, m.created_at, id LIMIT $k")


def count_visible(owner_field: str, only_ids: bool) -> str:
    """How many memories are visible, counting no further than ``$cap``."""
    return f"MATCH (m:Memory) WHERE {_visible(owner_field, only_ids)} WITH m LIMIT $cap RETURN count(m) AS n"


def text_search(owner_field: str, only_ids: bool) -> str:
    """BM25 over ``search_text``: Lucene returns every match by score; the visible ones are kept."""
    return (
        f"CALL db.index.fulltext.queryNodes('{TEXT_INDEX}', $query) YIELD node AS m, score "
        f"WHERE {_visible(owner_field, only_ids, vectors=False)} "
        "RETURN m.id AS id, score ORDER BY score DESC, id LIMIT $n"  # ties by id, as the embedded BM25
    )


def text_candidates(owner_field: str, only_ids: bool) -> str:
    """BM25 over ``search_text``, Lucene stopping at its ``$fetch`` best matches of the whole
    index: the visible ones among them (up to ``$n``), and how many Lucene returned — fewer
    than ``$fetch`` means there were no more."""
    return (
        f"CALL db.index.fulltext.queryNodes('{TEXT_INDEX}', $query, {{limit: $fetch}}) YIELD node AS m, score "
        f"WITH count(*) AS fetched, collect(CASE WHEN {_visible(owner_field, only_ids, vectors=False)} "
        "THEN {id: m.id, score: score} END) AS hits "
        "RETURN fetched, hits[..$n] AS hits"
    )


# Per query term: the documents of the whole index, and of this project, that match it.
TERM_COUNTS = f"""
UNWIND $terms AS term
CALL {{
  WITH term
  CALL db.index.fulltext.queryNodes('{TEXT_INDEX}', term) YIELD node
  RETURN count(node) AS everywhere,
         sum(CASE WHEN node.project_id = $project_id AND node.archived = false THEN 1 ELSE 0 END) AS here
}}
RETURN term, everywhere, here
"""

INDEXED_EVERYWHERE = "MATCH (m:Memory) RETURN count(m) AS n"  # the count store: no scan

MEMORY_COSINES = """
MATCH (m:Memory) WHERE m.id IN $ids AND m.project_id = $project_id AND m.archived = false
  AND m.embedding IS NOT NULL
RETURN m.id AS id, 2 * vector.similarity.cosine(m.embedding, $vector) - 1 AS score
"""

MEMORY_ENTRIES = """
MATCH (m:Memory) WHERE m.id IN $ids AND m.project_id = $project_id AND m.archived = false
RETURN m.id AS id, m.agent AS agent, m.kind AS kind, m.user_id AS user_id
"""

MEMORY_EMBEDDINGS = """
MATCH (m:Memory) WHERE m.id IN $ids AND m.project_id = $project_id AND m.archived = false
RETURN m.id AS id, m.embedding AS embedding
"""

LIVE_COUNT = "MATCH (m:Memory) WHERE m.project_id = $project_id AND m.archived = false RETURN count(*) AS n"

LIVE_IDS = "MATCH (m:Memory) WHERE m.project_id = $project_id AND m.archived = false RETURN m.id AS id"

MISSING_EMBEDDINGS = """
MATCH (m:Memory) WHERE m.project_id = $project_id AND m.archived = false AND m.embedding IS NULL
RETURN m.id AS id, m.text AS text
"""

PROJECT_MEMORY_IDS = "MATCH (m:Memory) WHERE m.project_id = $project_id RETURN m.id AS id"

# The memories whose search_text a write may have changed: the written ones, the turn
# after each (its previous turn changed), and the turns that carried a removed one's text.
SEARCH_TEXT_AFFECTED = """
UNWIND $ids AS id
MATCH (m:Memory {id: id})
OPTIONAL MATCH (n:Memory)
WHERE m.session_id IS NOT NULL AND m.sequence IS NOT NULL
  AND n.session_id = m.session_id AND n.sequence = m.sequence + 1 AND n.project_id = m.project_id
RETURN collect(DISTINCT m.id) + collect(DISTINCT n.id) AS ids
"""

CARRYING_TEXT_OF = "MATCH (n:Memory) WHERE n.search_prev IN $ids RETURN n.id AS id"

# A live turn's previous live turn, the newest when two share a position (as the
# embedded index's by-position lookup keeps the last one it saw).
SET_SEARCH_TEXT = """
UNWIND $ids AS id
MATCH (m:Memory {id: id})
CALL {
  WITH m
  OPTIONAL MATCH (p:Memory)
  WHERE m.archived = false AND m.session_id IS NOT NULL AND m.sequence IS NOT NULL
    AND p.session_id = m.session_id AND p.sequence = m.sequence - 1 AND p.project_id = m.project_id
    AND p.archived = false
  RETURN p ORDER BY p.created_at DESC, p.id DESC LIMIT 1
}
SET m.search_text = CASE WHEN m.archived THEN null
                         WHEN p IS NULL OR p.text IS NULL OR p.text = '' THEN m.text
                         ELSE p.text + ' ' + m.text END,
    m.search_prev = CASE WHEN m.archived THEN null ELSE p.id END
"""
