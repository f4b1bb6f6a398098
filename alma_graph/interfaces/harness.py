"""The harness pattern: any LLM-driven task that learns from its own runs.

- ``Setting``: the fixed environment — tools and constraints that hold for every run.
- ``Context``: one run's inputs — the task, its type, the user, inputs, constraints.
- ``Agent``: who acts — name, role, traits — with the ``MemorySchema`` of its domain.
- ``MemorySchema``: what the domain may learn (``learnable_categories``), what it must
  not (``forbidden_categories``), and how many similar successes make a heuristic.
- ``Harness(setting, agent, alma, llm)``: ``run(context)`` retrieves the memories for
  the task, builds the prompt with a memory section, calls ``llm(prompt)`` — a callable
  the user supplies (any model, any client) — and records the outcome with ``learn``.
  Over runs, similar successes become heuristics and similar failures anti-patterns,
  and the next prompt carries them.

``llm`` returns the output as a string (a success unless ``evaluate`` says otherwise),
an ``LLMResponse``, or a dict with its fields. An exception from ``llm`` is recorded as
a failed outcome (its message as the error) and returned as a failed ``RunResult``;
errors of alma_graph itself (bad input, scope) are raised before ``llm`` is called.

Pre-built schemas: ``SCHEMAS["coding" | "research" | "sales" | "support" | "content" |
"general"]``; ``schema.to_agent_config()`` is the ``agents:`` entry that makes the store
enforce the same scope, and ``create_harness(domain, alma, llm)`` wires one up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from alma_graph.errors import ScopeViolationError, ValidationError
from alma_graph.models import MemorySlice, Outcome
from alma_graph.memory.validation import check_label, check_name, check_text

if TYPE_CHECKING:
    from alma_graph.alma import ALMA


@dataclass
class Tool:
    name: str
    description: str
    constraints: list[str] = field(default_factory=list)

    def to_prompt(self) -> str:
        line = f"- {self.name}: {self.description}"
        return line + (f" (constraints: {'; '.join(self.constraints)})" if self.constraints else "")


@dataclass
class Setting:
    """What the agent can do on every run."""

    name: str
    description: str = ""
    tools: list[Tool | str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)

    def to_prompt(self) -> str:
        lines = [f"## Setting: {self.name}"] + ([self.description] if self.description else [])
        if self.tools:
            lines.append("### Tools")
            lines += [t.to_prompt() if isinstance(t, Tool) else f"- {t}" for t in self.tools]
        if self.constraints:
            lines.append("### Constraints")
            lines += [f"- {c}" for c in self.constraints]
        return "\n".join(lines)


@dataclass
class Context:
    """What to do on this run."""

    task: str
    task_type: str | None = None  # default: the schema's default_task_type
    user_id: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    constraints: list[str] = field(default_factory=list)
    strategy: str | None = None  # how the task is approached, if the caller decides it
    workflow_id: str | None = None  # record the outcome in this workflow

    def to_prompt(self) -> str:
        lines = ["## Task", self.task]
        if self.inputs:
            lines.append("### Inputs")
            lines += [f"- {k}: {v}" for k, v in self.inputs.items()]
        if self.constraints:
            lines.append("### Task constraints")
            lines += [f"- {c}" for c in self.constraints]
        if self.strategy:
            lines += ["### Approach", self.strategy]
        return "\n".join(lines)


@dataclass
class MemorySchema:
    """What a domain learns; the same scope an ALMA config's ``agents:`` entry enforces."""

    domain: str
    description: str
    learnable_categories: list[str] = field(default_factory=list)  # empty: anything not forbidden
    forbidden_categories: list[str] = field(default_factory=list)
    heuristic_templates: list[str] = field(default_factory=list)
    outcome_fields: list[str] = field(default_factory=list)
    min_occurrences: int = 3
    default_task_type: str | None = None

    def allows(self, category: str) -> bool:
        if category in self.forbidden_categories:
            return False
        return not self.learnable_categories or category in self.learnable_categories

    def task_type(self, requested: str | None) -> str:
        return requested or self.default_task_type or (self.learnable_categories or [self.domain])[0]

    def to_agent_config(self, **extra: Any) -> dict[str, Any]:
        """The ``alma.agents.<name>`` entry for an agent of this domain (``extra`` adds keys
        such as ``share_with`` or ``inherit_from``)."""
        return {"domain": self.domain, "description": self.description,
                "can_learn": list(self.learnable_categories), "cannot_learn": list(self.forbidden_categories),
                "min_occurrences_for_heuristic": self.min_occurrences, **extra}

    def to_prompt(self) -> str:
        lines = [f"## What you learn ({self.domain})", self.description]
        if self.heuristic_templates:
            lines += ["Lessons take the form:"] + [f"- {t}" for t in self.heuristic_templates]
        return "\n".join(lines)


