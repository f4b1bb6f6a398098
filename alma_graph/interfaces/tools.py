"""The tool layer shared by the MCP server and the CLI: one entry per operation.

Each tool is a plain function whose first parameter is the ``ALMA`` it works on
and whose other parameters are typed (``Annotated[..., Field(description=...)]``);
those types *are* the tool's JSON schema. A tool returns a JSON-able dict. The
MCP server (``alma_graph.mcp``) publishes every entry of ``TOOLS`` and every
entry of ``RESOURCES`` without further code, and the CLI calls the same
functions, so adding an operation is one decorated function here::

    @tool("alma_related", read_only=True)
    def related(alma: ALMA, entity: EntityName, agent: AgentName, predicate: str | None = None) -> dict[str, Any]:
        \"\"\"What the graph relates to an entity.\"\"\"
        return {"relations": to_jsonable(alma.related(entity, agent, predicate=predicate))}

A tool that takes file-system paths declares them (``paths=("path",)``) so the
MCP server can confine them to the folders it may read.

Library errors (``ALMAGraphError``) propagate unchanged; each front end turns
them into its own error form (an MCP tool error, a CLI exit code).
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic import ValidationError as PydanticValidationError

from alma_graph.errors import ValidationError

from alma_graph.interfaces.serialize import memory_to_dict, slice_to_dict, to_jsonable

if TYPE_CHECKING:
    from alma_graph.alma import ALMA

# -- argument types (their descriptions are the JSON schema's) -----------------------------

AgentName = Annotated[str, Field(description="Agent name: 1-64 letters, digits, '_', '.', '-'.")]
OptionalAgent = Annotated[str | None, Field(description="Agent name; omit for every agent.")]
UserId = Annotated[str, Field(description="User id: 1-64 letters, digits, '_', '.', '-'.")]
Metadata = Annotated[dict[str, Any] | None, Field(description="Free-form JSON object stored with the memory and returned unchanged.")]
MemoryIds = Annotated[list[str], Field(description="Memory ids as returned by alma_retrieve.")]
EntityName = Annotated[str, Field(description="An entity's name as memories mention it, e.g. 'Redis' or 'Dana'.")]
AsOf = Annotated[datetime | None, Field(description="ISO 8601 time: the facts that held then (default: the current ones).")]
KindName = Literal["heuristic", "outcome", "preference", "domain_knowledge", "anti_pattern"]


@dataclass(frozen=True)
class ToolSpec:
    """One operation: its public name, the function and how a client may treat it."""

    name: str
    fn: Callable[..., dict[str, Any]]
    description: str
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False
    paths: tuple[str, ...] = ()  # parameters naming files on the server: a server may confine them

    def parameters(self) -> list[inspect.Parameter]:
        """The tool's arguments: the function's parameters after ``alma``, annotations evaluated."""
        return list(inspect.signature(self.fn, eval_str=True).parameters.values())[1:]

    def __call__(self, alma: "ALMA", **arguments: Any) -> dict[str, Any]:
        remote = getattr(alma, "call_tool", None)  # a client of a running service: it runs the tool there
        if remote is not None:
            return remote(self.name, arguments)
        return self.fn(alma, **arguments)

    def arguments_model(self) -> type[BaseModel]:
        """The tool's arguments as a strict pydantic model (an unknown argument is an error)."""
        return _arguments_model(self)

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """``arguments`` checked and converted by the tool's types (a library ValidationError if not)."""
        try:
            checked = self.arguments_model().model_validate(arguments)
        except PydanticValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors())
            raise ValidationError(f"{self.name}: {problems}") from None
        return {name: getattr(checked, name) for name in type(checked).model_fields}


