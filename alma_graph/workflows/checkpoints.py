"""Workflows as graph structure: checkpoints, merged states and artifacts.

A workflow is a ``Workflow`` node, created by its first checkpoint, artifact or
linked memory. Each checkpoint is a ``Checkpoint`` node hung off it by
``HAS_CHECKPOINT`` and numbered 1, 2, ...; ``resume`` returns the highest. An
artifact (a file, URL or any reference the caller resolves) is an ``Artifact``
node the workflow ``PRODUCED``; linking the same reference twice updates it.
Outcomes learned with ``workflow_id=`` (and the heuristics and anti-patterns
they create) point to the workflow by ``IN_WORKFLOW``, which is what
``retrieve_scoped(..., scope="workflow_only")`` follows.

States are JSON objects, stored as canonical JSON (sorted keys) with its sha256:
a checkpoint whose state equals the latest one writes nothing, and a state over
``MAX_STATE_BYTES`` is refused.

Reducers merge the states of parallel agents key by key (see ``merge``):

- ``latest_wins``: each key takes its value from the last state that has it.
- ``priority_agent``: states given per agent; each key from the highest-priority agent that has it.
- ``merge_lists``: lists are concatenated, objects merged recursively, other values: latest wins.
- ``union``: like merge_lists, without repeated items.
- ``sum`` / ``max`` / ``min``: numbers only (a non-number is an error naming its key).
- a callable ``fn(states) -> dict`` replaces the whole merge; a mapping ``{key: reducer}``
  chooses per key (``"*"`` for the rest, else latest_wins), where a reducer may also be
  a callable ``fn(values) -> value``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from alma_graph.errors import ValidationError, WorkflowNotFoundError
from alma_graph.graph_model import NODE_PROPERTIES, Edge, Node, project_key
from alma_graph.memory.records import utcnow
from alma_graph.memory.validation import (
    check_bool,
    check_days,
    check_ids,
    check_json,
    check_label,
    check_metadata,
    check_name,
    check_number,
    check_optional_number,
    check_text,
    shown,
)

if TYPE_CHECKING:
    from alma_graph.backends.base import GraphStore

MAX_STATE_BYTES = 1_000_000
MAX_REF_CHARS = 4096


@dataclass
class Checkpoint:
    """One saved state of a workflow."""

    id: str
    workflow_id: str
    sequence: int
    state: dict[str, Any]
    state_hash: str
    size_bytes: int
    agent: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass
class Artifact:
    """Something a workflow produced, by reference."""

    id: str
    workflow_id: str
    artifact_type: str
    ref: str
    name: str | None = None
    agent: str | None = None
    mime_type: str | None = None
    size_bytes: int | None = None
    checksum: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


# -- validation ----------------------------------------------------------------------------

def check_workflow_id(value: Any) -> str:
    return check_name(value, "workflow_id")


def canonical_state(state: Any, what: str = "state") -> tuple[str, str]:
    """(canonical JSON, sha256) of a state, or a ValidationError saying what is wrong with it."""
    if not isinstance(state, Mapping):
        raise ValidationError(f"{what} must be a JSON object (a dict), got {type(state).__name__}")
    try:
        encoded = check_json(dict(state), what, MAX_STATE_BYTES, sort_keys=True)
    except ValidationError as exc:
        raise ValidationError(f"{exc}. Keep large data outside the state and link it with link_artifact") from None
    return encoded, hashlib.sha256(encoded.encode("utf-8")).hexdigest()


# -- workflow nodes -----------------------------------------------------------------------------

def ensure_workflow(store: "GraphStore", workflow_id: str, now: datetime) -> str:
    key = project_key(store.project_id, workflow_id)
    store.merge_workflow(key, workflow_id, now)
    return key


def require_workflow(store: "GraphStore", workflow_id: str) -> str:
    key = project_key(store.project_id, workflow_id)
    if not store.workflow_exists(key):
        raise WorkflowNotFoundError(
            f"no workflow {workflow_id!r} in project {store.project_id!r}: a workflow exists once it has a "
            "checkpoint, an artifact or a memory learned with workflow_id"
        )
    return key


def link_memories(store: "GraphStore", workflow_id: str, memory_ids: Sequence[str], now: datetime) -> None:
    """Inside the caller's transaction: the memories belong to the workflow (IN_WORKFLOW)."""
    if memory_ids:
        key = ensure_workflow(store, workflow_id, now)
        store.link_many(Edge.IN_WORKFLOW, [(memory_id, key) for memory_id in memory_ids])