@dataclass
class Agent:
    name: str
    role: str
    schema: MemorySchema
    description: str = ""
    traits: list[str] = field(default_factory=list)

    def to_prompt(self) -> str:
        lines = [f"## You are {self.name}, {self.role}"] + ([self.description] if self.description else [])
        lines += [f"- {t}" for t in self.traits]
        return "\n".join(lines)


@dataclass
class LLMResponse:
    output: str
    success: bool = True
    strategy: str | None = None
    error: str | None = None
    reflections: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    success: bool
    output: str | None
    prompt: str
    memories: MemorySlice
    outcome: Outcome
    strategy: str
    task_type: str
    error: str | None = None
    duration_ms: int = 0


LLM = Callable[[str], "str | LLMResponse | Mapping[str, Any]"]
_RESPONSE_FIELDS = {f.name for f in fields(LLMResponse)}


def _response(value: Any) -> LLMResponse:
    if isinstance(value, LLMResponse):
        return value
    if isinstance(value, str):
        return LLMResponse(output=value)
    if isinstance(value, Mapping):
        unknown = set(value) - _RESPONSE_FIELDS
        if unknown or "output" not in value:
            raise ValidationError(f"an llm result dict needs 'output' and may have {sorted(_RESPONSE_FIELDS)}; "
                                  f"got {sorted(value)}")
        return LLMResponse(**value)
    raise ValidationError(f"llm must return a string, an LLMResponse or a dict, got {type(value).__name__}")


class Harness:
    """Setting + Agent + memory around a user-supplied ``llm(prompt)`` callable."""

    def __init__(self, setting: Setting, agent: Agent, alma: "ALMA", llm: LLM,
                 evaluate: Callable[[Context, str], bool] | None = None, top_k: int = 5,
                 memory_tokens: int = 1500):
        if not callable(llm):
            raise ValidationError("llm must be a callable taking the prompt and returning the output")
        check_name(agent.name)
        self.setting, self.agent, self.alma, self.llm = setting, agent, alma, llm
        self.evaluate = evaluate
        self.top_k = top_k
        self.memory_tokens = memory_tokens

    def task_type(self, context: Context) -> str:
        """The run's task type, checked against the agent's schema."""
        task_type = check_label(self.agent.schema.task_type(context.task_type), "task_type")
        if not self.agent.schema.allows(task_type):
            raise ScopeViolationError(
                f"the {self.agent.schema.domain!r} schema of agent {self.agent.name!r} does not learn "
                f"{task_type!r} (learnable: {', '.join(self.agent.schema.learnable_categories) or 'any'}; "
                f"forbidden: {', '.join(self.agent.schema.forbidden_categories) or 'none'})")
        return task_type

    def pre_run(self, context: Context) -> MemorySlice:
        return self.alma.retrieve(context.task, self.agent.name, top_k=self.top_k, user_id=context.user_id)

    def build_prompt(self, context: Context, memories: MemorySlice | None = None) -> str:
        sections = [self.agent.to_prompt(), self.setting.to_prompt()]
        if memories is not None and memories.total_items:
            sections.append("## Relevant memory (from past runs)\n" + memories.to_prompt(max_tokens=self.memory_tokens))
        sections.append(context.to_prompt())
        return "\n\n".join(sections)

    def post_run(self, context: Context, response: LLMResponse, task_type: str, duration_ms: int) -> Outcome:
        strategy = context.strategy or response.strategy or "direct"
        workflow: dict[str, Any] = {"workflow_id": context.workflow_id} if context.workflow_id else {}
        return self.alma.learn(
            self.agent.name, context.task, response.success, strategy, task_type=task_type,
            duration_ms=duration_ms, error_message=response.error if not response.success else None,
            feedback="; ".join(response.reflections) or None,
            metadata={"harness": self.setting.name, "schema": self.agent.schema.domain}, **workflow)

    def run(self, context: Context) -> RunResult:
        """Retrieve, prompt, call the llm, record the outcome."""
        check_text(context.task, "task")
        task_type = self.task_type(context)
        started = time.perf_counter()
        memories = self.pre_run(context)
        prompt = self.build_prompt(context, memories)
        try:
            response = _response(self.llm(prompt))
        except ValidationError:
            raise
        except Exception as exc:  # the model or its client failed: a failed run, recorded
            response = LLMResponse(output="", success=False, error=f"{type(exc).__name__}: {exc}")
        if response.success and self.evaluate is not None:
            verdict = self.evaluate(context, response.output)
            if not verdict:
                response = replace(response, success=False, error=response.error or "the evaluation rejected the output")
        if not response.success and not response.error:
            response = replace(response, error="the run failed")
        duration_ms = int((time.perf_counter() - started) * 1000)
        outcome = self.post_run(context, response, task_type, duration_ms)
        return RunResult(success=response.success, output=response.output or None, prompt=prompt, memories=memories,
                         outcome=outcome, strategy=outcome.strategy_used, task_type=task_type,
                         error=response.error if not response.success else None, duration_ms=duration_ms)


