"""The property-graph model shared by every backend: node kinds, edge kinds and
the Memory node's properties.

These closed sets are the only place labels, relationship types and property
names come from; queries are built from them, never from caller input.
"""

from __future__ import annotations

from enum import Enum

SCHEMA_VERSION = 1


class Node(str, Enum):
    AGENT = "Agent"
    USER = "User"
    MEMORY = "Memory"
    TASK = "Task"
    ENTITY = "Entity"
    META = "Meta"


class Edge(str, Enum):
    INHERITS_FROM = "INHERITS_FROM"  # Agent -> Agent
    SHARES_WITH = "SHARES_WITH"  # Agent -> Agent
    LEARNED = "LEARNED"  # Agent -> Memory
    STATED = "STATED"  # User -> Memory
    ABOUT = "ABOUT"  # Memory -> Task
    DERIVED_FROM = "DERIVED_FROM"  # Memory -> Memory
    MENTIONS = "MENTIONS"  # Memory -> Entity
    RELATED = "RELATED"  # Entity -> Entity
    SUPERSEDES = "SUPERSEDES"  # Memory -> Memory
    MERGED_INTO = "MERGED_INTO"  # Memory -> Memory


EDGE_ENDS: dict[Edge, tuple[Node, Node]] = {
    Edge.INHERITS_FROM: (Node.AGENT, Node.AGENT),
    Edge.SHARES_WITH: (Node.AGENT, Node.AGENT),
    Edge.LEARNED: (Node.AGENT, Node.MEMORY),
    Edge.STATED: (Node.USER, Node.MEMORY),
    Edge.ABOUT: (Node.MEMORY, Node.TASK),
    Edge.DERIVED_FROM: (Node.MEMORY, Node.MEMORY),
    Edge.MENTIONS: (Node.MEMORY, Node.ENTITY),
    Edge.RELATED: (Node.ENTITY, Node.ENTITY),
    Edge.SUPERSEDES: (Node.MEMORY, Node.MEMORY),
    Edge.MERGED_INTO: (Node.MEMORY, Node.MEMORY),
}

# Memory properties and their logical types (mapped to each backend's types).
# One Memory table with a `kind` column keeps traversals uniform; the kind's own
# fields are simply empty on other kinds.
MEMORY_PROPERTIES: dict[str, str] = {
    "id": "string",
    "project_id": "string",
    "agent": "string",
    "kind": "string",
    "text": "string",
    "category": "string",  # task_type, domain or preference category
    "confidence": "float",
    "created_at": "timestamp",
    "updated_at": "timestamp",
    "occurred_at": "timestamp",  # when it happened (caller's timestamp), drives recency
    "last_used_at": "timestamp",
    "use_count": "int",
    "feedback": "float",  # running feedback score in [-1, 1]
    "archived": "bool",
    "metadata": "string",  # JSON, returned unchanged
    "embedding": "vector",
    # where it was said: a conversation or session, the position in it, and who said it
    "session_id": "string",
    "sequence": "int",
    "speaker": "string",
    # heuristic
    "condition": "string",
    "strategy": "string",
    "success_count": "int",
    "last_validated": "timestamp",
    # heuristic and anti-pattern
    "occurrence_count": "int",
    # outcome
    "task_description": "string",
    "strategy_used": "string",
    "success": "bool",
    "duration_ms": "int",
    "error_message": "string",
    "user_feedback": "string",
    # preference
    "user_id": "string",
    "preference": "string",
    # knowledge and preference
    "source": "string",
    "fact": "string",
    "last_verified": "timestamp",
    # anti-pattern
    "pattern": "string",
    "why_bad": "string",
    "better_alternative": "string",
    "last_seen": "timestamp",
}

AGENT_PROPERTIES: dict[str, str] = {
    "key": "string",  # "<project_id>/<name>"
    "name": "string",
    "project_id": "string",
    "domain": "string",
    "can_learn": "string_list",
    "cannot_learn": "string_list",
    "shares_with_all": "bool",
}

USER_PROPERTIES: dict[str, str] = {"key": "string", "user_id": "string", "project_id": "string"}
TASK_PROPERTIES: dict[str, str] = {"key": "string", "project_id": "string", "task_type": "string", "description": "string"}
ENTITY_PROPERTIES: dict[str, str] = {
    "key": "string",  # "<project_id>/<norm_name>"
    "project_id": "string",
    "name": "string",
    "norm_name": "string",
    "type": "string",
}
RELATED_PROPERTIES: dict[str, str] = {
    "predicate": "string",
    "memory_id": "string",
    "valid_from": "timestamp",
    "valid_to": "timestamp",
}
META_PROPERTIES: dict[str, str] = {"key": "string", "value": "string"}

NODE_PROPERTIES: dict[Node, dict[str, str]] = {
    Node.AGENT: AGENT_PROPERTIES,
    Node.USER: USER_PROPERTIES,
    Node.MEMORY: MEMORY_PROPERTIES,
    Node.TASK: TASK_PROPERTIES,
    Node.ENTITY: ENTITY_PROPERTIES,
    Node.META: META_PROPERTIES,
}
NODE_KEYS: dict[Node, str] = {node: ("id" if node is Node.MEMORY else "key") for node in Node}
EDGE_PROPERTIES: dict[Edge, dict[str, str]] = {Edge.RELATED: RELATED_PROPERTIES}


def agent_key(project_id: str, name: str) -> str:
    return f"{project_id}/{name}"


def user_key(project_id: str, user_id: str) -> str:
    return f"{project_id}/{user_id}"


def task_key(project_id: str, task_type: str, description: str) -> str:
    import hashlib

    digest = hashlib.sha1(f"{task_type}\n{description}".encode()).hexdigest()[:16]
    return f"{project_id}/{digest}"
