"""The property-graph model shared by every backend: node kinds, edge kinds and
the Memory node's properties.

These closed sets are the only place labels, relationship types and property
names come from; queries are built from them, never from caller input.
"""

from __future__ import annotations

from enum import Enum

SCHEMA_VERSION = 2  # 2: Concept nodes, HAS_CONCEPT and SIMILAR edges (additive tables)


class Node(str, Enum):
    AGENT = "Agent"
    USER = "User"
    MEMORY = "Memory"
    TASK = "Task"
    ENTITY = "Entity"
    CONCEPT = "Concept"  # a common-noun phrase (knowledge/concepts.py)
    META = "Meta"
    # workflow layer, sessions and the lifecycle's audit trail (see workflows.py, sessions.py, lifecycle.py)
    WORKFLOW = "Workflow"
    CHECKPOINT = "Checkpoint"
    ARTIFACT = "Artifact"
    SESSION = "Session"
    AUDIT = "Audit"


class Edge(str, Enum):
    INHERITS_FROM = "INHERITS_FROM"  # Agent -> Agent
    SHARES_WITH = "SHARES_WITH"  # Agent -> Agent
    LEARNED = "LEARNED"  # Agent -> Memory
    STATED = "STATED"  # User -> Memory
    ABOUT = "ABOUT"  # Memory -> Task
    DERIVED_FROM = "DERIVED_FROM"  # Memory -> Memory
    MENTIONS = "MENTIONS"  # Memory -> Entity
    RELATED = "RELATED"  # Entity -> Entity
    HAS_CONCEPT = "HAS_CONCEPT"  # Memory -> Concept
    SIMILAR = "SIMILAR"  # Concept -> Concept: near-synonyms by embedding cosine
    SUPERSEDES = "SUPERSEDES"  # Memory -> Memory
    MERGED_INTO = "MERGED_INTO"  # Memory -> Memory
    HAS_CHECKPOINT = "HAS_CHECKPOINT"  # Workflow -> Checkpoint
    PRODUCED = "PRODUCED"  # Workflow -> Artifact
    IN_WORKFLOW = "IN_WORKFLOW"  # Memory -> Workflow
    STARTED = "STARTED"  # Agent -> Session
    HANDOFF = "HANDOFF"  # Session -> Session: the earlier session's handoff was picked up by the later one
    AFFECTED = "AFFECTED"  # Audit -> Memory: what a lifecycle action archived, restored or merged