# -- pre-built domain schemas --------------------------------------------------------------------------

SCHEMAS: dict[str, MemorySchema] = {
    "coding": MemorySchema(
        domain="coding", description="How to build, test, debug and ship software in this codebase.",
        learnable_categories=["coding_patterns", "testing", "debugging", "code_review", "refactoring",
                              "architecture", "deployment"],
        forbidden_categories=["customer_data", "credentials"],
        heuristic_templates=["When <symptom> in <component>, check <cause> first",
                             "For <kind of change>, <testing approach> catches regressions"],
        outcome_fields=["tests_passed", "files_changed", "error_type"], default_task_type="coding_patterns"),
    "research": MemorySchema(
        domain="research", description="Where to look, how to search and how to weigh sources.",
        learnable_categories=["sources", "search_strategies", "synthesis", "fact_checking", "methodology"],
        forbidden_categories=["personal_data"],
        heuristic_templates=["For questions about <topic>, <source> is the most reliable",
                             "Queries phrased as <pattern> find primary sources"],
        outcome_fields=["sources_used", "confidence", "gaps"], default_task_type="search_strategies"),
    "sales": MemorySchema(
        domain="sales", description="What moves a prospect forward and what loses them.",
        learnable_categories=["outreach", "qualification", "objection_handling", "follow_up", "closing"],
        forbidden_categories=["pricing_changes", "legal_commitments"],
        heuristic_templates=["When a prospect says <objection>, answer with <response>",
                             "<segment> prospects reply to <channel> at <time>"],
        outcome_fields=["stage_reached", "reply_received", "objection"], default_task_type="outreach"),
    "support": MemorySchema(
        domain="support", description="How to resolve customer problems quickly and when to escalate.",
        learnable_categories=["troubleshooting", "product_knowledge", "escalation", "customer_communication"],
        forbidden_categories=["billing_changes", "account_deletion"],
        heuristic_templates=["For <symptom>, ask for <diagnostic> before anything else",
                             "Escalate <issue type> to <team> when <condition>"],
        outcome_fields=["resolved", "escalated", "customer_satisfaction"], default_task_type="troubleshooting"),
    "content": MemorySchema(
        domain="content", description="What makes writing land with this audience and brand.",
        learnable_categories=["writing_style", "audience", "structure", "seo", "editing"],
        forbidden_categories=["legal_claims"],
        heuristic_templates=["For <audience>, open with <hook type>", "<format> performs best at <length>"],
        outcome_fields=["engagement", "revisions", "approved"], default_task_type="writing_style"),
    "general": MemorySchema(
        domain="general", description="Anything the agent does, until a narrower schema fits.",
        heuristic_templates=["When <situation>, <approach> works"], default_task_type="general"),
}


def get_schema(name: str) -> MemorySchema:
    """A copy of a pre-built schema (so changing it changes nothing shared)."""
    if name not in SCHEMAS:
        raise ValidationError(f"no pre-built schema {name!r}; choose one of {sorted(SCHEMAS)}")
    base = SCHEMAS[name]
    return replace(base, learnable_categories=list(base.learnable_categories),
                   forbidden_categories=list(base.forbidden_categories),
                   heuristic_templates=list(base.heuristic_templates), outcome_fields=list(base.outcome_fields))


def create_harness(domain: str, alma: "ALMA", llm: LLM, agent_name: str | None = None,
                   setting: Setting | None = None, **options: Any) -> Harness:
    """A harness for a pre-built domain, with a default setting and agent."""
    schema = get_schema(domain)
    agent = Agent(name=agent_name or f"{domain}_agent", role=f"a {domain} agent", schema=schema,
                  description=schema.description)
    setting = setting or Setting(name=f"{domain} workspace")
    return Harness(setting, agent, alma, llm, **options)


__all__ = ["Tool", "Setting", "Context", "MemorySchema", "Agent", "LLMResponse", "RunResult", "Harness",
           "SCHEMAS", "get_schema", "create_harness"]
