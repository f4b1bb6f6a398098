"""How the retrieval benchmarks drive alma_graph: only through the public API.

The ranker's recipes, ``as_of`` and the per-item conversation keys of
``add_knowledge_batch`` are detected at run time, so the runners work both
before and after the hybrid ranker lands:

- ``retrieve`` gets ``recipe=`` / ``as_of=`` only when its signature has them;
  without ``recipe`` the one ranker there is runs under the name ``default``;
- a recipe the store does not know is skipped with a note, never fatal;
- items carry ``session_id`` / ``sequence`` / ``speaker`` and the keys the store
  rejects as unknown fields are dropped (validation runs before any write, so a
  rejected batch writes nothing).
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from alma_graph import ALMA
from alma_graph.errors import ALMAGraphError, ValidationError

# The ablation, in one place: dense only, BM25 only, dense + BM25, + graph, the full recipe.
RECIPES: tuple[str, ...] = ("similarity_only", "bm25_only", "dense_bm25", "dense_bm25_graph", "hybrid")
DEFAULT = "default"  # the plain call: retrieve's own default ranker
OPTIONAL_ITEM_KEYS = ("session_id", "sequence", "speaker")
_UNKNOWN_FIELDS = re.compile(r"unknown field\(s\) (\[[^\]]*\])")


def open_store(project_id: str, storage_dir: str, storage: str = "kuzu", indexes: str | None = None,
               recipes: Mapping[str, Any] | None = None) -> ALMA:
    """A fresh store: embedded Kuzu in ``storage_dir``, or a new project on the Neo4j server
    named by NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD (a server keeps earlier runs' projects).
    ``indexes``: ``retrieval.indexes`` (local or server; default: the backend's); extra named
    ``recipes`` (e.g. an ablation)."""
    settings: dict[str, Any] = {"project_id": project_id, "storage": storage, "storage_dir": storage_dir}
    if storage == "neo4j":
        settings["project_id"] = f"{project_id[:50]}-{uuid.uuid4().hex[:8]}"
        settings["neo4j"] = {"uri": os.environ.get("NEO4J_URI", "bolt://localhost:7687"),
                             "user": os.environ.get("NEO4J_USER", "neo4j"), "password": os.environ.get("NEO4J_PASSWORD")}
    retrieval: dict[str, Any] = {}
    if indexes is not None:
        retrieval["indexes"] = indexes
    if recipes:
        retrieval["recipes"] = dict(recipes)
    if retrieval:
        settings["retrieval"] = retrieval
    return ALMA(settings)


def ablation_recipes(base: str = "hybrid") -> dict[str, Any]:
    """The built-in ``base`` recipe without each of its signals in turn: ``<base>_minus_<signal>``."""
    from alma_graph.retrieval.recipes import BUILT_IN

    recipe = BUILT_IN[base]
    return {f"{base}_minus_{name}": recipe.model_copy(update={"signals": {k: v for k, v in recipe.signals.items()
                                                                          if k != name}})
            for name in recipe.signals if len(recipe.signals) > 1}


def retrieve_parameters() -> set[str]:
    return set(inspect.signature(ALMA.retrieve).parameters)


def supports_recipes() -> bool:
    return "recipe" in retrieve_parameters()


def supports_as_of() -> bool:
    return "as_of" in retrieve_parameters()


def _retrieve_kwargs(top_k: int, recipe: str, as_of: datetime | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"top_k": top_k}
    params = retrieve_parameters()
    if recipe != DEFAULT:
        if "recipe" not in params:
            raise ValueError(f"retrieve has no recipe parameter; only {DEFAULT!r} can run")
        kwargs["recipe"] = recipe
    if as_of is not None and "as_of" in params:
        kwargs["as_of"] = as_of
    return kwargs


def retrieve(alma: ALMA, query: str, agent: str, top_k: int, recipe: str = DEFAULT,
             as_of: datetime | None = None):
    """One retrieve call with whichever of recipe / as_of this ALMA accepts."""
    return alma.retrieve(query, agent, **_retrieve_kwargs(top_k, recipe, as_of))


def timed_retrieve(alma: ALMA, query: str, agent: str, top_k: int, recipe: str = DEFAULT,
                   as_of: datetime | None = None) -> tuple[list, float]:
    """(domain-knowledge results in rank order, wall-clock ms of the retrieve call)."""
    kwargs = _retrieve_kwargs(top_k, recipe, as_of)
    started = time.perf_counter()
    result = alma.retrieve(query, agent, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    return list(result.domain_knowledge), elapsed


def guarded_retrieve(alma: ALMA, query: str, agent: str, top_k: int, recipe: str = DEFAULT,
                     as_of: datetime | None = None) -> tuple[list, float | None, str | None]:
    """Like ``timed_retrieve``, but an alma_graph error is returned, not raised, so one
    failing query costs the run one question (scored as nothing retrieved), not the run."""
    try:
        results, elapsed = timed_retrieve(alma, query, agent, top_k, recipe, as_of)
    except ALMAGraphError as exc:
        return [], None, f"{type(exc).__name__}: {exc}"
    return results, elapsed, None


class ErrorLog:
    """Failed retrieve calls per recipe: how many, and the first few messages."""

    def __init__(self, keep: int = 3):
        self.keep = keep
        self.by_recipe: dict[str, dict[str, Any]] = {}

    def add(self, recipe: str, where: str, message: str) -> None:
        entry = self.by_recipe.setdefault(recipe, {"count": 0, "examples": []})
        entry["count"] += 1
        if len(entry["examples"]) < self.keep:
            entry["examples"].append({"where": where, "error": message[:500]})
            first_line = (message.splitlines() or [""])[0]
            print(f"  WARNING: {recipe} failed on {where}: {first_line[:200]}")

    def count(self, recipe: str) -> int:
        return self.by_recipe.get(recipe, {}).get("count", 0)


def resolve_recipes(requested: Sequence[str] | None) -> list[str]:
    """The recipes to run: the requested ones (default: the ablation list) when
    retrieve takes ``recipe``, else only the plain call."""
    if not supports_recipes():
        if requested and set(requested) - {DEFAULT}:
            print(f"note: retrieve has no recipe parameter yet; running only {DEFAULT!r} "
                  f"instead of {list(requested)}")
        return [DEFAULT]
    return list(dict.fromkeys(requested or RECIPES))


def probe_recipes(alma: ALMA, agent: str, recipes: Sequence[str], query: str = "warm up",
                  as_of: datetime | None = None) -> tuple[list[str], dict[str, str], dict[str, float]]:
    """Call each recipe once (which also warms it up: lazily built indexes, caches).

    Returns (recipes that ran, {recipe: why it was skipped}, {recipe: first-call ms})."""
    ok, skipped, first_ms = [], {}, {}
    for recipe in recipes:
        try:
            _, elapsed = timed_retrieve(alma, query, agent, 10, recipe, as_of)
        except (ALMAGraphError, ValueError, KeyError) as exc:
            skipped[recipe] = f"{type(exc).__name__}: {exc}"
            continue
        ok.append(recipe)
        first_ms[recipe] = round(elapsed, 2)
    return ok, skipped, first_ms


def add_batch(alma: ALMA, items: list[dict[str, Any]], batch_size: int = 1000) -> list[str]:
    """Store items through ``add_knowledge_batch``; returns the optional keys that were kept."""
    keys = [k for k in OPTIONAL_ITEM_KEYS if any(k in item for item in items)]
    for start in range(0, len(items), batch_size):
        chunk = items[start:start + batch_size]
        while True:
            try:
                alma.add_knowledge_batch([{k: v for k, v in item.items()
                                           if k in keys or k not in OPTIONAL_ITEM_KEYS} for item in chunk])
                break
            except ValidationError as exc:
                rejected = _rejected_keys(str(exc))
                if not rejected or not rejected <= set(keys):
                    raise
                keys = [k for k in keys if k not in rejected]
    return keys


def _rejected_keys(message: str) -> set[str]:
    match = _UNKNOWN_FIELDS.search(message)
    if not match:
        return set()
    try:
        return set(ast.literal_eval(match.group(1)))
    except (ValueError, SyntaxError):
        return set()


def api_description(item_keys: Sequence[str] | None = None) -> dict[str, Any]:
    """What this run could use of the API, for the results JSON."""
    info: dict[str, Any] = {"retrieve_parameters": sorted(retrieve_parameters() - {"self"})}
    if item_keys is not None:
        info["conversation_item_keys"] = list(item_keys)
    return info


def metadata_of(memory: Any) -> Mapping[str, Any]:
    return getattr(memory, "metadata", None) or {}
