"""The REST routes under ``/v1``: one handler per operation of the Python API.

Each handler checks the caller's client (agent, user, write) before it touches the
store, then runs the operation under the service's lock: the store has one writer
(embedded Kuzu) and ALMA's indexes are not thread-safe, so calls run one at a time.
Handlers are plain ``def``: FastAPI runs them on worker threads, off the event loop.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from alma_graph.errors import AccessDeniedError, UnknownToolError, ValidationError
from alma_graph.ingest.confinement import confined_to
from alma_graph.interfaces.serialize import memory_to_dict, slice_to_dict, to_jsonable
from alma_graph.service import schemas as s
from alma_graph.service.auth import Client, check_tool_call
from alma_graph.interfaces.tools import TOOLS

if TYPE_CHECKING:
    from alma_graph.alma import ALMA

T = TypeVar("T")
router = APIRouter(prefix="/v1", responses=s.ERRORS)


class Service:
    """What the routes share: the open store, the lock that serialises calls, when it started."""

    def __init__(self, alma: "ALMA", lock: threading.Lock | None = None):
        self.alma = alma
        self.lock = lock or threading.Lock()
        self.started = time.monotonic()

    def run(self, fn: Callable[["ALMA"], T]) -> T:
        with self.lock:
            return fn(self.alma)


def service(request: Request) -> Service:
    return request.app.state.service


def client(request: Request) -> Client:
    return request.state.alma_client


ServiceDep = Annotated[Service, Depends(service)]
ClientDep = Annotated[Client, Depends(client)]
AgentQuery = Annotated[str, Query(description="The agent acting (what it may see).")]


def confine_path(value: Any, roots: list[Any]) -> str:
    from pathlib import Path as FsPath

    resolved = FsPath(str(value)).expanduser().resolve()
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        allowed = ", ".join(str(r) for r in roots) or "none"
        raise AccessDeniedError(f"{value!r} is outside the folders this service may read ({allowed}); "
                                f"start it with --allow-path DIR to allow another")
    return str(resolved)


def _memory(memory: Any) -> dict[str, Any]:
    return memory_to_dict(memory)


# -- health, retrieval and writes -------------------------------------------------------------------

@router.get("/health", response_model=s.Health, tags=["service"])
def health(svc: ServiceDep) -> dict[str, Any]:
    """Liveness, without authentication: the service answers and its store is open."""
    from alma_graph import __version__

    config = svc.alma.config
    return {"status": "ok", "version": __version__, "project_id": config.project_id, "storage": config.storage,
            "pid": os.getpid(), "uptime_s": round(time.monotonic() - svc.started, 3)}


@router.post("/retrieve", response_model=s.RetrieveResponse, tags=["memories"])
def retrieve(body: s.RetrieveRequest, svc: ServiceDep, who: ClientDep) -> dict[str, Any]:
    """The memories relevant to a task that the agent may see, the five kinds ranked, plus `prompt`."""
    who.authorize(agent=body.agent, user_id=body.user_id)
    result = svc.run(lambda alma: alma.retrieve(body.task, body.agent, top_k=body.top_k, user_id=body.user_id,
                                                include_shared=body.include_shared, recipe=body.recipe,
                                                explain=body.explain))
    return slice_to_dict(result, max_tokens=body.max_tokens)


@router.post("/learn", response_model=s.Memory, status_code=201, tags=["memories"])
def learn(body: s.LearnRequest, svc: ServiceDep, who: ClientDep) -> dict[str, Any]:
    """Record a task's outcome; similar outcomes become heuristics and anti-patterns by themselves."""
    who.authorize(agent=body.agent, write=True, what="learn")
    return _memory(svc.run(lambda alma: alma.learn(
        body.agent, body.task, body.outcome, body.strategy_used, task_type=body.task_type,
        duration_ms=body.duration_ms, error_message=body.error_message, feedback=body.feedback,
        metadata=body.metadata)))


@router.post("/knowledge", response_model=s.Memory, status_code=201, tags=["memories"])
def add_knowledge(body: s.KnowledgeRequest, svc: ServiceDep, who: ClientDep) -> dict[str, Any]:
    """Record a fact in a domain the agent may learn."""
    who.authorize(agent=body.agent, write=True, what="add knowledge")
    return _memory(svc.run(lambda alma: alma.add_knowledge(
        body.agent, body.domain, body.fact, source=body.source, confidence=body.confidence, metadata=body.metadata)))