def workflow_memories(store: "GraphStore", workflow_id: str) -> list[dict[str, Any]]:
    """The live memories linked to the workflow: id, agent, kind."""
    return store.workflow_memories(require_workflow(store, workflow_id))


# -- checkpoints ----------------------------------------------------------------------------------

def _checkpoint(row: dict[str, Any]) -> Checkpoint:
    return Checkpoint(id=row["id"], workflow_id=row["workflow_id"], sequence=row["sequence"],
                      state=json.loads(row["state"]), state_hash=row["state_hash"], size_bytes=row["size_bytes"],
                      agent=row["agent"], metadata=json.loads(row["metadata"] or "{}"), created_at=row["created_at"])


def latest_checkpoint(store: "GraphStore", workflow_id: str) -> Checkpoint | None:
    row = store.latest_checkpoint(project_key(store.project_id, workflow_id))
    return _checkpoint(row) if row else None


def save_checkpoint(store: "GraphStore", workflow_id: str, state: Mapping[str, Any],
                    metadata: dict[str, Any] | None = None, agent: str | None = None) -> tuple[Checkpoint, bool]:
    """Write a checkpoint unless the state equals the latest one. Returns (checkpoint, created).
    Arguments are validated before anything is written."""
    workflow_id = check_workflow_id(workflow_id)
    encoded, digest = canonical_state(state)
    metadata = check_metadata(metadata)
    if agent is not None:
        agent = check_name(agent)
    with store.transaction():  # read the latest inside the write: concurrent writers get distinct numbers
        latest = latest_checkpoint(store, workflow_id)
        if latest is not None and latest.state_hash == digest:
            return latest, False
        now = utcnow()
        workflow_key = ensure_workflow(store, workflow_id, now)
        checkpoint_id = str(uuid.uuid4())
        row = dict.fromkeys(NODE_PROPERTIES[Node.CHECKPOINT])
        row.update(key=project_key(store.project_id, checkpoint_id), project_id=store.project_id, id=checkpoint_id,
                   workflow_id=workflow_id, sequence=(latest.sequence if latest else 0) + 1, state=encoded,
                   state_hash=digest, size_bytes=len(encoded.encode("utf-8")), agent=agent,
                   metadata=json.dumps(metadata), created_at=now)
        store.create_checkpoint(row, workflow_key)
    return _checkpoint(row), True


def cleanup(store: "GraphStore", older_than_days: Any = 7, keep_latest: Any = 1,
            workflow_id: str | None = None, now: datetime | None = None) -> int:
    """Delete checkpoints older than ``older_than_days``, always keeping each workflow's
    ``keep_latest`` newest. Returns how many were deleted."""
    older_than_days = check_days(older_than_days)
    keep_latest = check_number(keep_latest, "keep_latest", 0, 1_000_000, integer=True)
    if workflow_id is not None:
        workflow_id = check_workflow_id(workflow_id)
        require_workflow(store, workflow_id)
    cutoff = (now or utcnow()) - timedelta(days=float(older_than_days))
    with store.transaction():
        rows = store.project_checkpoints()
        seen: dict[str, int] = {}
        doomed = []
        for row in rows:  # newest first within each workflow
            if workflow_id is not None and row["workflow_id"] != workflow_id:
                continue
            rank = seen[row["workflow_id"]] = seen.get(row["workflow_id"], 0) + 1
            if rank > keep_latest and row["created_at"] < cutoff:
                doomed.append(row["key"])
        if doomed:
            store.delete_checkpoints(doomed)
    return len(doomed)


# -- artifacts ------------------------------------------------------------------------------------

def _artifact(row: dict[str, Any]) -> Artifact:
    return Artifact(id=row["id"], workflow_id=row["workflow_id"], artifact_type=row["artifact_type"], ref=row["ref"],
                    name=row["name"], agent=row["agent"], mime_type=row["mime_type"], size_bytes=row["size_bytes"],
                    checksum=row["checksum"], metadata=json.loads(row["metadata"] or "{}"),
                    created_at=row["created_at"], updated_at=row["updated_at"])


