"""Scoped retrieval: the same ranking as ``retrieve``, over a narrower set of memories.

- ``project_wide``: everything the agent may see anywhere in the project — its own
  memories, inherited ones and those shared with it, from every workflow. Visibility
  still applies: a scope never shows an agent what it may not read.
- ``agent_only``: the agent's own memories only (no inherited or shared ones).
- ``workflow_only``: the memories linked ``IN_WORKFLOW`` to the given workflow
  (outcomes learned with ``workflow_id=`` and what they induced) that the agent may see.

The workflow filter is applied before ranking: the candidate indexes are built from
the workflow's memories alone, so memories outside the workflow can neither appear
nor push the workflow's own out of the top-k.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from alma_graph.errors import ValidationError
from alma_graph.lexical import LexicalIndex
from alma_graph.models import MemorySlice
from alma_graph.validation import check_name
from alma_graph.vectors import VectorEntry, VectorIndex
from alma_graph.workflows import check_workflow_id, workflow_memories

if TYPE_CHECKING:
    from alma_graph.alma import ALMA

SCOPES = ("workflow_only", "agent_only", "project_wide")
# ALMA's RetrievalScope values, accepted by the ``retrieve_with_scope`` alias.
ALMA_SCOPES = {"workflow": "workflow_only", "run": "workflow_only", "agent": "agent_only",
               "tenant": "project_wide", "global": "project_wide", "project": "project_wide"}


def check_scope_name(scope: Any) -> str:
    value = getattr(scope, "value", scope)  # an enum member such as ALMA's RetrievalScope.AGENT
    if isinstance(value, str):
        value = value.strip().lower()
        value = ALMA_SCOPES.get(value, value)
    if value not in SCOPES:
        raise ValidationError(f"scope must be one of {list(SCOPES)}, got {scope!r}")
    return value


def retrieve_scoped(alma: "ALMA", query: str, agent: str, scope: Any, workflow_id: str | None = None,
                    **options: Any) -> MemorySlice:
    """``retrieve`` restricted to a scope; ``options`` are retrieve's (top_k, user_id, recipe, explain, as_of)."""
    scope = check_scope_name(scope)
    if "include_shared" in options:
        raise ValidationError("retrieve_scoped takes a scope instead of include_shared")
    if scope != "workflow_only":
        if workflow_id is not None:
            raise ValidationError(f"workflow_id applies to scope 'workflow_only', not {scope!r}")
        return alma.retrieve(query, agent, include_shared=(scope == "project_wide"), **options)
    if workflow_id is None:
        raise ValidationError("scope 'workflow_only' needs a workflow_id")
    workflow_id = check_workflow_id(workflow_id)
    check_name(agent)
    alma._check_open()
    alma._refresh_index()
    rows = workflow_memories(alma.store, workflow_id)
    view = _RestrictedView(alma, {r["id"] for r in rows})
    return type(alma).retrieve(view, query, agent, **options)


class _RestrictedView:
    """The ALMA instance as ``retrieve`` sees it, with candidate indexes holding only the
    allowed memories. Everything else (store, ranker, config, events) is the instance's own,
    so scoring, validation and events are exactly retrieve's."""

    def __init__(self, alma: "ALMA", allowed: set[str]):
        self._alma = alma
        self._allowed = allowed
        index = alma._index
        kept = [(i, index.entry(i), index.vector(i)) for i in sorted(allowed)]
        kept = [(i, entry, vector) for i, entry, vector in kept if entry is not None and vector is not None]
        self._index = VectorIndex(index.dimension)
        if kept:
            self._index.add([entry for _, entry, _ in kept], np.vstack([vector for _, _, vector in kept]))
        rows = {r["id"]: r for r in alma.store.get_memories([i for i, _, _ in kept])}
        self._lexical = LexicalIndex()
        docs = [(entry, rows[i]) for i, entry, _ in kept if i in rows]
        self._lexical.add([VectorEntry(e.memory_id, e.owner, e.kind) for e, _ in docs], [r["text"] for _, r in docs],
                          [(r["session_id"], r["sequence"]) if r["session_id"] and r["sequence"] is not None else None
                           for _, r in docs])
        self.hybrid = _RestrictedRanker(alma.hybrid, allowed)

    def _refresh_index(self) -> None:
        """Already brought up to date before the view was built."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._alma, name)


class _RestrictedRanker:
    """The hybrid ranker, dropping candidates outside the allowed set (the session-neighbours
    signal reads the graph, not the indexes)."""

    def __init__(self, ranker: Any, allowed: set[str]):
        self._ranker = ranker
        self._allowed = allowed

    def rank(self, *args: Any, **kwargs: Any) -> dict[str, list]:
        ranked = self._ranker.rank(*args, **kwargs)
        return {kind: [c for c in candidates if c.memory_id in self._allowed] for kind, candidates in ranked.items()}


__all__ = ["SCOPES", "retrieve_scoped", "check_scope_name"]
