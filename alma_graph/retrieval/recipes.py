"""Named ranker recipes: every signal and the fusion of a retrieval strategy in one place.

A recipe lists candidate signals — each a ranked list of visible memories — with
how many candidates it contributes (``n``) and its weight in reciprocal rank
fusion. ``hybrid`` is the default; the others exist to compare against (the
LoCoMo benchmark's ablation) and for callers who want a cheaper ranker.
Custom recipes are declared in config under ``retrieval.recipes`` and chosen by
``retrieval.recipe`` or per call: ``alma.retrieve(..., recipe="my_recipe")``.

Signals:
- dense:     FAISS cosine over MiniLM embeddings
- bm25:      BM25 over memory text (stemmed, stopwords removed)
- graph:     Personalized PageRank over memories, concepts and entities, seeded by
             the concepts and entities the query names and the best dense/BM25 hits
             (retrieval/signals/graph.py)
- time:      memories whose time falls in a window the query names ("in May 2023",
             "last week"), ordered by similarity
- neighbors: the turns next to the best hits in their session
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alma_graph.errors import ValidationError


class _Frozen(BaseModel):
    """Recipes are data: strict on input, never changed once built (the built-ins are shared)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


SignalName = Literal["dense", "bm25", "graph", "time", "neighbors"]


class SignalConfig(_Frozen):
    """One candidate list of the hybrid ranker: how many it contributes and its RRF weight."""

    n: int = Field(default=50, ge=1, le=10_000)
    weight: float = Field(default=1.0, ge=0)


class RecipeConfig(_Frozen):
    """A ranker, declared: its candidate signals, the fusion constant and whether
    ALMA's factors (recency, success rate, confidence, feedback) apply."""

    signals: dict[SignalName, SignalConfig]
    rrf_k: int = Field(default=60, ge=1, le=1000)
    factors: bool = True
    neighbor_window: int = Field(default=1, ge=0, le=10)

    @field_validator("signals")
    @classmethod
    def _some_signal(cls, signals: dict) -> dict:
        if not signals:
            raise ValueError("a recipe needs at least one signal")
        return signals


BUILT_IN: Mapping[str, RecipeConfig] = MappingProxyType({
    "similarity_only": RecipeConfig(signals={"dense": SignalConfig(n=50)}),
    "bm25_only": RecipeConfig(signals={"bm25": SignalConfig(n=50)}),
    "dense_bm25": RecipeConfig(signals={"dense": SignalConfig(n=50), "bm25": SignalConfig(n=50)}),
    "dense_bm25_graph": RecipeConfig(signals={
        "dense": SignalConfig(n=50), "bm25": SignalConfig(n=50), "graph": SignalConfig(n=100),
    }),
    # Weights and k tuned on the LoCoMo development conversations: BM25 (which indexes a
    # turn with the one before it) is the strongest single signal there, so it counts double.
    "hybrid": RecipeConfig(rrf_k=20, signals={
        "dense": SignalConfig(n=50, weight=1.0),
        "bm25": SignalConfig(n=50, weight=2.0),
        "graph": SignalConfig(n=100, weight=1.0),  # PageRank's tail still carries multi-hop evidence
        "time": SignalConfig(n=30, weight=1.0),
        # The graph now finds much of what the next turn used to bring: at 0.5 the
        # neighbours cost recall (LoCoMo dev R_any@5 0.716 at 0.5, 0.728 at 0.25).
        "neighbors": SignalConfig(n=20, weight=0.25),
    }),
})


def recipe_names(custom: dict[str, RecipeConfig]) -> list[str]:
    return sorted(set(BUILT_IN) | set(custom))


def resolve(name: str, custom: dict[str, RecipeConfig]) -> RecipeConfig:
    """The recipe called ``name``; a custom one of the same name overrides a built-in."""
    if name in custom:
        return custom[name]
    if name in BUILT_IN:
        return BUILT_IN[name]
    raise ValidationError(f"unknown recipe {name!r}; choose one of {recipe_names(custom)}")