def save_artifact(store: "GraphStore", workflow_id: str, artifact_type: str, ref: str, name: str | None = None,
                  agent: str | None = None, mime_type: str | None = None, size_bytes: int | None = None,
                  checksum: str | None = None, metadata: dict[str, Any] | None = None) -> Artifact:
    """Link an artifact to the workflow. The same (type, ref) in a workflow is one artifact:
    linking it again replaces the fields given and keeps the others."""
    workflow_id = check_workflow_id(workflow_id)
    artifact_type = check_label(artifact_type, "artifact_type")
    ref = check_text(ref, "ref", MAX_REF_CHARS)
    name = check_text(name, "name", 500) if name is not None else None
    agent = check_name(agent) if agent is not None else None
    mime_type = check_label(mime_type, "mime_type") if mime_type is not None else None
    size_bytes = check_optional_number(size_bytes, "size_bytes", 0, 2 ** 62, integer=True)
    checksum = check_text(checksum, "checksum", 200) if checksum is not None else None
    metadata_json = json.dumps(check_metadata(metadata)) if metadata is not None else None
    artifact_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"alma_graph:{workflow_id}\n{artifact_type}\n{ref}"))
    key = project_key(store.project_id, artifact_id)
    now = utcnow()
    with store.transaction():
        workflow_key = ensure_workflow(store, workflow_id, now)
        row = store.merge_artifact({
            "workflow_key": workflow_key, "key": key, "project_id": store.project_id, "id": artifact_id,
            "workflow_id": workflow_id, "artifact_type": artifact_type, "ref": ref, "name": name, "agent": agent,
            "mime_type": mime_type, "size_bytes": size_bytes, "checksum": checksum,
            "metadata": metadata_json, "created_at": now, "updated_at": now,
        })
    return _artifact(row)


def list_artifacts(store: "GraphStore", workflow_id: str, artifact_type: str | None = None) -> list[Artifact]:
    workflow_id = check_workflow_id(workflow_id)
    if artifact_type is not None:
        artifact_type = check_label(artifact_type, "artifact_type")
    rows = store.workflow_artifacts(require_workflow(store, workflow_id))
    return [_artifact(r) for r in rows if artifact_type is None or r["artifact_type"] == artifact_type]


# -- merging parallel states ----------------------------------------------------------------------

_MISSING = object()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _distinct(items: list[Any]) -> list[Any]:
    seen, out = set(), []
    for item in items:
        marker = json.dumps(item, sort_keys=True)
        if marker not in seen:
            seen.add(marker)
            out.append(item)
    return out


def _latest(key: str, values: list[Any]) -> Any:
    return values[-1]


def _merge_lists(key: str, values: list[Any], distinct: bool = False) -> Any:
    if all(isinstance(v, dict) for v in values):
        merged: dict[str, Any] = {}
        for sub in dict.fromkeys(k for v in values for k in v):
            merged[sub] = _merge_lists(f"{key}.{sub}", [v[sub] for v in values if sub in v], distinct)
        return merged
    if any(isinstance(v, list) for v in values):
        items = [item for v in values for item in _as_list(v)]
        return _distinct(items) if distinct else items
    return values[-1]


def _numeric(name: str, combine: Callable[[list[Any]], Any]) -> Callable[[str, list[Any]], Any]:
    def reduce(key: str, values: list[Any]) -> Any:
        for value in values:
            if not _is_number(value):
                raise ValidationError(f"reducer {name!r} needs numbers, but key {shown(key)} has {shown(value)}; "
                                      f"choose another reducer for that key, e.g. reducer={{{shown(key)}: 'latest_wins'}}")
        return combine(values)
    return reduce


# name -> fn(key, values); values are in state order (priority_agent reorders the states first)
REDUCERS: dict[str, Callable[[str, list[Any]], Any]] = {
    "latest_wins": _latest,
    "priority_agent": _latest,
    "merge_lists": _merge_lists,
    "union": lambda key, values: _merge_lists(key, values, distinct=True),
    "sum": _numeric("sum", sum),
    "max": _numeric("max", max),
    "min": _numeric("min", min),
}


def _reducer_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in REDUCERS:
        raise ValidationError(f"{where}: unknown reducer {shown(value)}; choose one of {sorted(REDUCERS)} or pass a callable")
    return value