@router.post("/preferences", response_model=s.Memory, status_code=201, tags=["memories"])
def add_preference(body: s.PreferenceRequest, svc: ServiceDep, who: ClientDep) -> dict[str, Any]:
    """Record a user's preference; every agent retrieving with that user_id sees it."""
    who.authorize(agent=body.agent, user_id=body.user_id, write=True, needs_agent=False, what="add preferences")
    return _memory(svc.run(lambda alma: alma.add_preference(
        body.user_id, body.category, body.preference, source=body.source, agent=body.agent,
        metadata=body.metadata)))


@router.post("/anti-patterns", response_model=s.Memory, status_code=201, tags=["memories"])
def add_anti_pattern(body: s.AntiPatternRequest, svc: ServiceDep, who: ClientDep) -> dict[str, Any]:
    """Record what the agent should avoid, why, and what to do instead."""
    who.authorize(agent=body.agent, write=True, what="add anti-patterns")
    return _memory(svc.run(lambda alma: alma.add_anti_pattern(
        body.agent, body.pattern, body.why_bad, better_alternative=body.better_alternative,
        task_type=body.task_type, metadata=body.metadata)))


@router.post("/feedback", response_model=s.Memory, tags=["memories"])
def feedback(body: s.FeedbackRequest, svc: ServiceDep, who: ClientDep) -> dict[str, Any]:
    """Explicit feedback on one memory the agent may see; it changes how the memory ranks."""
    who.authorize(agent=body.agent, write=True, what="record feedback")
    return _memory(svc.run(lambda alma: alma.record_feedback(body.memory_id, body.signal, body.agent)))


# -- one memory: read, list, edit, history, delete -----------------------------------------------------

@router.get("/memories", response_model=s.MemoryPage, tags=["memories"])
def list_memories(svc: ServiceDep, who: ClientDep, agent: AgentQuery,
                  kind: Annotated[s.Kind | None, Query()] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 50,
                  cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
                  include_archived: bool = False) -> dict[str, Any]:
    """The agent's memories, newest first, a page at a time."""
    who.authorize(agent=agent)
    page = svc.run(lambda alma: alma.list_memories(agent, kind=kind, limit=limit, cursor=cursor,
                                                   include_archived=include_archived))
    return {"items": [_memory(m) for m in page.items], "next_cursor": page.next_cursor}


MemoryId = Annotated[str, Path(description="A memory id.")]


@router.get("/memories/{memory_id}", response_model=s.Memory, tags=["memories"])
def get_memory(memory_id: MemoryId, svc: ServiceDep, who: ClientDep, agent: AgentQuery) -> dict[str, Any]:
    """One memory the agent may see."""
    who.authorize(agent=agent)
    return _memory(svc.run(lambda alma: alma.get(memory_id, agent)))


@router.patch("/memories/{memory_id}", response_model=s.Memory, tags=["memories"])
def update_memory(memory_id: MemoryId, body: s.MemoryPatch, svc: ServiceDep, who: ClientDep) -> dict[str, Any]:
    """Edit a memory's text, metadata or confidence: a new version (returned); the old one is kept,
    linked by SUPERSEDES, and leaves retrieval."""
    who.authorize(agent=body.agent, write=True, what="edit memories")
    if body.text is None and body.metadata is None and body.confidence is None:
        raise ValidationError("give at least one of text, metadata, confidence to change")
    return _memory(svc.run(lambda alma: alma.update(memory_id, body.agent, text=body.text, metadata=body.metadata,
                                                    confidence=body.confidence)))


@router.get("/memories/{memory_id}/history", response_model=s.History, tags=["memories"])
def memory_history(memory_id: MemoryId, svc: ServiceDep, who: ClientDep, agent: AgentQuery) -> dict[str, Any]:
    """Every version of a memory, newest first."""
    who.authorize(agent=agent)
    return {"memory_id": memory_id, "versions": [_memory(m) for m in svc.run(lambda alma: alma.history(memory_id, agent))]}


