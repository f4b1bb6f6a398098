"""Memory writes: ``learn`` (outcomes that turn into heuristics and anti-patterns) and the
direct writes (preferences, knowledge, anti-patterns).

Each write: validate → scope check → embed → ``Context.write()`` (one graph
transaction: memories, their edges and entities; then the generation and the
indexes) → events.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import numpy as np

from alma_graph.context import Context
from alma_graph.errors import ValidationError
from alma_graph.events import EventType
from alma_graph.graph_model import Edge, user_key
from alma_graph.memory.learning import Learner
from alma_graph.memory.records import as_utc, new_row, to_memory, utcnow
from alma_graph.memory.scope import check_scope
from alma_graph.memory.validation import (
    check_bool,
    check_label,
    check_metadata,
    check_name,
    check_number,
    check_optional_number,
    check_optional_text,
    check_text,
    shown,
)
from alma_graph.models import AntiPattern, DomainKnowledge, MemoryKind, Outcome, UserPreference
from alma_graph.workflows.checkpoints import check_workflow_id, link_memories

_SUCCESS_WORDS = {"success": True, "succeeded": True, "pass": True, "passed": True, "ok": True,
                  "failure": False, "failed": False, "fail": False, "error": False}
KNOWLEDGE_ITEM_FIELDS = {"agent", "domain", "fact", "source", "confidence", "timestamp", "metadata", "id",
                         "session_id", "sequence", "speaker"}


def commit(ctx: Context, rows: list[dict[str, Any]], links: Iterable[tuple[Edge, str, str]] = (),
           agents: Iterable[str] = (), users: Iterable[str] = (), extractions: list | None = None) -> None:
    """Write new memory rows, their edges (each ending at one of the rows) and their entities
    in one transaction, then index them."""
    if extractions is None:
        extractions = ctx.knowledge.extract(rows)
    with ctx.write() as change:
        for agent in set(agents):
            ctx.store.ensure_agent(agent)
        for user in set(users):
            ctx.store.ensure_user(user)
        ctx.store.create_memories(rows)
        by_edge: dict[Edge, list[tuple[str, str]]] = {}
        for edge, start, end in links:
            by_edge.setdefault(edge, []).append((start, end))
        for edge, pairs in by_edge.items():  # edges to the new rows: created, never merged
            ctx.store.link_new(edge, pairs)
        ctx.knowledge.write(rows, extractions)
        change.index(rows)
    agents_of = {r["agent"] for r in rows}
    ctx.emit(EventType.CREATED, agents_of.pop() if len(agents_of) == 1 else None, [r["id"] for r in rows],
             kinds=sorted({r["kind"] for r in rows}))


def check_new_ids(ctx: Context, memory_ids: list[str | None]) -> None:
    """Caller-given ids must be well-formed, distinct and not taken (ids are UUIDs otherwise)."""
    given = [check_name(i, "memory id") for i in memory_ids if i is not None]
    if len(set(given)) != len(given):
        raise ValidationError("the same memory id is given twice")
    taken = sorted({r["id"] for r in ctx.store.get_memories(given)}) if given else []
    if taken:
        raise ValidationError(f"memory id(s) {taken[:5]} already exist; choose new ids or omit them")


def parse_outcome(outcome: Any) -> bool:
    if isinstance(outcome, bool):
        return outcome
    if isinstance(outcome, str) and outcome.strip().lower() in _SUCCESS_WORDS:
        return _SUCCESS_WORDS[outcome.strip().lower()]
    raise ValidationError(f"outcome must be True/False or one of {sorted(_SUCCESS_WORDS)}, got {shown(outcome)}")


def learn(ctx: Context, agent: str, task: str, outcome: bool | str, strategy_used: str,
          task_type: str | None = None, duration_ms: int | None = None, error_message: str | None = None,
          feedback: str | None = None, timestamp: datetime | None = None, metadata: dict[str, Any] | None = None,
          memory_id: str | None = None, workflow_id: str | None = None) -> Outcome:
    ctx.check_open()
    agent = check_name(agent)
    task = check_text(task, "task")
    strategy_used = check_text(strategy_used, "strategy_used")
    success = parse_outcome(outcome)
    task_type = check_label(task_type, "task_type") if task_type is not None else "general"
    duration_ms = check_optional_number(duration_ms, "duration_ms", 0, 2 ** 62, integer=True)
    error_message = check_optional_text(error_message, "error_message")
    feedback = check_optional_text(feedback, "feedback")
    metadata = check_metadata(metadata)
    occurred_at = as_utc(timestamp)
    check_new_ids(ctx, [memory_id])
    workflow_id = check_workflow_id(workflow_id) if workflow_id is not None else None
    check_scope(ctx.config, agent, task_type, "task type")

    text = f"{task} | strategy: {strategy_used}"
    now = utcnow()
    row = new_row(
        ctx.config.project_id, MemoryKind.OUTCOME, agent, text, task_type, [],  # embedded below
        metadata=metadata, memory_id=memory_id, occurred_at=occurred_at, task_description=task,
        strategy_used=strategy_used,
        success=success, duration_ms=duration_ms, error_message=error_message, user_feedback=feedback,
    )
    extractions = _embed_and_extract(ctx, [row], show_progress=False)
    vector = np.asarray(row["embedding"], dtype=np.float32)
    store = ctx.store
    with ctx.write() as change:
        store.create_memories([row])
        store.file_outcome(row["id"], agent, task_type, task)  # its agent and task, one statement
        ctx.knowledge.write([row], extractions)
        learner = Learner(store, ctx.config, ctx.own_vectors())
        learned = learner.learn_from(row, vector, lambda t: ctx.embedder.embed(t).tolist(), now)
        if workflow_id is not None:  # its memories belong to the workflow
            link_memories(store, workflow_id, [row["id"], *(r["id"] for r in learned.created)], utcnow())
        change.index([row, *learned.created])
    ctx.emit(EventType.CREATED, agent, [row["id"]] + [r["id"] for r in learned.created],
             kinds=sorted({MemoryKind.OUTCOME.value, *(r["kind"] for r in learned.created)}))
    ctx.emit(EventType.UPDATED, agent, learned.updated, reason="reinforced")
    return to_memory(row)  # type: ignore[return-value]


def add_preference(ctx: Context, user_id: str, category: str, preference: str, source: str = "explicit",
                   agent: str | None = None, timestamp: datetime | None = None,
                   metadata: dict[str, Any] | None = None, memory_id: str | None = None) -> UserPreference:
    ctx.check_open()
    user_id = check_name(user_id, "user_id")
    category = check_label(category, "category")
    preference = check_text(preference, "preference")
    source = check_label(source, "source")
    metadata = check_metadata(metadata)
    check_new_ids(ctx, [memory_id])
    if agent is not None:
        agent = check_name(agent)
        check_scope(ctx.config, agent, category, "preference category")
    vector = ctx.embedder.embed(preference)
    row = new_row(
        ctx.config.project_id, MemoryKind.PREFERENCE, agent or "", preference, category, vector.tolist(),
        metadata=metadata, memory_id=memory_id, occurred_at=as_utc(timestamp), user_id=user_id,
        preference=preference, source=source,
    )
    links = [(Edge.STATED, user_key(ctx.config.project_id, user_id), row["id"])]
    if agent:
        links.append((Edge.LEARNED, ctx.agent_key(agent), row["id"]))
    commit(ctx, [row], links, agents=[agent] if agent else [], users=[user_id])
    return to_memory(row)  # type: ignore[return-value]


def _check_knowledge_item(ctx: Context, position: int, item: Any) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise ValidationError(f"item {position} must be a mapping, got {type(item).__name__}")
    unknown = set(item) - KNOWLEDGE_ITEM_FIELDS
    if unknown:
        raise ValidationError(f"item {position}: unknown field(s) {sorted(unknown)}; "
                              f"allowed: {sorted(KNOWLEDGE_ITEM_FIELDS)}")
    agent = check_name(item.get("agent"))
    domain = check_label(item.get("domain"), "domain")
    fact = check_text(item.get("fact"), "fact")
    confidence = check_number(item.get("confidence", 1.0), f"item {position}: confidence", 0, 1)
    memory_id = item.get("id")
    if memory_id is not None:
        check_name(memory_id, "memory id")
    sequence = check_optional_number(item.get("sequence"), f"item {position}: sequence", -2 ** 62, 2 ** 62,
                                     integer=True)
    speaker = item.get("speaker")
    if speaker is not None:
        speaker = check_text(speaker, "speaker", 100)
    session_id = item.get("session_id")
    if session_id is not None:
        session_id = check_label(session_id, "session_id")
    check_scope(ctx.config, agent, domain, "domain")
    return dict(agent=agent, domain=domain, fact=fact, source=check_label(item.get("source", "user"), "source"),
                confidence=float(confidence), timestamp=as_utc(item.get("timestamp")),
                metadata=check_metadata(item.get("metadata")), id=memory_id,
                session_id=session_id, sequence=sequence, speaker=speaker)


def add_knowledge_batch(ctx: Context, items: Iterable[Mapping[str, Any]],
                        show_progress: bool = False) -> list[DomainKnowledge]:
    ctx.check_open()
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise ValidationError(f"items must be a list of mappings, got {shown(items)}")
    show_progress = check_bool(show_progress, "show_progress")
    checked = [_check_knowledge_item(ctx, position, item) for position, item in enumerate(items)]
    if not checked:
        return []
    check_new_ids(ctx, [c["id"] for c in checked])
    rows = [
        new_row(ctx.config.project_id, MemoryKind.DOMAIN_KNOWLEDGE, c["agent"], c["fact"], c["domain"],
                [], metadata=c["metadata"], memory_id=c["id"], occurred_at=c["timestamp"],
                fact=c["fact"], source=c["source"], confidence=c["confidence"], last_verified=utcnow(),
                session_id=c["session_id"], sequence=c["sequence"], speaker=c["speaker"])
        for c in checked
    ]
    extractions = _embed_and_extract(ctx, rows, show_progress)
    commit(ctx, rows, [(Edge.LEARNED, ctx.agent_key(r["agent"]), r["id"]) for r in rows],
           agents=[c["agent"] for c in checked], extractions=extractions)
    return [to_memory(r) for r in rows]  # type: ignore[misc]


def _embed_and_extract(ctx: Context, rows: list[dict[str, Any]], show_progress: bool) -> list:
    """Embed the rows' texts (into ``row["embedding"]``) while spaCy extracts their entities in
    a second thread: ONNX Runtime runs the model without the GIL, so the two share the cores
    instead of taking turns — most of a write's time is these two models, even for one text."""
    if not ctx.config.extraction.enabled:
        extractions = ctx.knowledge.extract(rows)
        vectors = ctx.embedder.embed_batch([r["text"] for r in rows], show_progress=show_progress)
    else:
        extracting = _extractor().submit(ctx.knowledge.extract, rows)
        vectors = ctx.embedder.embed_batch([r["text"] for r in rows], show_progress=show_progress)
        extractions = extracting.result()
    for row, vector in zip(rows, vectors):
        row["embedding"] = vector.tolist()
    return extractions


