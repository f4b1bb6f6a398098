"""``retrieve``, step by step:

1. visible agents of the reader (a graph traversal), owners per memory kind;
2. candidates per signal of the recipe, each restricted to what the reader may see
   before its top-n (``retrieval.fusion``, ``retrieval.signals``);
3. weighted reciprocal rank fusion, then ALMA's factors (``retrieval.factors``);
4. rows from the graph → typed memories with score breakdowns (and explain paths).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterable
from datetime import datetime

from alma_graph.context import Context
from alma_graph.events import EventType
from alma_graph.memory.records import as_utc, to_memory, user_owner, utcnow
from alma_graph.memory.validation import (
    MAX_QUERY_CHARS,
    check_bool,
    check_ids,
    check_name,
    check_optional_name,
    check_text,
    check_top_k,
)
from alma_graph.indexes.model_loading import load_models
from alma_graph.models import SLICE_FIELDS, MemoryKind, MemorySlice
from alma_graph.retrieval.factors import Ranker
from alma_graph.retrieval.fusion import HybridRanker
from alma_graph.retrieval.recipes import resolve as resolve_recipe


def retrieve(ctx: Context, task: str, agent: str, top_k: int | None = None, user_id: str | None = None,
             include_shared: bool = True, recipe: str | None = None, explain: bool = False,
             as_of: datetime | None = None, only_ids: Iterable[str] | None = None) -> MemorySlice:
    """The memories most relevant to ``task`` that ``agent`` may see, top_k per kind."""
    ctx.check_open()
    int8 = ctx.config.retrieval.query_embedding == "int8"
    load_ms = load_models(spacy=ctx.config.extraction.enabled, int8=int8)  # reported apart from retrieval time
    started = time.perf_counter()
    config = ctx.config.retrieval
    task = check_text(task, "task", MAX_QUERY_CHARS)
    agent = check_name(agent)
    top_k = check_top_k(top_k if top_k is not None else config.default_top_k)
    user_id = check_optional_name(user_id, "user_id")
    include_shared, explain = check_bool(include_shared, "include_shared"), check_bool(explain, "explain")
    if recipe is not None:
        recipe = check_name(recipe, "recipe")  # a str (a dict would be unhashable); resolve names them
    allowed = set(check_ids(only_ids, "only_ids")) if only_ids is not None else None
    ranker_recipe = resolve_recipe(recipe or config.recipe, config.recipes)
    now = as_utc(as_of) or utcnow()
    ctx.refresh()

    visible = ctx.visible(agent) if include_shared else {agent: None}
    owners_by_kind = {kind.value: list(visible) for kind in MemoryKind if kind is not MemoryKind.PREFERENCE}
    if user_id is not None:
        owners_by_kind[MemoryKind.PREFERENCE.value] = [user_owner(user_id)]
    vector = ctx.embedder.embed_query(task, int8=int8)
    ranking_rows = ctx.indexes.rows
    ranked = HybridRanker(ctx.store, ctx.knowledge, ranking_rows, ctx.indexes.generation).rank(
        task, vector, owners_by_kind, ranker_recipe, ctx.indexes.vectors, ctx.indexes.lexical, now, allowed, explain)

    # Candidates' rows come from memory (``indexes.rows``), not from the store.
    rows = ranking_rows.get(c.memory_id for cs in ranked.values() for c in cs)
    chosen: list[tuple[MemoryKind, list]] = []
    ranker = Ranker(config)
    for kind_value, candidates in ranked.items():
        kind = MemoryKind(kind_value)
        scored = []
        # Candidates come best relevance first: once even the factors' ceiling cannot lift
        # one above the k-th best score, none after it can enter the top k either.
        ceiling = ranker.ceiling([rows[c.memory_id] for c in candidates if c.memory_id in rows]) \
            if ranker_recipe.factors else 0.0
        weight = config.weights.similarity
        top_scores: list[float] = []  # the top_k scores so far, a min-heap
        for candidate in candidates:
            if len(top_scores) == top_k and weight * candidate.relevance + ceiling < top_scores[0] - 1e-9:
                break
            row = rows.get(candidate.memory_id)
            if row is None:  # archived or gone since the indexes saw it
                continue
            # Found by similarity alone and barely similar: unrelated, so not returned.
            # A user's preferences apply broadly and are never dropped.
            if (kind is not MemoryKind.PREFERENCE and set(candidate.signals) <= {"dense"}
                    and (candidate.cosine or 0.0) < config.min_similarity):
                continue
            item = ranker.score(row, candidate.relevance, now, ranker_recipe.factors, candidate.cosine)
            scored.append((item, candidate))
            if len(top_scores) < top_k:
                heapq.heappush(top_scores, item.score)
            else:
                heapq.heappushpop(top_scores, item.score)  # keeps the top_k largest
        scored.sort(key=lambda pair: -pair[0].score)
        chosen.append((kind, scored[:top_k]))
    result = MemorySlice(query=task, agent=agent)
    for kind, best in chosen:
        for item, candidate in best:
            row = item.row
            shared_from = visible.get(row["agent"]) if kind is not MemoryKind.PREFERENCE else None
            memory = to_memory(row, shared_from=shared_from)
            memory.score, memory.score_breakdown = item.score, item.breakdown
            if explain:
                memory.explain = {"recipe": recipe or config.recipe,
                                  "signals": {name: {"rank": rank, "score": round(float(score), 4)}
                                              for name, (rank, score) in candidate.signals.items()},
                                  "fused_rrf": round(candidate.fused, 6),
                                  "paths": candidate.paths}
            getattr(result, SLICE_FIELDS[kind]).append(memory)
    result.retrieval_time_ms = (time.perf_counter() - started) * 1000
    result.load_time_ms = load_ms
    ctx.emit(EventType.ACCESSED, agent, [m.id for m in result.all()], query=task)
    return result