@router.delete("/memories/{memory_id}", response_model=s.Deleted, tags=["memories"])
def delete_memory(memory_id: MemoryId, svc: ServiceDep, who: ClientDep, agent: AgentQuery,
                  hard: Annotated[bool, Query(description="Erase for good (node, vectors, index entries, "
                                                          "facts only it supports) instead of archiving.")] = False
                  ) -> dict[str, Any]:
    """Archive a memory (restorable), or with `hard=true` erase it, leaving an audit record without its text."""
    who.authorize(agent=agent, write=True, what="delete memories")
    return to_jsonable(svc.run(lambda alma: alma.delete(memory_id, agent, hard=hard)))


@router.delete("/users/{user_id}", response_model=s.Erased, tags=["memories"])
def erase_user(user_id: Annotated[str, Path()], svc: ServiceDep, who: ClientDep,
               hard: Annotated[bool, Query(description="Must be true: erasure cannot be undone.")] = False
               ) -> dict[str, Any]:
    """Erase everything stated by or about a user (an erasure request)."""
    who.authorize(user_id=user_id, write=True, needs_agent=False, what="erase users")
    if not hard:
        raise ValidationError("erasing a user cannot be undone: pass hard=true to confirm")
    return to_jsonable(svc.run(lambda alma: alma.erase_user(user_id)))


# -- the graph and figures -------------------------------------------------------------------------------

@router.get("/graph", response_model=s.Graph, tags=["graph"])
def graph(svc: ServiceDep, who: ClientDep, agent: AgentQuery,
          center: Annotated[str | None, Query(description="An entity name or a memory id (default: the whole "
                                                          "visible graph, up to limit nodes).")] = None,
          hops: Annotated[int, Query(ge=1, le=4)] = 1,
          limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    """The subgraph the agent may see around an entity or memory, as nodes and edges."""
    who.authorize(agent=agent)
    return to_jsonable(svc.run(lambda alma: alma.graph(agent, center=center, hops=hops, limit=limit)))


@router.get("/stats", response_model=s.Stats, tags=["service"])
def stats(svc: ServiceDep, who: ClientDep,
          agent: Annotated[str | None, Query(description="Only this agent's memories.")] = None) -> dict[str, Any]:
    """Counts per kind and agent, archived memories, graph size (a client limited to some agents names one)."""
    who.authorize(agent=agent)
    return to_jsonable(svc.run(lambda alma: alma.stats(agent)))


# -- every registry tool (what MCP serves), for the thin CLI and scripts -----------------------------------

@router.get("/tools", response_model=list[s.ToolInfo], tags=["tools"])
def list_tools(who: ClientDep) -> list[dict[str, Any]]:
    """The operations of the tool registry, with their JSON schemas (the same as the MCP tools)."""
    return [{"name": spec.name, "description": spec.description, "read_only": spec.read_only,
             "input_schema": spec.arguments_model().model_json_schema()} for spec in TOOLS.values()]


@router.post("/tools/{name}", response_model=dict[str, Any], tags=["tools"])
def call_tool(request: Request, name: Annotated[str, Path(description="A tool name, e.g. alma_retrieve.")],
              svc: ServiceDep, who: ClientDep,
              arguments: Annotated[dict[str, Any], Body(description="The tool's arguments.")]) -> dict[str, Any]:
    """Call one registry tool with the same arguments, checks and result as over MCP."""
    spec = TOOLS.get(name)
    if spec is None:
        raise UnknownToolError(f"no tool {name!r}; GET /v1/tools lists them")
    arguments = spec.validate(arguments)
    for key in spec.paths:  # files the service reads: only inside its allowed folders
        if arguments.get(key) is not None:
            arguments[key] = confine_path(arguments[key], request.app.state.allowed_paths)
    check_tool_call(who, spec.name, [p.name for p in spec.parameters()], arguments, spec.read_only)
    roots = request.app.state.allowed_paths

    def run_confined(alma: Any) -> dict[str, Any]:
        with confined_to(roots):  # every file the tool reads (links resolved), not only the path given
            return spec(alma, **arguments)

    return svc.run(run_confined)