_extract_pool: ThreadPoolExecutor | None = None
_extract_pool_lock = threading.Lock()


def _extractor() -> ThreadPoolExecutor:
    """One thread for spaCy beside the embedding, made once (a thread per write cost more)."""
    global _extract_pool
    with _extract_pool_lock:
        if _extract_pool is None:
            _extract_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alma-extract")
        return _extract_pool


def add_anti_pattern(ctx: Context, agent: str, pattern: str, why_bad: str, better_alternative: str | None = None,
                     task_type: str | None = None, metadata: dict[str, Any] | None = None,
                     timestamp: datetime | None = None, memory_id: str | None = None) -> AntiPattern:
    ctx.check_open()
    agent = check_name(agent)
    pattern = check_text(pattern, "pattern")
    why_bad = check_text(why_bad, "why_bad")
    better_alternative = check_optional_text(better_alternative, "better_alternative")
    metadata = check_metadata(metadata)
    check_new_ids(ctx, [memory_id])
    if task_type is not None:
        task_type = check_label(task_type, "task_type")
        check_scope(ctx.config, agent, task_type, "task type")
    text = f"avoid: {pattern}. Why bad: {why_bad}"
    row = new_row(
        ctx.config.project_id, MemoryKind.ANTI_PATTERN, agent, text, task_type or "general",
        ctx.embedder.embed(text).tolist(), metadata=metadata, memory_id=memory_id,
        occurred_at=as_utc(timestamp), pattern=pattern, why_bad=why_bad,
        better_alternative=better_alternative, occurrence_count=1, confidence=0.5, last_seen=utcnow(),
    )
    commit(ctx, [row], [(Edge.LEARNED, ctx.agent_key(agent), row["id"])], agents=[agent])
    return to_memory(row)  # type: ignore[return-value]
