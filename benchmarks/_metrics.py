"""Retrieval metrics shared by the LoCoMo and LongMemEval runners.

Pure functions over a ranked list of document ids and a set of relevant ids:
no model, no store, so the tests check them on hand-computed cases.

- ``recall_any(ranked, relevant, k)``: 1 when any relevant id is in the top k.
- ``recall_all(ranked, relevant, k)``: 1 when every relevant id is.
- ``ndcg(ranked, relevant, k)``: binary relevance. Two discounts:
  ``"standard"`` (rank p counts 1/log2(p+1); LoCoMo's figures) and
  ``"longmemeval"`` (rank 1 counts 1, rank p ≥ 2 counts 1/log2(p), as
  LongMemEval's ``src/retrieval/eval_utils.py`` computes ``ndcg_any``).

An empty ``relevant`` set is an error: such questions cannot be scored and the
runners leave them out (and count them) before calling these.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence

DISCOUNTS = ("standard", "longmemeval")


def _relevant_set(relevant: Iterable[Hashable]) -> set:
    relevant = set(relevant)
    if not relevant:
        raise ValueError("no relevant documents: leave this question out of the averages")
    return relevant


def _check_k(k: int) -> None:
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")


def dedupe(ids: Iterable[Hashable]) -> list:
    """The ids in order of first appearance (chunks of one document → the document once)."""
    return list(dict.fromkeys(ids))


def recall_any(ranked: Sequence[Hashable], relevant: Iterable[Hashable], k: int) -> float:
    _check_k(k)
    relevant = _relevant_set(relevant)
    return 1.0 if relevant & set(ranked[:k]) else 0.0


def recall_all(ranked: Sequence[Hashable], relevant: Iterable[Hashable], k: int) -> float:
    _check_k(k)
    relevant = _relevant_set(relevant)
    return 1.0 if relevant <= set(ranked[:k]) else 0.0


def _discount(position: int, discount: str) -> float:
    """The weight of a hit at 1-based ``position``."""
    if discount == "standard":
        return 1.0 / math.log2(position + 1)
    if discount == "longmemeval":
        return 1.0 if position == 1 else 1.0 / math.log2(position)
    raise ValueError(f"discount must be one of {DISCOUNTS}, got {discount!r}")


def dcg(relevances: Sequence[float], k: int, discount: str = "standard") -> float:
    """Discounted cumulative gain of the first k relevances (rank order)."""
    _check_k(k)
    return sum(rel * _discount(p, discount) for p, rel in enumerate(relevances[:k], start=1))


def ndcg(ranked: Sequence[Hashable], relevant: Iterable[Hashable], k: int, discount: str = "standard") -> float:
    """NDCG@k with binary relevance. A document counts once, at its first rank
    (later repeats are not relevant again); the ideal ranking puts all relevant
    documents first."""
    relevant = _relevant_set(relevant)
    seen: set = set()
    gains = []
    for doc in ranked[:k]:
        gains.append(1.0 if doc in relevant and doc not in seen else 0.0)
        seen.add(doc)
    ideal = dcg([1.0] * min(len(relevant), k), k, discount)
    return dcg(gains, k, discount) / ideal


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def average(records: Sequence[dict[str, float]], keys: Sequence[str], digits: int = 4) -> dict[str, float | int | None]:
    """Per-key means of per-question metric dicts, plus ``n``."""
    out: dict[str, float | int | None] = {"n": len(records)}
    for key in keys:
        value = mean([r[key] for r in records])
        out[key] = round(value, digits) if value is not None else None
    return out
