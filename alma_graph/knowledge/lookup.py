"""Relationship context for a reader: facts about an entity, its neighbourhood, and the
path between two entities, restricted to the memories the agent may see."""

from __future__ import annotations

from datetime import datetime

from alma_graph.context import Context
from alma_graph.knowledge.graph import EntityContext, Fact
from alma_graph.memory.records import as_utc
from alma_graph.memory.validation import check_bool, check_label, check_number


def related(ctx: Context, entity: str, agent: str, predicate: str | None = None, as_of: datetime | None = None,
            include_history: bool = False) -> list[Fact]:
    ctx.check_open()
    if predicate is not None:
        predicate = check_label(predicate, "predicate")
    return ctx.knowledge.related(entity, ctx.visible(agent), predicate, as_utc(as_of),
                                 check_bool(include_history, "include_history"))


def entity_context(ctx: Context, name: str, agent: str, hops: int = 2, as_of: datetime | None = None) -> EntityContext:
    ctx.check_open()
    return ctx.knowledge.entity_context(name, ctx.visible(agent), hops, as_utc(as_of))


def path(ctx: Context, a: str, b: str, agent: str, max_hops: int = 4, as_of: datetime | None = None) -> list[Fact]:
    ctx.check_open()
    max_hops = check_number(max_hops, "max_hops", 1, 8, integer=True)
    return ctx.knowledge.path(a, b, ctx.visible(agent), max_hops, as_utc(as_of))
