"""Tools for single memories and the graph view: alma_get, alma_list, alma_update,
alma_history, alma_delete, alma_erase_user, alma_graph.

Plain functions in the registry's form (``fn(alma, **typed arguments) -> dict``);
``alma_graph.interfaces.tools`` registers every entry of ``MEMORY_TOOLS``, so the MCP server,
the CLI and the HTTP service publish them like the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from alma_graph.interfaces.serialize import memory_to_dict

if TYPE_CHECKING:
    from alma_graph.alma import ALMA

Agent = Annotated[str, Field(description="The agent acting: what it may read (own, inherited, shared) or change (own).")]
MemoryId = Annotated[str, Field(description="A memory id, or an unambiguous prefix of at least 8 characters.")]
Kind = Literal["heuristic", "outcome", "preference", "domain_knowledge", "anti_pattern"]


def get(alma: "ALMA", memory_id: MemoryId, agent: Agent) -> dict[str, Any]:
    """One memory by id, if the agent may read it (an unknown and an invisible id look the same)."""
    return {"memory": memory_to_dict(alma.get(memory_id, agent))}


def list_memories(
    alma: "ALMA",
    agent: Agent,
    kind: Annotated[Kind | None, Field(description="Only memories of this kind.")] = None,
    limit: Annotated[int, Field(ge=1, le=1000, description="Memories per page.")] = 50,
    cursor: Annotated[str | None, Field(description="next_cursor of the previous page; omit for the first.")] = None,
    include_archived: Annotated[bool, Field(description="Also archived memories and older versions.")] = False,
) -> dict[str, Any]:
    """The memories an agent may read, newest first, a page at a time."""
    page = alma.list_memories(agent, kind=kind, limit=limit, cursor=cursor, include_archived=include_archived)
    return {"memories": [memory_to_dict(m) for m in page.items], "next_cursor": page.next_cursor}


def update(
    alma: "ALMA",
    memory_id: MemoryId,
    agent: Agent,
    text: Annotated[str | None, Field(description="The corrected statement (a fact, preference, heuristic's "
                                                   "strategy or anti-pattern's pattern; not an outcome).")] = None,
    metadata: Annotated[dict[str, Any] | None, Field(description="Replaces the memory's metadata.")] = None,
    confidence: Annotated[float | None, Field(ge=0, le=1, description="The new confidence, 0..1.")] = None,
) -> dict[str, Any]:
    """Correct one of the agent's memories: a new version (new id) replaces it; the old one is kept, archived,
    and linked by SUPERSEDES (alma_history lists both). Entities and facts follow the new text."""
    memory = alma.update(memory_id, agent, text=text, metadata=metadata, confidence=confidence)
    return {"memory": memory_to_dict(memory), "supersedes": alma.history(memory.id, agent)[1].id}


def history(alma: "ALMA", memory_id: MemoryId, agent: Agent) -> dict[str, Any]:
    """Every version of a memory, newest first, given any version's id."""
    return {"versions": [memory_to_dict(m) for m in alma.history(memory_id, agent)]}


def delete(
    alma: "ALMA",
    memory_id: MemoryId,
    agent: Agent,
    hard: Annotated[bool, Field(description="Erase instead of archive: the memory, all its versions, its index "
                                            "entries, and facts and entities only it supported. Cannot be undone.")] = False,
) -> dict[str, Any]:
    """Delete one of the agent's memories: archive it (alma_restore brings it back), or with hard=true erase it
    for good, leaving an audit record that names its id but not its content."""
    return alma.delete(memory_id, agent, hard=hard)


def erase_user(
    alma: "ALMA",
    user_id: Annotated[str, Field(description="The user whose data to erase.")],
) -> dict[str, Any]:
    """Erase everything stated by or about a user (their preferences, the memories whose user id, speaker or
    metadata names them, the user node), with an audit record naming only ids. Cannot be undone."""
    return alma.erase_user(user_id)


def graph(
    alma: "ALMA",
    agent: Agent,
    center: Annotated[str | None, Field(description="A memory id, an entity's name or key, or an agent "
                                                     "(agent:NAME); omit for the overview.")] = None,
    hops: Annotated[int, Field(ge=1, le=4, description="Steps out from the center.")] = 1,
    limit: Annotated[int, Field(ge=1, le=1000, description="At most this many nodes.")] = 200,
) -> dict[str, Any]:
    """The part of the graph the agent may see around a center, as nodes (memories, entities, agents) and edges
    (MENTIONS, RELATED facts with their validity, LEARNED, SUPERSEDES, agent links)."""
    return alma.graph(agent, center=center, hops=hops, limit=limit)


# (name, function, read_only, destructive, idempotent)
MEMORY_TOOLS = [
    ("alma_get", get, True, False, True),
    ("alma_list", list_memories, True, False, True),
    ("alma_update", update, False, False, False),
    ("alma_history", history, True, False, True),
    ("alma_delete", delete, False, True, True),
    ("alma_erase_user", erase_user, False, True, True),
    ("alma_graph", graph, True, False, True),
]
