"""Reading memories one at a time: which memory an agent may read or change, ``get``,
``list_memories`` (pages with an opaque cursor) and ``history`` (the versions an
``update`` links by SUPERSEDES).

Visibility is retrieve's: an agent reads its own memories, those of the agents it
inherits from and those shared with it; a user's preferences are readable by any
agent (retrieve returns them to whoever names the user). A memory the agent may
not read is reported exactly like one that does not exist, so an id reveals nothing.
Changing a memory needs more: the agent must own it (or, for a preference, be
allowed to write preferences of its category) and may learn its category.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from alma_graph.context import Context
from alma_graph.errors import AmbiguousIdError, MemoryNotFoundError, ScopeViolationError, ValidationError
from alma_graph.graph_model import Edge
from alma_graph.memory.records import to_memory
from alma_graph.memory.scope import check_scope
from alma_graph.memory.validation import check_name, is_int, shown
from alma_graph.models import Memory, MemoryKind, MemoryPage

MIN_PREFIX = 8  # shortest id prefix accepted in place of a full id, like git's short hashes
MAX_PAGE = 1000
MAX_VERSIONS = 1000  # a SUPERSEDES chain longer than this is not followed further


def readable(row: dict[str, Any], visible: dict[str, str | None]) -> bool:
    return row["agent"] in visible or row["kind"] == MemoryKind.PREFERENCE.value


def _by_id(ctx: Context, memory_id: str) -> dict[str, Any] | None:
    rows = ctx.store.get_memories([memory_id])
    return rows[0] if rows else None


def resolve(ctx: Context, memory_id: Any, agent: str) -> tuple[dict[str, Any], dict[str, str | None]]:
    """The row an id (or an unambiguous prefix of >= 8 characters) names among the memories
    the agent may read, with the agent's visible agents."""
    if not isinstance(memory_id, str) or not memory_id.strip():
        raise ValidationError("memory id must be a non-empty string")
    memory_id = memory_id.strip()
    agent = check_name(agent)
    visible = ctx.visible(agent)
    row = _by_id(ctx, memory_id)
    if row is not None:
        if readable(row, visible):
            return row, visible
        raise MemoryNotFoundError(f"no memory {memory_id!r} visible to agent {agent!r}")
    if len(memory_id) >= MIN_PREFIX:
        candidates = ctx.store.get_memories(ctx.store.memory_ids_with_prefix(memory_id))
        candidates = [r for r in candidates if readable(r, visible)]
        if len(candidates) == 1:
            return candidates[0], visible
        if candidates:
            ids = ", ".join(sorted(r["id"] for r in candidates)[:10])
            raise AmbiguousIdError(f"memory id prefix {memory_id!r} matches several memories ({ids}); "
                                   "give more characters")
    hint = "" if len(memory_id) >= MIN_PREFIX else f" (a short id needs at least {MIN_PREFIX} characters)"
    raise MemoryNotFoundError(f"no memory {memory_id!r} visible to agent {agent!r}{hint}")


def check_writable(ctx: Context, row: dict[str, Any], agent: str) -> None:
    """The agent may change this memory: it owns it (or may write preferences of its
    category) and may learn its category."""
    if row["kind"] == MemoryKind.PREFERENCE.value:
        check_scope(ctx.config, agent, row["category"], "preference category")
        return
    if row["agent"] != agent:
        raise ScopeViolationError(
            f"agent {agent!r} may read memory {row['id']!r} but not change it: it belongs to agent "
            f"{row['agent']!r}, which alone may update or delete it")
    what = "domain" if row["kind"] == MemoryKind.DOMAIN_KNOWLEDGE.value else "task type"
    check_scope(ctx.config, agent, row["category"], what)


def _shared_from(row: dict[str, Any], visible: dict[str, str | None]) -> str | None:
    return None if row["kind"] == MemoryKind.PREFERENCE.value else visible.get(row["agent"])


def get(ctx: Context, memory_id: str, agent: str) -> Memory:
    ctx.check_open()
    row, visible = resolve(ctx, memory_id, agent)
    return to_memory(row, shared_from=_shared_from(row, visible))


# -- listing --------------------------------------------------------------------------------------

def _encode_cursor(row: dict[str, Any]) -> str:
    raw = json.dumps([row["created_at"].isoformat(), row["id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: Any) -> tuple[datetime, str]:
    bad = ValidationError("cursor is not one list_memories returned; pass next_cursor unchanged, or omit it "
                          "for the first page")
    if not isinstance(cursor, str) or not cursor or len(cursor) > 500:
        raise bad
    try:
        created_at, memory_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(created_at)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(memory_id, str) or moment.tzinfo is None:
        raise bad
    return moment, memory_id


def list_memories(ctx: Context, agent: str, kind: str | None = None, limit: int = 50,
                  cursor: str | None = None, include_archived: bool = False) -> MemoryPage:
    """The memories of the agents ``agent`` may read (its own, inherited, shared), newest first.
    Preferences appear when a visible agent recorded them."""
    ctx.check_open()
    agent = check_name(agent)
    if not is_int(limit, 1, MAX_PAGE):
        raise ValidationError(f"limit must be an integer between 1 and {MAX_PAGE}, got {shown(limit)}")
    if kind is not None:
        kinds = [k.value for k in MemoryKind]
        kind = getattr(kind, "value", kind)
        if kind not in kinds:
            raise ValidationError(f"kind must be one of {kinds}, got {shown(kind)}")
    if not isinstance(include_archived, bool):
        raise ValidationError(f"include_archived must be true or false, got {shown(include_archived)}")
    after = _decode_cursor(cursor) if cursor is not None else None
    visible = ctx.visible(agent)
    rows = ctx.store.memory_page(sorted(visible), kind, include_archived, after, limit + 1)
    items = [to_memory(r, shared_from=_shared_from(r, visible)) for r in rows[:limit]]
    return MemoryPage(items=items, next_cursor=_encode_cursor(rows[limit - 1]) if len(rows) > limit else None)


# -- versions --------------------------------------------------------------------------------------

def version_ids(ctx: Context, memory_id: str) -> list[str]:
    """Every version linked to this one by SUPERSEDES, newest first (the chain is linear:
    an update supersedes only the current version)."""
    newest = memory_id
    seen = {newest}
    while len(seen) < MAX_VERSIONS:
        newer = [i for i in ctx.store.sources(Edge.SUPERSEDES, newest) if i not in seen]
        if not newer:
            break
        newest = newer[0]
        seen.add(newest)
    chain = [newest]
    while len(chain) < MAX_VERSIONS:
        older = [i for i in ctx.store.targets(Edge.SUPERSEDES, chain[-1]) if i not in chain]
        if not older:
            break
        chain.append(older[0])
    return chain


def history(ctx: Context, memory_id: str, agent: str) -> list[Memory]:
    ctx.check_open()
    row, visible = resolve(ctx, memory_id, agent)
    ids = version_ids(ctx, row["id"])
    rows = {r["id"]: r for r in ctx.store.get_memories(ids)}
    return [to_memory(rows[i], shared_from=_shared_from(rows[i], visible)) for i in ids if i in rows]
