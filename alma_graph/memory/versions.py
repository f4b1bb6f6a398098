"""``update``: correcting a memory writes a new version and keeps the old one.

The new version gets a new id and every property of the old one except what the
update changes; the old one is archived and linked ``(new)-[:SUPERSEDES]->(old)``,
so ``history`` can show both and ``restore`` is never needed to read the past.
In one transaction: the new node, its provenance edges (the agent that learned it,
the user who stated it, its task, the outcomes it was derived from, its workflows,
and the memories derived from the old version), its entities and facts extracted
from the new text, and the old version's facts: a fact the new version states again
is carried by the new version (the old edge is removed), any other fact the old
version alone stated is closed at the moment of the update. Then the vector and
BM25 indexes swap the old id for the new one.

``text`` replaces a memory's statement: a fact's ``fact``, a preference's
``preference``, a heuristic's ``strategy``, an anti-pattern's ``pattern``. An
outcome is the record of what happened, so its text is not edited (delete it, or
change its metadata or confidence).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from alma_graph.context import Context
from alma_graph.errors import ValidationError
from alma_graph.events import EventType
from alma_graph.graph_model import Edge
from alma_graph.memory.access import check_writable, resolve
from alma_graph.memory.records import to_memory, utcnow
from alma_graph.memory.validation import check_metadata, check_number, check_text
from alma_graph.models import Memory, MemoryKind

# Edges a new version takes over from the old one: (edge, the old memory is its start?).
_CARRIED: list[tuple[Edge, bool]] = [
    (Edge.LEARNED, False), (Edge.STATED, False), (Edge.ABOUT, True), (Edge.DERIVED_FROM, True),
    (Edge.IN_WORKFLOW, True), (Edge.DERIVED_FROM, False),
]


def _text_fields(row: dict[str, Any], text: str) -> dict[str, Any]:
    """The properties a new statement changes, per kind (``text`` recomposed as writes compose it)."""
    kind = row["kind"]
    if kind == MemoryKind.DOMAIN_KNOWLEDGE.value:
        return {"fact": text, "text": text}
    if kind == MemoryKind.PREFERENCE.value:
        return {"preference": text, "text": text}
    if kind == MemoryKind.HEURISTIC.value:
        return {"strategy": text, "text": f"{row['condition']} | strategy: {text}"}
    if kind == MemoryKind.ANTI_PATTERN.value:
        prefix = f"{row['task_description']} | " if row.get("task_description") else ""
        return {"pattern": text, "text": f"{prefix}avoid: {text}. Why bad: {row['why_bad']}"}
    raise ValidationError("an outcome's text cannot be edited: it is the record of what happened. Delete it "
                          "(delete, hard=True to erase it) or change its metadata or confidence")


def _check_confidence(value: Any) -> float:
    return float(check_number(value, "confidence", 0, 1))  # finite, in range; a huge int is refused too


def update(ctx: Context, memory_id: str, agent: str, *, text: str | None = None,
           metadata: dict[str, Any] | None = None, confidence: float | None = None) -> Memory:
    ctx.check_open()
    if text is None and metadata is None and confidence is None:
        raise ValidationError("update needs at least one of text, metadata, confidence")
    changes: dict[str, Any] = {}
    if metadata is not None:
        changes["metadata"] = json.dumps(check_metadata(metadata))
    if confidence is not None:
        changes["confidence"] = _check_confidence(confidence)
    new_text = check_text(text, "text") if text is not None else None
    old, _ = resolve(ctx, memory_id, agent)
    check_writable(ctx, old, agent)
    if old["archived"]:
        raise ValidationError(f"memory {old['id']!r} is archived (an older version, or forgotten): update its "
                              "current version (history lists them), or restore it first")
    if new_text is not None:
        changes.update(_text_fields(old, new_text))

    [full] = ctx.store.find_memories(with_embedding=True, ids=[old["id"]])
    now = utcnow()
    row = {**full, **changes, "id": str(uuid.uuid4()), "created_at": now, "updated_at": now, "archived": False}
    if new_text is not None:
        row["embedding"] = ctx.embedder.embed(row["text"]).tolist()
    elif row["embedding"] is None:
        row["embedding"] = ctx.embedder.embed(row["text"]).tolist()
    extractions = ctx.knowledge.extract([row])
    store = ctx.store
    with ctx.write() as change:
        store.create_memories([row])
        store.update_memory(old["id"], {"archived": True, "updated_at": now})
        store.link(Edge.SUPERSEDES, row["id"], old["id"])
        for edge, old_is_start in _CARRIED:
            if old_is_start:
                store.link_many(edge, [(row["id"], t) for t in store.targets(edge, old["id"])])
            else:
                store.link_many(edge, [(s, row["id"]) for s in store.sources(edge, old["id"])])
        ctx.knowledge.write([row], extractions)
        restated = {(f["subject"], f["predicate"], f["object"]) for f in store.facts_of_memories([row["id"]])}
        for fact in store.facts_of_memories([old["id"]]):
            if (fact["subject"], fact["predicate"], fact["object"]) in restated:
                store.delete_fact(fact["subject"], fact["object"], fact["predicate"], old["id"])
            elif fact["valid_to"] is None:
                store.close_fact(fact["subject"], fact["object"], fact["predicate"], old["id"], now)
        change.unindex([old["id"]])
        change.index([row])
    ctx.emit(EventType.UPDATED, agent, [row["id"]], reason="new version", supersedes=old["id"])
    return to_memory(row)
