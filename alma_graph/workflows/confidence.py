"""The confidence engine: how likely a strategy is to work here, before trying it.

``assess_strategy(strategy, context, agent)`` retrieves the heuristics, anti-patterns
and outcomes the agent may see for "<context> | strategy: <strategy>", and weighs
each by how close its strategy is to the one proposed (cosine of the embeddings;
below ``MATCH`` it does not count) and, for heuristics and outcomes, how close its
situation is to this context. The weighted successes and failures give a Beta(1, 1)
posterior whose mean is the confidence; an outcome already counted through a
heuristic or anti-pattern derived from it is not counted twice. A close anti-pattern
(``AVOID`` or more similar) caps the recommendation at "caution", or "avoid" when the
evidence is against the strategy. The assessment lists every memory it relied on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alma_graph.graph_model import Edge
from alma_graph.memory.validation import MAX_QUERY_CHARS, check_name, check_text, check_top_k
from alma_graph.context import Context
from alma_graph.retrieval.pipeline import retrieve


MATCH = 0.5  # strategy similarity below which a memory says nothing about this strategy
AVOID = 0.75  # an anti-pattern this close to the strategy is a direct warning


@dataclass
class Evidence:
    memory_id: str
    kind: str
    text: str
    strategy_similarity: float
    context_similarity: float | None
    weight: float
    successes: float
    failures: float
    shared_from: str | None = None


@dataclass
class StrategyAssessment:
    strategy: str
    context: str
    agent: str
    confidence: float  # posterior mean of success, 0..1 (0.5 with no evidence)
    recommendation: str  # strong_yes, yes, neutral, caution, avoid
    evidence: float  # weighted number of observations behind the confidence
    supporting: list[Evidence] = field(default_factory=list)  # more successes than failures
    risks: list[Evidence] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    reasoning: str = ""

    @property
    def memory_ids(self) -> list[str]:
        return [e.memory_id for e in self.supporting + self.risks]

    def to_prompt(self) -> str:
        lines = [f"## Confidence in: {self.strategy}",
                 f"- Recommendation: {self.recommendation} (confidence {self.confidence:.2f}, "
                 f"evidence {self.evidence:.1f})", f"- {self.reasoning}"]
        lines += [f"- Supports: {e.text}" for e in self.supporting]
        lines += [f"- Risk: {e.text}" for e in self.risks]
        lines += [f"- Consider instead: {a}" for a in self.alternatives]
        return "\n".join(lines)


def _recommend(confidence: float, evidence: float, warned: bool) -> str:
    if evidence < 1.0:
        label = "neutral"
    elif confidence >= 0.75 and evidence >= 3:
        label = "strong_yes"
    elif confidence >= 0.6:
        label = "yes"
    elif confidence >= 0.4:
        label = "neutral"
    elif confidence >= 0.25:
        label = "caution"
    else:
        label = "avoid"
    if warned and label in ("strong_yes", "yes", "neutral"):
        label = "caution" if confidence >= 0.4 else "avoid"
    return label


def assess(ctx: Context, strategy: str, context: str, agent: str, top_k: int = 10) -> StrategyAssessment:
    strategy = check_text(strategy, "strategy", MAX_QUERY_CHARS)
    context = check_text(context, "context", MAX_QUERY_CHARS)
    agent = check_name(agent)
    top_k = check_top_k(top_k)
    memories = retrieve(ctx, f"{context} | strategy: {strategy}", agent, top_k=top_k)
    candidates: list[tuple[Any, str, str | None]] = []  # (memory, its strategy text, its situation text or None)
    for h in memories.heuristics:
        candidates.append((h, h.strategy, h.condition))
    for a in memories.anti_patterns:
        candidates.append((a, a.pattern, None))
    for o in memories.outcomes:
        candidates.append((o, o.strategy_used, o.task_description))
    texts = [strategy, context] + [t for _, s, c in candidates for t in (s, c or s)]
    vectors = np.asarray(ctx.embedder.embed_batch(texts), dtype=np.float32)
    s_vec, c_vec = vectors[0], vectors[1]

    counted: set[str] = set()
    evidence: list[Evidence] = []
    warned = False
    alternatives: list[str] = []
    for i, (memory, _, situation) in enumerate(candidates):
        s_sim = float(vectors[2 + 2 * i] @ s_vec)
        c_sim = float(vectors[3 + 2 * i] @ c_vec) if situation is not None else None
        if s_sim < MATCH:
            if memory.kind.value == "heuristic" and (c_sim or 0) >= MATCH and memory.success_rate >= 0.6:
                alternatives.append(memory.strategy)  # worked in a similar situation, with another strategy
            continue
        weight = s_sim * (0.5 + 0.5 * max(0.0, c_sim)) if c_sim is not None else s_sim
        kind = memory.kind.value
        if kind == "heuristic":
            wins, losses = memory.success_count, memory.occurrence_count - memory.success_count
        elif kind == "anti_pattern":
            wins, losses = 0, max(1, memory.occurrence_count)
            warned = warned or s_sim >= AVOID
            if memory.better_alternative:
                alternatives.append(memory.better_alternative)
        else:
            derived = set(ctx.store.sources(Edge.DERIVED_FROM, memory.id))
            if derived & counted:
                continue  # already counted through the heuristic / anti-pattern it fed
            wins, losses = (1, 0) if memory.success else (0, 1)
        counted.add(memory.id)
        evidence.append(Evidence(memory.id, kind, memory.text, round(s_sim, 4),
                                 round(c_sim, 4) if c_sim is not None else None, round(weight, 4),
                                 weight * wins, weight * losses, memory.shared_from))
    successes = sum(e.successes for e in evidence)
    failures = sum(e.failures for e in evidence)
    confidence = (1 + successes) / (2 + successes + failures)
    total = successes + failures
    recommendation = _recommend(confidence, total, warned)
    if not evidence:
        reasoning = "No heuristic, anti-pattern or outcome the agent can see uses a similar strategy."
    else:
        reasoning = (f"{len(evidence)} relevant {'memory' if len(evidence) == 1 else 'memories'}: "
                     f"{successes:.1f} weighted successes, "
                     f"{failures:.1f} weighted failures" + ("; an anti-pattern warns against it" if warned else ""))
    return StrategyAssessment(
        strategy=strategy, context=context, agent=agent, confidence=round(confidence, 4),
        recommendation=recommendation, evidence=round(total, 4),
        supporting=[e for e in evidence if e.successes > e.failures],
        risks=[e for e in evidence if e.successes <= e.failures],
        alternatives=list(dict.fromkeys(a for a in alternatives if a != strategy)), reasoning=reasoning)