def merge(states: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
          reducer: str | Callable | Mapping[str, str | Callable] = "latest_wins",
          priority: Sequence[str] | None = None) -> tuple[dict[str, Any], list[str] | None, str]:
    """Merge states with a reducer. Returns (merged state, agent order or None, reducer description)."""
    agents: list[str] | None = None
    if isinstance(states, Mapping):
        agents = [check_name(a) for a in states]
        ordered = [states[a] for a in agents]
    elif isinstance(states, Sequence) and not isinstance(states, (str, bytes)):
        ordered = list(states)
    else:
        raise ValidationError("states must be a list of states or a mapping of agent name -> state")
    if not ordered:
        raise ValidationError("states must not be empty")
    for i, state in enumerate(ordered):
        canonical_state(state, f"states[{agents[i]!r}]" if agents else f"states[{i}]")
    ordered = [dict(s) for s in ordered]

    uses_priority = reducer == "priority_agent" or (
        isinstance(reducer, Mapping) and "priority_agent" in [v for v in reducer.values() if isinstance(v, str)])
    if priority is not None:
        if agents is None:
            raise ValidationError("priority needs states given per agent: {agent: state, ...}")
        priority = [check_name(a) for a in check_ids(priority, "priority")]
        unknown = sorted(set(priority) - set(agents))
        if unknown:
            raise ValidationError(f"priority names agents without a state: {unknown}")
    if uses_priority:
        if agents is None:
            raise ValidationError("reducer 'priority_agent' needs states given per agent: {agent: state, ...}")
        order = list(priority or agents)  # highest priority first; unlisted agents after, in given order
        order += [a for a in agents if a not in order]
        rank = {a: i for i, a in enumerate(order)}
        pairs = sorted(zip(agents, ordered), key=lambda p: -rank[p[0]])  # lowest priority first, so it loses
        agents, ordered = [a for a, _ in pairs], [s for _, s in pairs]

    if callable(reducer) and not isinstance(reducer, Mapping):
        merged = reducer([dict(s) for s in ordered])
        if not isinstance(merged, Mapping):
            raise ValidationError(f"a custom reducer must return a dict, got {type(merged).__name__}")
        description = getattr(reducer, "__name__", "custom")
    else:
        if isinstance(reducer, Mapping):
            per_key = dict(reducer)
            for key, value in per_key.items():
                if not isinstance(key, str):
                    raise ValidationError(f"reducer keys must be state keys (strings), got {shown(key)}")
                if not callable(value):
                    _reducer_name(value, f"reducer[{shown(key)}]")
            default = per_key.pop("*", "latest_wins")
            description = "per_key"
        elif isinstance(reducer, str):
            default, per_key, description = _reducer_name(reducer, "reducer"), {}, reducer
        else:
            raise ValidationError(f"reducer must be a name, a callable or a mapping of key -> reducer, got {shown(reducer)}")
        merged = {}
        for key in dict.fromkeys(k for s in ordered for k in s):
            values = [s[key] for s in ordered if key in s]
            chosen = per_key.get(key, default)
            merged[key] = chosen(values) if callable(chosen) else REDUCERS[chosen](key, values)
    canonical_state(merged, "the merged state")
    return dict(merged), agents, description


def merge_states(store: "GraphStore", workflow_id: str,
                 states: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
                 reducer: str | Callable | Mapping[str, str | Callable] = "latest_wins",
                 priority: Sequence[str] | None = None, metadata: dict[str, Any] | None = None,
                 agent: str | None = None, save: bool = True) -> dict[str, Any]:
    """Merge the states of parallel agents into one and (with ``save``) checkpoint it."""
    workflow_id = check_workflow_id(workflow_id)
    metadata, save = check_metadata(metadata), check_bool(save, "save")
    merged, agents, how = merge(states, reducer, priority)
    if save:
        info: dict[str, Any] = {"merged_from": len(agents) if agents else len(states), "reducer": how}
        if agents:
            info["agents"] = agents
        save_checkpoint(store, workflow_id, merged, {**(metadata or {}), "merge": info}, agent)
    return merged


def resume_point(store: "GraphStore", workflow_id: str, branch_id: str | None = None) -> Checkpoint | None:
    """ALMA's ``get_resume_point``: branches are separate workflows here."""
    if branch_id is not None:
        raise ValidationError("branch_id is not supported: give each branch its own workflow_id "
                              "and merge them with merge_states")
    return latest_checkpoint(store, check_workflow_id(workflow_id))