EDGE_ENDS: dict[Edge, tuple[Node, Node]] = {
    Edge.INHERITS_FROM: (Node.AGENT, Node.AGENT),
    Edge.SHARES_WITH: (Node.AGENT, Node.AGENT),
    Edge.LEARNED: (Node.AGENT, Node.MEMORY),
    Edge.STATED: (Node.USER, Node.MEMORY),
    Edge.ABOUT: (Node.MEMORY, Node.TASK),
    Edge.DERIVED_FROM: (Node.MEMORY, Node.MEMORY),
    Edge.MENTIONS: (Node.MEMORY, Node.ENTITY),
    Edge.RELATED: (Node.ENTITY, Node.ENTITY),
    Edge.HAS_CONCEPT: (Node.MEMORY, Node.CONCEPT),
    Edge.SIMILAR: (Node.CONCEPT, Node.CONCEPT),
    Edge.SUPERSEDES: (Node.MEMORY, Node.MEMORY),
    Edge.MERGED_INTO: (Node.MEMORY, Node.MEMORY),
    Edge.HAS_CHECKPOINT: (Node.WORKFLOW, Node.CHECKPOINT),
    Edge.PRODUCED: (Node.WORKFLOW, Node.ARTIFACT),
    Edge.IN_WORKFLOW: (Node.MEMORY, Node.WORKFLOW),
    Edge.STARTED: (Node.AGENT, Node.SESSION),
    Edge.HANDOFF: (Node.SESSION, Node.SESSION),
    Edge.AFFECTED: (Node.AUDIT, Node.MEMORY),
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
CONCEPT_PROPERTIES: dict[str, str] = {
    "key": "string",  # "<project_id>/<norm_name>"
    "project_id": "string",
    "name": "string",
    "norm_name": "string",
    "embedding": "vector",  # of the name, for the SIMILAR edges of later concepts
}
HAS_CONCEPT_PROPERTIES: dict[str, str] = {
    "mention": "string",  # the words as the memory wrote them, for matching queries
    "speaker": "string",  # whose it is, when the memory says so ("my dog")
}
SIMILAR_PROPERTIES: dict[str, str] = {"cosine": "float"}
META_PROPERTIES: dict[str, str] = {"key": "string", "value": "string"}

# Workflow layer. Every key is "<project_id>/<id>", so a project can be copied under another name.
WORKFLOW_PROPERTIES: dict[str, str] = {
    "key": "string",
    "project_id": "string",
    "workflow_id": "string",
    "created_at": "timestamp",
    "updated_at": "timestamp",
}
CHECKPOINT_PROPERTIES: dict[str, str] = {
    "key": "string",
    "project_id": "string",
    "id": "string",
    "workflow_id": "string",
    "sequence": "int",  # 1, 2, ... within the workflow; resume() returns the highest
    "state": "string",  # JSON
    "state_hash": "string",  # sha256 of the canonical JSON: an unchanged state is not checkpointed again
    "size_bytes": "int",
    "agent": "string",
    "metadata": "string",  # JSON
    "created_at": "timestamp",
}
ARTIFACT_PROPERTIES: dict[str, str] = {
    "key": "string",
    "project_id": "string",
    "id": "string",
    "workflow_id": "string",
    "artifact_type": "string",
    "ref": "string",  # a path, URL or any reference the caller resolves
    "name": "string",
    "agent": "string",
    "mime_type": "string",
    "size_bytes": "int",
    "checksum": "string",
    "metadata": "string",  # JSON
    "created_at": "timestamp",
    "updated_at": "timestamp",
}
SESSION_PROPERTIES: dict[str, str] = {
    "key": "string",
    "project_id": "string",
    "id": "string",
    "agent": "string",
    "goal": "string",
    "started_at": "timestamp",
    # the handoff, written when the session ends
    "handoff_at": "timestamp",
    "last_action": "string",
    "last_outcome": "string",
    "next_steps": "string_list",
    "blockers": "string_list",
    "decisions": "string_list",
    "active_files": "string_list",
    "confidence": "float",
    "metadata": "string",  # JSON
}
AUDIT_PROPERTIES: dict[str, str] = {
    "key": "string",
    "project_id": "string",
    "id": "string",
    "action": "string",  # forget, restore, consolidate, decay
    "agent": "string",
    "reason": "string",
    "criteria": "string",  # JSON: what selected the memories
    "memory_ids": "string_list",
    "count": "int",
    "created_at": "timestamp",
}

NODE_PROPERTIES: dict[Node, dict[str, str]] = {
    Node.AGENT: AGENT_PROPERTIES,
    Node.USER: USER_PROPERTIES,
    Node.MEMORY: MEMORY_PROPERTIES,
    Node.TASK: TASK_PROPERTIES,
    Node.ENTITY: ENTITY_PROPERTIES,
    Node.CONCEPT: CONCEPT_PROPERTIES,
    Node.META: META_PROPERTIES,
    Node.WORKFLOW: WORKFLOW_PROPERTIES,
    Node.CHECKPOINT: CHECKPOINT_PROPERTIES,
    Node.ARTIFACT: ARTIFACT_PROPERTIES,
    Node.SESSION: SESSION_PROPERTIES,
    Node.AUDIT: AUDIT_PROPERTIES,
}
NODE_KEYS: dict[Node, str] = {node: ("id" if node is Node.MEMORY else "key") for node in Node}
EDGE_PROPERTIES: dict[Edge, dict[str, str]] = {Edge.RELATED: RELATED_PROPERTIES,
                                                Edge.HAS_CONCEPT: HAS_CONCEPT_PROPERTIES,
                                                Edge.SIMILAR: SIMILAR_PROPERTIES}


def agent_key(project_id: str, name: str) -> str:
    return f"{project_id}/{name}"


def user_key(project_id: str, user_id: str) -> str:
    return f"{project_id}/{user_id}"


def project_key(project_id: str, local_id: str) -> str:
    """The key of a workflow, checkpoint, artifact, session or audit node."""
    return f"{project_id}/{local_id}"


def task_key(project_id: str, task_type: str, description: str) -> str:
    import hashlib

    digest = hashlib.sha1(f"{task_type}\n{description}".encode()).hexdigest()[:16]
    return f"{project_id}/{digest}"
