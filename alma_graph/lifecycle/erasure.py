"""Deleting memories: ``delete`` archives (restorable) or, with ``hard=True``, erases;
``erase_user`` erases everything stated by or about one user.

An erasure removes, in one transaction: the memory nodes — every version of each
(``SUPERSEDES``), the near-duplicates consolidated into it (``MERGED_INTO``), and the
heuristics and anti-patterns derived only from erased memories — with all their
edges; the facts (``RELATED``) they alone supported, the other facts of the same
subject re-dated as if the erased ones had never been stated; the entities and tasks
nothing refers to any more; for ``erase_user`` the User node. Then the vector and
BM25 entries go, the vector index file is rewritten at once, the extractor forgets
the erased entity names, and the store is compacted (embedded Kuzu keeps deleted
values in its pages until the file is rewritten). An ``Audit`` node records the
erasure by id, never by content.

A Neo4j server manages its own files: deleted records stay in them until the server
reuses the space (``neo4j-admin database copy`` rewrites a database without them).
"""

from __future__ import annotations

import json
from typing import Any

from alma_graph.backends.base import GraphStore
from alma_graph.context import Context
from alma_graph.errors import ValidationError
from alma_graph.events import EventType
from alma_graph.graph_model import Edge, user_key
from alma_graph.lifecycle.audit import write_audit
from alma_graph.lifecycle.forget import forget
from alma_graph.memory.access import check_writable, resolve, version_ids
from alma_graph.memory.validation import check_name, shown

# Metadata keys that name whom a memory is about (set by callers and by conversation ingestion).
USER_METADATA_KEYS = ("user_id", "user")
SPEAKER_METADATA_KEYS = ("speaker", "speakers")


def delete(ctx: Context, memory_id: str, agent: str, hard: bool = False) -> dict[str, Any]:
    ctx.check_open()
    if not isinstance(hard, bool):
        raise ValidationError(f"hard must be true or false, got {shown(hard)}")
    row, _ = resolve(ctx, memory_id, agent)
    check_writable(ctx, row, agent)
    if not hard:
        archived = 0 if row["archived"] else forget(ctx, memory_ids=[row["id"]])
        return {"id": row["id"], "hard": False, "archived": archived}
    counts = erase(ctx, _closure(ctx, [row["id"]]), action="erase", agent=agent,
                   criteria={"requested": row["id"]})
    return {"id": row["id"], "hard": True, **counts}


def erase_user(ctx: Context, user_id: str) -> dict[str, Any]:
    ctx.check_open()
    user_id = check_name(user_id, "user_id")
    ids = set(ctx.store.targets(Edge.STATED, user_key(ctx.config.project_id, user_id)))
    ids |= {r["id"] for r in ctx.store.memory_ownership() if _about_user(r, user_id)}
    counts = erase(ctx, _closure(ctx, sorted(ids)), action="erase_user", agent=None,
                   criteria={"user_id": user_id}, user_id=user_id)
    return {"user_id": user_id, **counts}


def _about_user(row: dict[str, Any], user_id: str) -> bool:
    if row["user_id"] == user_id or _same_person(row["speaker"], user_id):
        return True
    try:
        metadata = json.loads(row["metadata"] or "{}")
    except ValueError:
        return False
    if not isinstance(metadata, dict):
        return False
    if any(metadata.get(key) == user_id for key in USER_METADATA_KEYS):
        return True
    for key in SPEAKER_METADATA_KEYS:
        value = metadata.get(key)
        names = value if isinstance(value, list) else [value]
        if any(_same_person(name, user_id) for name in names):
            return True
    return False


def _same_person(name: Any, user_id: str) -> bool:
    """A speaker's name names the user when it equals the id, case aside (ingestion turns
    a speaker's name into a user id the same way)."""
    return isinstance(name, str) and name.strip().casefold() == user_id.casefold()


def _closure(ctx: Context, ids: list[str]) -> list[str]:
    """The memories erasing ``ids`` takes with it: their versions, what was merged into
    them, and what was derived from erased memories alone."""
    store = ctx.store
    erased: set[str] = set()
    todo = list(ids)
    while todo:
        memory_id = todo.pop()
        if memory_id in erased:
            continue
        erased.add(memory_id)
        todo += [i for i in version_ids(ctx, memory_id) if i not in erased]
        todo += [i for i in store.sources(Edge.MERGED_INTO, memory_id) if i not in erased]
        for derived in store.sources(Edge.DERIVED_FROM, memory_id):
            if derived not in erased and set(store.targets(Edge.DERIVED_FROM, derived)) <= erased | set(todo):
                todo.append(derived)
    return sorted(erased)


def erase(ctx: Context, ids: list[str], action: str, agent: str | None, criteria: dict[str, Any],
          user_id: str | None = None) -> dict[str, int]:
    """Erase the memories ``ids`` (already the full closure) and everything only they hold."""
    store = ctx.store
    counts = {"memories": 0, "facts": 0, "entities": 0, "tasks": 0, "concepts": 0, "users": 0}
    with ctx.write() as change:
        groups = {(f["subject"], f["predicate"]) for f in store.facts_of_memories(ids)}
        counts.update(store.erase_memories(ids))
        for subject, predicate in sorted(groups):
            if predicate in ctx.knowledge.config.single_valued_predicates:
                redate_facts(store, subject, predicate)
        if user_id is not None:
            counts["users"] = int(store.delete_user(user_id))
        if ids or counts["users"]:
            write_audit(store, action, ids, agent=agent, reason=f"{action}: erased by id, content not recorded",
                        criteria=criteria, link=False)
            change.unindex(ids)
    if not ids and not counts["users"]:
        return counts
    ctx.indexes.save()  # the file on disk must not keep the erased vectors
    ctx.knowledge.forget_known_names()
    store.compact()
    ctx.emit(EventType.DELETED, agent, ids, hard=True, action=action)
    return counts


def redate_facts(store: GraphStore, subject: str, predicate: str) -> None:
    """A single-valued predicate's facts hold from their start until the next fact with
    another object starts — recomputed once an erased fact no longer closes anything."""
    facts = store.subject_predicate_facts(subject, predicate)
    live = {r["id"] for r in store.get_memories(sorted({f["memory_id"] for f in facts})) if not r["archived"]}
    for fact in facts:
        if fact["memory_id"] not in live:  # an archived version's facts keep the dates it was closed with
            continue
        starts = fact["valid_from"]
        later = [f["valid_from"] for f in facts if f["object"] != fact["object"] and f["valid_from"] is not None
                 and starts is not None and f["valid_from"] > starts]
        end = min(later) if later else None
        if end != fact["valid_to"]:
            store.set_fact_end(subject, fact["object"], predicate, fact["memory_id"], end)
