"""The REST API's request and response bodies (they are its OpenAPI schema).

Requests are strict (an unknown field is a 422, so a misspelt option is never
ignored); memories come back as ``Memory``: the fields every kind has, plus the
kind's own (``task_type``, ``strategy``, ``fact``, ...).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

AgentField = Field(description="Agent name: 1-64 letters, digits, '_', '.', '-'.", examples=["qa_agent"])
Metadata = dict[str, Any] | None
Kind = Literal["heuristic", "outcome", "preference", "domain_knowledge", "anti_pattern"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RetrieveRequest(_Request):
    task: str = Field(description="The task about to be done, in plain words.")
    agent: str = AgentField
    top_k: int | None = Field(default=None, ge=1, le=1000, description="Memories per kind (default: the config's).")
    user_id: str | None = Field(default=None, description="Include this user's preferences.")
    recipe: str | None = Field(default=None, description="The ranker: hybrid (default), similarity_only, bm25_only, ...")
    explain: bool = Field(default=False, description="Attach each memory's per-signal ranks and graph paths.")
    include_shared: bool = Field(default=True, description="Include memories inherited from or shared by other agents.")
    max_tokens: int = Field(default=2000, ge=1, le=100_000, description="Token budget of the rendered prompt.")


class LearnRequest(_Request):
    agent: str = AgentField
    task: str
    outcome: bool | str = Field(description="true/false, or 'success' / 'failure'.")
    strategy_used: str
    task_type: str | None = None
    duration_ms: int | None = Field(default=None, ge=0)
    error_message: str | None = None
    feedback: str | None = None
    metadata: Metadata = None


class KnowledgeRequest(_Request):
    agent: str = AgentField
    domain: str
    fact: str
    source: str = "user"
    confidence: float = Field(default=1.0, ge=0, le=1)
    metadata: Metadata = None


class PreferenceRequest(_Request):
    user_id: str
    category: str
    preference: str
    source: str = "explicit"
    agent: str | None = Field(default=None, description="The agent recording it (then scope-checked).")
    metadata: Metadata = None


class AntiPatternRequest(_Request):
    agent: str = AgentField
    pattern: str
    why_bad: str
    better_alternative: str | None = None
    task_type: str | None = None
    metadata: Metadata = None


class FeedbackRequest(_Request):
    memory_id: str
    signal: bool | float | str = Field(description="'positive' / 'negative', true/false, or a number in [-1, 1].")
    agent: str = AgentField


class MemoryPatch(_Request):
    agent: str = AgentField
    text: str | None = Field(default=None, description="The memory's new text (its kind's main field).")
    metadata: Metadata = None
    confidence: float | None = Field(default=None, ge=0, le=1)


class Memory(BaseModel):
    """One memory; kind-specific fields follow the common ones."""

    model_config = ConfigDict(extra="allow")

    id: str
    kind: Kind
    agent: str
    text: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = None
    archived: bool = False
    shared_from: str | None = None
    score: float | None = None
    score_breakdown: dict[str, float] | None = None
    explain: dict[str, Any] | None = None


class RetrieveResponse(BaseModel):
    query: str
    agent: str
    total_items: int
    retrieval_time_ms: float
    heuristics: list[Memory]
    anti_patterns: list[Memory]
    preferences: list[Memory]
    domain_knowledge: list[Memory]
    outcomes: list[Memory]
    prompt: str = Field(description="The same memories rendered as a prompt section within max_tokens.")


class MemoryPage(BaseModel):
    items: list[Memory]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class History(BaseModel):
    memory_id: str
    versions: list[Memory] = Field(description="Newest first: the current version, then the ones it superseded.")


class Deleted(BaseModel):
    model_config = ConfigDict(extra="allow")


class Erased(BaseModel):
    model_config = ConfigDict(extra="allow")


class GraphNode(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str


class GraphEdge(BaseModel):
    model_config = ConfigDict(extra="allow")


class Graph(BaseModel):
    center: str | None = Field(default=None, description="The id of the node the view is centered on (null: overview).")
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool = Field(default=False, description="More nodes were reachable than `limit`.")


class Stats(BaseModel):
    model_config = ConfigDict(extra="allow")

    project_id: str
    storage: str
    total_memories: int
    by_kind: dict[str, int]
    by_agent: dict[str, int]


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    project_id: str
    storage: str
    pid: int
    uptime_s: float


class ToolInfo(BaseModel):
    name: str
    description: str
    read_only: bool
    input_schema: dict[str, Any]


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(description="The error's class, e.g. ScopeViolationError or AccessDeniedError.")
    message: str = Field(description="What went wrong and what to change.")


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorResponse, "description": text} for status, text in {
    401: "No or an unknown bearer token.",
    403: "The client may not act as that agent or user, or may not write; or the agent's scope forbids it.",
    404: "No such memory, agent or entity (visible to the agent).",
    422: "Invalid input; nothing was written.",
}.items()}
