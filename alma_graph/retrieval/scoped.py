"""Scoped retrieval: the same ranking as ``retrieve``, over a narrower set of memories.

- ``project_wide``: everything the agent may see anywhere in the project — its own
  memories, inherited ones and those shared with it, from every workflow. Visibility
  still applies: a scope never shows an agent what it may not read.
- ``agent_only``: the agent's own memories only (no inherited or shared ones).
- ``workflow_only``: the memories linked ``IN_WORKFLOW`` to the given workflow
  (outcomes learned with ``workflow_id=`` and what they induced) that the agent may see.

The workflow filter is applied before ranking (``retrieve(only_ids=...)`` narrows
every signal before its top-n), so memories outside the workflow can neither appear
nor push the workflow's own out of the top-k.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


from alma_graph.errors import ValidationError
from alma_graph.models import MemorySlice
from alma_graph.workflows.checkpoints import check_workflow_id, workflow_memories
from alma_graph.context import Context
from alma_graph.retrieval.pipeline import retrieve
from alma_graph.memory.validation import shown


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
        raise ValidationError(f"scope must be one of {list(SCOPES)}, got {shown(scope)}")
    return value


def retrieve_scoped(ctx: Context, query: str, agent: str, scope: Any, workflow_id: str | None = None,
                    **options: Any) -> MemorySlice:
    """``retrieve`` restricted to a scope; ``options`` are retrieve's (top_k, user_id, recipe, explain, as_of)."""
    scope = check_scope_name(scope)
    if "include_shared" in options:
        raise ValidationError("retrieve_scoped takes a scope instead of include_shared")
    if scope != "workflow_only":
        if workflow_id is not None:
            raise ValidationError(f"workflow_id applies to scope 'workflow_only', not {scope!r}")
        return retrieve(ctx, query, agent, include_shared=(scope == "project_wide"), **options)
    if workflow_id is None:
        raise ValidationError("scope 'workflow_only' needs a workflow_id")
    workflow_id = check_workflow_id(workflow_id)
    ctx.check_open()
    rows = workflow_memories(ctx.store, workflow_id)
    return retrieve(ctx, query, agent, only_ids={r["id"] for r in rows}, **options)


__all__ = ["SCOPES", "retrieve_scoped", "retrieve_with_scope", "check_scope_name"]


def retrieve_with_scope(ctx: Context, task: str, agent: str, context: Any = None, scope: Any = "agent",
                        user_id: str | None = None, top_k: int = 5) -> MemorySlice:
    """ALMA's ``retrieve_with_scope``: ``context`` is a workflow id, a dict with ``workflow_id``
    or an object with that attribute; ``scope`` takes ALMA's values too."""
    workflow_id = context if isinstance(context, str) or context is None else (
        context.get("workflow_id") if isinstance(context, Mapping) else getattr(context, "workflow_id", None))
    scope = check_scope_name(scope)
    ctx.check_open()
    return retrieve_scoped(ctx, task, agent, scope, workflow_id if scope == "workflow_only" else None,
                           user_id=user_id, top_k=top_k)