@functools.cache
def _arguments_model(spec: ToolSpec) -> type[BaseModel]:
    fields: dict[str, Any] = {
        p.name: (p.annotation, ... if p.default is inspect.Parameter.empty else p.default) for p in spec.parameters()}
    return create_model(f"{spec.name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)


@dataclass(frozen=True)
class ResourceSpec:
    """A read-only JSON document about the store (config, agents, schema)."""

    uri: str
    name: str
    fn: Callable[["ALMA"], Any]
    description: str


TOOLS: dict[str, ToolSpec] = {}
RESOURCES: dict[str, ResourceSpec] = {}


def tool(name: str, *, read_only: bool = False, destructive: bool = False, idempotent: bool = False,
         paths: tuple[str, ...] = ()):
    """Register a function as the tool ``name``; its docstring is the tool's description.
    ``paths`` names the parameters that are file-system paths (the MCP server confines them)."""

    def register(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        if name in TOOLS:
            raise ValueError(f"tool {name!r} is registered twice")
        TOOLS[name] = ToolSpec(name, fn, inspect.cleandoc(fn.__doc__ or name), read_only, destructive, idempotent,
                               tuple(paths))
        return fn

    return register


def resource(uri: str, name: str):
    """Register a function ``fn(alma) -> JSON-able`` as the resource ``uri``."""

    def register(fn: Callable[["ALMA"], Any]) -> Callable[["ALMA"], Any]:
        if uri in RESOURCES:
            raise ValueError(f"resource {uri!r} is registered twice")
        RESOURCES[uri] = ResourceSpec(uri, name, fn, inspect.cleandoc(fn.__doc__ or name))
        return fn

    return register


# -- memory tools --------------------------------------------------------------------------------

@tool("alma_retrieve", read_only=True)
def retrieve(
    alma: "ALMA",
    task: Annotated[str, Field(description="The task about to be done, in plain words.")],
    agent: AgentName,
    top_k: Annotated[int | None, Field(ge=1, le=1000, description="Memories per kind (default: the config's retrieval.default_top_k).")] = None,
    user_id: Annotated[str | None, Field(description="Include this user's preferences.")] = None,
    include_shared: Annotated[bool, Field(description="Include memories inherited from or shared by other agents.")] = True,
    max_tokens: Annotated[int, Field(ge=1, le=100_000, description="Token budget of the rendered prompt.")] = 2000,
) -> dict[str, Any]:
    """Memories relevant to a task, before doing it: heuristics (what worked), anti-patterns (what to avoid),
    the user's preferences, domain knowledge and past outcomes, each ranked with a score. `prompt` is the
    same slice rendered as a prompt section within `max_tokens`."""
    memories = alma.retrieve(task, agent, top_k=top_k, user_id=user_id, include_shared=include_shared)
    return slice_to_dict(memories, max_tokens=max_tokens)


@tool("alma_learn")
def learn(
    alma: "ALMA",
    agent: AgentName,
    task: Annotated[str, Field(description="The task that was done.")],
    outcome: Annotated[bool | str, Field(description="true/false, or 'success' / 'failure'.")],
    strategy_used: Annotated[str, Field(description="How the task was approached.")],
    task_type: Annotated[str | None, Field(description="Category of the task (scope-checked against the agent's can_learn / cannot_learn); default 'general'.")] = None,
    duration_ms: Annotated[int | None, Field(ge=0, description="How long the task took.")] = None,
    error_message: Annotated[str | None, Field(description="What went wrong, for a failure.")] = None,
    feedback: Annotated[str | None, Field(description="The user's feedback on the result.")] = None,
    metadata: Metadata = None,
    workflow_id: Annotated[str | None, Field(description="The workflow (run) this outcome belongs to, for "
                                                         "alma_retrieve_scoped's workflow_only scope.")] = None,
) -> dict[str, Any]:
    """Record the outcome of a task. Similar successes turn into a heuristic, similar failures into an
    anti-pattern, without further calls."""
    recorded = alma.learn(agent, task, outcome, strategy_used, task_type=task_type, duration_ms=duration_ms,
                          error_message=error_message, feedback=feedback, metadata=metadata, workflow_id=workflow_id)
    return {"outcome": memory_to_dict(recorded)}


@tool("alma_add_preference")
def add_preference(
    alma: "ALMA",
    user_id: UserId,
    category: Annotated[str, Field(description="Preference category, e.g. 'code_style'.")],
    preference: Annotated[str, Field(description="What the user wants.")],
    source: Annotated[str, Field(description="Where it came from, e.g. 'explicit' or 'inferred'.")] = "explicit",
    agent: Annotated[str | None, Field(description="The agent recording it (then scope-checked against the category).")] = None,
    metadata: Metadata = None,
) -> dict[str, Any]:
    """Record a user's preference; every agent retrieving with that user_id sees it."""
    memory = alma.add_preference(user_id, category, preference, source=source, agent=agent, metadata=metadata)
    return {"preference": memory_to_dict(memory)}


@tool("alma_add_knowledge")
def add_knowledge(
    alma: "ALMA",
    agent: AgentName,
    domain: Annotated[str, Field(description="Knowledge domain (scope-checked against the agent's can_learn / cannot_learn).")],
    fact: Annotated[str, Field(description="The fact, as one statement.")],
    source: Annotated[str, Field(description="Where the fact came from.")] = "user",
    confidence: Annotated[float, Field(ge=0, le=1, description="How sure the source is, 0..1.")] = 1.0,
    metadata: Metadata = None,
) -> dict[str, Any]:
    """Record a fact in a domain the agent may learn."""
    memory = alma.add_knowledge(agent, domain, fact, source=source, confidence=confidence, metadata=metadata)
    return {"knowledge": memory_to_dict(memory)}


@tool("alma_add_anti_pattern")
def add_anti_pattern(
    alma: "ALMA",
    agent: AgentName,
    pattern: Annotated[str, Field(description="What not to do.")],
    why_bad: Annotated[str, Field(description="Why it is bad.")],
    better_alternative: Annotated[str | None, Field(description="What to do instead.")] = None,
    task_type: Annotated[str | None, Field(description="Task type it applies to (scope-checked); default 'general'.")] = None,
    metadata: Metadata = None,
) -> dict[str, Any]:
    """Record something the agent should avoid, why, and what to do instead."""
    memory = alma.add_anti_pattern(agent, pattern, why_bad, better_alternative=better_alternative,
                                   task_type=task_type, metadata=metadata)
    return {"anti_pattern": memory_to_dict(memory)}


# -- feedback ---------------------------------------------------------------------------------------

@tool("alma_record_usage")
def record_usage(
    alma: "ALMA",
    retrieved_memory_ids: MemoryIds,
    used_memory_ids: Annotated[list[str], Field(description="The subset of retrieved_memory_ids the agent actually used.")],
    agent: AgentName,
) -> dict[str, Any]:
    """Tell which retrieved memories were used: used ones rank higher later, ignored ones slightly lower."""
    return alma.record_usage(retrieved_memory_ids, used_memory_ids, agent)


@tool("alma_record_feedback")
def record_feedback(
    alma: "ALMA",
    memory_id: Annotated[str, Field(description="A memory id as returned by alma_retrieve.")],
    signal: Annotated[bool | float | str, Field(description="'positive' / 'negative' (or helpful, unhelpful, up, down), true/false, or a number in [-1, 1].")],
    agent: AgentName,
) -> dict[str, Any]:
    """Explicit feedback on one memory; it changes how the memory ranks later."""
    return {"memory": memory_to_dict(alma.record_feedback(memory_id, signal, agent))}


# -- lifecycle and figures -------------------------------------------------------------------------

@tool("alma_forget", destructive=True, idempotent=True)
def forget(
    alma: "ALMA",
    agent: OptionalAgent = None,
    older_than_days: Annotated[float | None, Field(ge=0, description="Only memories older than this many days.")] = None,
    below_confidence: Annotated[float | None, Field(ge=0, le=1, description="Only memories with a confidence below this.")] = None,
    memory_ids: Annotated[list[str] | None, Field(description="Only these memories.")] = None,
    kind: Annotated[KindName | None, Field(description="Only memories of this kind.")] = None,
) -> dict[str, Any]:
    """Archive memories matching every given criterion (at least one of agent, older_than_days,
    below_confidence, memory_ids). Archived memories leave retrieval but are not deleted:
    alma_restore brings them back."""
    return {"archived": alma.forget(agent=agent, older_than_days=older_than_days,
                                    below_confidence=below_confidence, memory_ids=memory_ids, kind=kind)}


@tool("alma_restore", idempotent=True)
def restore(alma: "ALMA", memory_ids: Annotated[list[str], Field(min_length=1, description="Archived memory ids.")]) -> dict[str, Any]:
    """Bring archived memories back into retrieval."""
    return {"restored": alma.restore(memory_ids)}


@tool("alma_stats", read_only=True)
def stats(alma: "ALMA", agent: OptionalAgent = None) -> dict[str, Any]:
    """Counts of memories per kind and per agent, archived memories, graph nodes and indexed vectors."""
    return to_jsonable(alma.stats(agent))


@tool("alma_health", read_only=True, idempotent=True)
def health(alma: "ALMA") -> dict[str, Any]:
    """Whether the store answers, and what this server serves: version, storage, counts, agents, tools."""
    from alma_graph import __version__

    started = time.perf_counter()
    figures = alma.stats()
    return {
        "status": "ok",
        "version": __version__,
        "project_id": figures["project_id"],
        "storage": figures["storage"],
        "location": figures["location"],
        "store_latency_ms": round((time.perf_counter() - started) * 1000, 3),
        "memories": figures["total_memories"],
        "archived": figures["archived"],
        "indexed_vectors": figures["indexed_vectors"],
        "agents": sorted(alma.agents()),
        "embedding_model": alma.embedder.name,
        "tools": sorted(TOOLS),
    }


# -- graph tools ------------------------------------------------------------------------------------

def fact_to_dict(fact: Any) -> dict[str, Any]:
    return {**to_jsonable(fact), "current": fact.valid_to is None}


@tool("alma_entity_context", read_only=True)
def entity_context(
    alma: "ALMA",
    name: EntityName,
    agent: AgentName,
    hops: Annotated[int, Field(ge=1, le=4, description="How many relationship hops around the entity.")] = 2,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """What the graph knows around an entity, as the agent may see it: the facts (subject, predicate, object,
    with the memory each came from) within `hops`, the memories that mention it and its neighbours.
    `prompt` renders it as a prompt section."""
    context = alma.entity_context(name, agent, hops=hops, as_of=as_of)
    return {"entity": context.entity, "type": context.type, "facts": [fact_to_dict(f) for f in context.facts],
            "memories": to_jsonable(context.memories), "neighbors": list(context.neighbors),
            "prompt": context.to_prompt()}


@tool("alma_related", read_only=True)
def related(
    alma: "ALMA",
    entity: EntityName,
    agent: AgentName,
    predicate: Annotated[str | None, Field(description="Only facts with this predicate, e.g. 'works_at'.")] = None,
    as_of: AsOf = None,
    include_history: Annotated[bool, Field(description="Also facts that no longer hold.")] = False,
) -> dict[str, Any]:
    """The facts about one entity (its direct relationships), each naming the memory it came from."""
    facts = alma.related(entity, agent, predicate=predicate, as_of=as_of, include_history=include_history)
    return {"entity": entity, "facts": [fact_to_dict(f) for f in facts]}


@tool("alma_path", read_only=True)
def path(
    alma: "ALMA",
    a: EntityName,
    b: EntityName,
    agent: AgentName,
    max_hops: Annotated[int, Field(ge=1, le=6, description="Longest chain to look for.")] = 4,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """The shortest chain of facts linking two entities, as the agent may see them (empty when none)."""
    facts = alma.path(a, b, agent, max_hops=max_hops, as_of=as_of)
    return {"from": a, "to": b, "found": bool(facts), "facts": [fact_to_dict(f) for f in facts]}


# -- ingestion --------------------------------------------------------------------------------------

@tool("alma_ingest", idempotent=True, paths=("path",))
def ingest(
    alma: "ALMA",
    path: Annotated[str, Field(description="A file or folder on the server's machine.")],
    agent: AgentName,
    source: Annotated[Literal["directory", "conversations"], Field(
        description="'directory': text, Markdown and code files; 'conversations': chat exports "
                    "(Claude Code, ChatGPT, Claude.ai, Codex, Slack, plain text).")] = "directory",
    domain: Annotated[str | None, Field(description="File everything under this domain (scope-checked).")] = None,
    user_id: Annotated[str | None, Field(description="conversations only: whose preferences the user turns state.")] = None,
    format: Annotated[str | None, Field(description="conversations only: force a chat format instead of detecting it.")] = None,
) -> dict[str, Any]:
    """Read files or chat exports into the agent's memory: knowledge chunks, and from conversations also
    outcomes, anti-patterns and preferences. Ingesting the same files again adds nothing. The result counts
    what was added, already present, refused by scope, skipped and unreadable."""
    report = run_ingest(alma, path, agent, source, domain, user_id, format, show_progress=False)
    return {**report.as_dict(), "ok": report.ok}


def run_ingest(alma: "ALMA", path: Any, agent: str, source: str, domain: str | None, user_id: str | None,
               chat_format: str | None, show_progress: bool | None):
    """The ingestion behind both the MCP tool and the CLI command; returns the IngestReport."""
    from alma_graph.errors import ValidationError
    from alma_graph.ingest import ingest_conversations, ingest_directory

    if source == "directory":
        if user_id is not None or chat_format is not None:
            raise ValidationError("user_id and format apply to conversations only")
        return ingest_directory(alma, path, agent, domain=domain, show_progress=show_progress)
    return ingest_conversations(alma, path, agent, user_id=user_id, format=chat_format, domain=domain,
                                show_progress=show_progress)


# -- workflows -------------------------------------------------------------------------------------

WorkflowId = Annotated[str, Field(description="Workflow (run) id: 1-64 letters, digits, '_', '.', '-'.")]
State = Annotated[dict[str, Any], Field(description="The workflow's state: a JSON object of at most 1 MB.")]
ReducerName = Literal["latest_wins", "merge_lists", "priority_agent", "sum", "max", "min", "union"]


@tool("alma_checkpoint", idempotent=True)
def checkpoint(
    alma: "ALMA",
    workflow_id: WorkflowId,
    state: State,
    metadata: Metadata = None,
    agent: Annotated[str | None, Field(description="The agent saving the state.")] = None,
) -> dict[str, Any]:
    """Save a workflow's state as its next checkpoint, to resume from after a crash or restart. A state
    equal to the latest checkpoint's writes nothing and returns that checkpoint."""
    return {"checkpoint": to_jsonable(alma.checkpoint(workflow_id, state, metadata=metadata, agent=agent))}


@tool("alma_resume", read_only=True)
def resume(alma: "ALMA", workflow_id: WorkflowId) -> dict[str, Any]:
    """The workflow's latest checkpoint (its state, sequence number and time); `found` is false when the
    workflow has none, i.e. start from scratch."""
    found = alma.resume(workflow_id)
    return {"found": found is not None, "checkpoint": to_jsonable(found)}


@tool("alma_merge_states")
def merge_states(
    alma: "ALMA",
    workflow_id: WorkflowId,
    states: Annotated[list[dict[str, Any]] | dict[str, dict[str, Any]], Field(
        description="The parallel states: a list, or an object of agent name -> state (needed by priority_agent).")],
    reducer: Annotated[ReducerName | dict[str, ReducerName], Field(
        description="How values of a key combine: latest_wins (the last state's), merge_lists (concatenate lists, "
                    "merge objects), priority_agent (the highest-priority agent's), sum, max, min (numbers), union "
                    "(lists without repeats); or an object of state key -> reducer ('*' for the other keys).")] = "latest_wins",
    priority: Annotated[list[str] | None, Field(description="priority_agent: agent names, highest first.")] = None,
    save: Annotated[bool, Field(description="Checkpoint the merged state in the workflow.")] = True,
) -> dict[str, Any]:
    """Merge the states of parallel agents into one, key by key, and checkpoint it in the workflow."""
    return {"state": alma.merge_states(workflow_id, states, reducer=reducer, priority=priority, save=save)}


@tool("alma_link_artifact", idempotent=True)
def link_artifact(
    alma: "ALMA",
    workflow_id: WorkflowId,
    artifact_type: Annotated[str, Field(description="What it is, e.g. 'report', 'screenshot', 'pull_request'.")],
    ref: Annotated[str, Field(description="Where it is: a path, URL or any reference.")],
    name: Annotated[str | None, Field(description="A human-readable name.")] = None,
    agent: Annotated[str | None, Field(description="The agent that produced it.")] = None,
    mime_type: Annotated[str | None, Field(description="MIME type, e.g. 'text/markdown'.")] = None,
    size_bytes: Annotated[int | None, Field(ge=0, description="Size in bytes.")] = None,
    checksum: Annotated[str | None, Field(description="A checksum, e.g. 'sha256:...'.")] = None,
    metadata: Metadata = None,
) -> dict[str, Any]:
    """Record something the workflow produced, by reference. The same type and ref again updates it."""
    artifact = alma.link_artifact(workflow_id, artifact_type, ref, name=name, agent=agent, mime_type=mime_type,
                                  size_bytes=size_bytes, checksum=checksum, metadata=metadata)
    return {"artifact": to_jsonable(artifact)}


@tool("alma_get_artifacts", read_only=True)
def get_artifacts(
    alma: "ALMA",
    workflow_id: WorkflowId,
    artifact_type: Annotated[str | None, Field(description="Only artifacts of this type.")] = None,
) -> dict[str, Any]:
    """The artifacts a workflow produced, oldest first."""
    return {"artifacts": to_jsonable(alma.get_artifacts(workflow_id, artifact_type=artifact_type))}


@tool("alma_cleanup_checkpoints", destructive=True, idempotent=True)
def cleanup_checkpoints(
    alma: "ALMA",
    older_than_days: Annotated[float, Field(ge=0, description="Delete checkpoints older than this many days.")] = 7,
    keep_latest: Annotated[int, Field(ge=0, description="Always keep this many newest checkpoints per workflow.")] = 1,
    workflow_id: Annotated[str | None, Field(description="Only this workflow's checkpoints.")] = None,
) -> dict[str, Any]:
    """Delete old checkpoints, keeping each workflow's newest ones (memories are never touched)."""
    return {"deleted": alma.cleanup_checkpoints(older_than_days, keep_latest, workflow_id=workflow_id)}


@tool("alma_retrieve_scoped", read_only=True)
def retrieve_scoped(
    alma: "ALMA",
    task: Annotated[str, Field(description="The task about to be done, in plain words.")],
    agent: AgentName,
    scope: Annotated[Literal["workflow_only", "agent_only", "project_wide"], Field(
        description="workflow_only: memories of workflow_id; agent_only: the agent's own; project_wide: all it may "
                    "see (own, inherited, shared).")],
    workflow_id: Annotated[str | None, Field(description="The workflow, for scope workflow_only.")] = None,
    top_k: Annotated[int | None, Field(ge=1, le=1000, description="Memories per kind.")] = None,
    user_id: Annotated[str | None, Field(description="Include this user's preferences.")] = None,
    max_tokens: Annotated[int, Field(ge=1, le=100_000, description="Token budget of the rendered prompt.")] = 2000,
) -> dict[str, Any]:
    """alma_retrieve within a scope; the scope filters before ranking, so nothing outside it appears."""
    memories = alma.retrieve_scoped(task, agent, scope, workflow_id=workflow_id, top_k=top_k, user_id=user_id)
    return {"scope": scope, **slice_to_dict(memories, max_tokens=max_tokens)}


@tool("alma_consolidate", destructive=True, idempotent=True)
def consolidate(
    alma: "ALMA",
    agent: AgentName,
    kind: Annotated[Literal["heuristic", "anti_pattern", "domain_knowledge"] | None, Field(
        description="Only this kind (default: all three).")] = None,
    similarity_threshold: Annotated[float | None, Field(gt=0, le=1, description="Cosine similarity at which two "
                                                        "memories are duplicates (default: the config's).")] = None,
    dry_run: Annotated[bool, Field(description="Report the groups without merging.")] = False,
) -> dict[str, Any]:
    """Merge the agent's near-duplicate memories into one survivor each: counts summed, MERGED_INTO edges,
    duplicates archived (alma_restore brings them back), an audit record written."""
    report = alma.consolidate(agent, kind=kind, similarity_threshold=similarity_threshold, dry_run=dry_run)
    return {**to_jsonable(report), "merged": report.merged}


# -- single memories and the graph view (alma_graph.interfaces.memory_tools) -------------------------

def _register_memory_tools() -> None:
    from alma_graph.interfaces.memory_tools import MEMORY_TOOLS

    for name, fn, read_only, destructive, idempotent in MEMORY_TOOLS:
        tool(name, read_only=read_only, destructive=destructive, idempotent=idempotent)(fn)


_register_memory_tools()


# -- resources ---------------------------------------------------------------------------------------

@resource("alma://config", "config")
def config_resource(alma: "ALMA") -> dict[str, Any]:
    """The configuration this server runs with (secrets redacted)."""
    data = to_jsonable(alma.config)
    if data.get("neo4j", {}).get("password"):
        data["neo4j"]["password"] = "***"
    return data


@resource("alma://agents", "agents")
def agents_resource(alma: "ALMA") -> dict[str, Any]:
    """Every agent the config or the graph knows, with its scope and sharing."""
    configured = set(alma.config.agents)
    return {name: {**to_jsonable(agent), "in_config": name in configured} for name, agent in alma.agents().items()}


@resource("alma://schema", "graph schema")
def schema_resource(alma: "ALMA") -> dict[str, Any]:
    """The property graph's node kinds, edge kinds and properties."""
    from alma_graph import graph_model as gm

    return {
        "schema_version": gm.SCHEMA_VERSION,
        "nodes": {node.value: {"key": gm.NODE_KEYS[node], "properties": dict(gm.NODE_PROPERTIES[node])} for node in gm.Node},
        "edges": {edge.value: {"from": start.value, "to": end.value, "properties": dict(gm.EDGE_PROPERTIES.get(edge, {}))}
                  for edge, (start, end) in gm.EDGE_ENDS.items()},
        "memory_kinds": list(get_args(KindName)),
    }
