"""The layered wake-up context: what an agent loads at the start of a session, within a budget.

1. **identity** — who the agent is: its name, domain, description and scope from the
   config, plus any identity text the caller passes. Always loaded (cut to the budget).
2. **essential story** — what the agent should not start without: the last session's
   handoff, its most trusted strategies and warnings (own, inherited and shared), the
   user's preferences and its most used knowledge. No query needed: these come from the
   graph by confidence and use.
3. **on-demand recall** — with a ``query``, the ranked ``retrieve`` slice for it, in what
   budget is left.

Lines that would overflow the budget are left out whole; ``to_prompt()`` never exceeds
``max_tokens`` (estimated at four characters a token, as ``MemorySlice.to_prompt``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


from alma_graph.models import AntiPattern, Heuristic, MemoryKind, estimate_tokens
from alma_graph.memory.records import to_memory
from alma_graph.workflows.sessions import last_handoff
from alma_graph.memory.validation import MAX_QUERY_CHARS, check_name, check_number, check_text
from alma_graph.context import Context
from alma_graph.retrieval.pipeline import retrieve


ESSENTIAL_LIMIT = 8  # memories of each group the essential story considers


@dataclass
class ContextLayer:
    name: str  # identity, essential_story, on_demand
    text: str
    tokens: int
    memory_ids: list[str] = field(default_factory=list)  # the memories it draws on


@dataclass
class WakeUpContext:
    agent: str
    max_tokens: int
    layers: list[ContextLayer] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return sum(layer.tokens for layer in self.layers)

    def layer(self, name: str) -> ContextLayer | None:
        return next((layer for layer in self.layers if layer.name == name), None)

    def to_prompt(self) -> str:
        return "\n\n".join(layer.text for layer in self.layers if layer.text)


def _fit(entries: list[tuple[str | None, str]], budget: int) -> tuple[str, int, list[str]]:
    """The (memory id or None, line) entries that fit in ``budget`` tokens, in order; a
    header line (``#``) with nothing under it is dropped. Returns text, tokens, memory ids."""
    kept: list[tuple[str | None, str]] = []
    used = 0
    for memory_id, line in entries:
        cost = estimate_tokens(line + "\n")
        if used + cost > budget:
            if line.startswith("#"):
                break
            continue
        kept.append((memory_id, line))
        used += cost
    while kept and kept[-1][1].startswith("#"):
        kept.pop()
    text = "\n".join(line for _, line in kept)
    return text, (estimate_tokens(text) if text else 0), [i for i, _ in kept if i]


def _cut(text: str, budget: int) -> str:
    if estimate_tokens(text) <= budget:
        return text
    return text[: max(0, budget * 4 - 4)].rstrip() + " …"


def wake_up(ctx: Context, agent: str, user_id: str | None = None, query: str | None = None,
            identity: str | None = None, max_tokens: int = 800) -> WakeUpContext:
    agent = check_name(agent)
    if user_id is not None:
        user_id = check_name(user_id, "user_id")
    if query is not None:
        query = check_text(query, "query", MAX_QUERY_CHARS)
    if identity is not None:
        identity = check_text(identity, "identity")
    check_number(max_tokens, "max_tokens", 50, 100_000, integer=True)
    context = WakeUpContext(agent=agent, max_tokens=max_tokens)

    # 1. identity: at most a quarter of the budget
    config = ctx.config.agent(agent)
    lines = [f"## Identity\nYou are {agent}" + (f", working on {config.domain}." if config.domain else ".")]
    if config.description:
        lines.append(config.description)
    if identity:
        lines.append(identity)
    if config.can_learn:
        lines.append(f"You learn about: {', '.join(config.can_learn)}.")
    if config.cannot_learn:
        lines.append(f"Outside your scope: {', '.join(config.cannot_learn)}.")
    text = _cut("\n".join(lines), max(10, max_tokens // 4))
    context.layers.append(ContextLayer("identity", text, estimate_tokens(text)))

    # 2. essential story: half of what is left when a query follows, all of it otherwise
    left = max_tokens - context.tokens - 2  # 2: the blank line between layers
    budget = left // 2 if query else left
    visible = ctx.visible(agent)
    entries: list[tuple[str | None, str]] = [(None, "## Essential story")]
    handoff = last_handoff(ctx.store, agent)
    if handoff is not None:
        entries.append((None, f"Last session ({handoff.goal}): {handoff.last_action} -> {handoff.last_outcome}"))
        entries += [(None, f"- Next: {step}") for step in handoff.next_steps]
        entries += [(None, f"- Blocked by: {blocker}") for blocker in handoff.blockers]
    rows = ctx.store.top_memories(list(visible), [MemoryKind.HEURISTIC.value, MemoryKind.ANTI_PATTERN.value],
                                  ESSENTIAL_LIMIT)
    groups: dict[str, list[tuple[str | None, str]]] = {"Strategies that worked": [], "Avoid": []}
    for row in rows:
        memory = to_memory(row, shared_from=visible.get(row["agent"]))
        source = f" (from {memory.shared_from})" if memory.shared_from else ""
        if isinstance(memory, Heuristic):
            groups["Strategies that worked"].append(
                (memory.id, f"- {memory.condition}: {memory.strategy} (confidence {memory.confidence:.2f}){source}"))
        elif isinstance(memory, AntiPattern):
            instead = f" Instead: {memory.better_alternative}." if memory.better_alternative else ""
            groups["Avoid"].append((memory.id, f"- {memory.pattern}. Why: {memory.why_bad}.{instead}{source}"))
    if user_id is not None:
        preferences = ctx.store.find_memories(kind=MemoryKind.PREFERENCE.value, user_id=user_id, archived=False)
        groups["User preferences"] = [(r["id"], f"- [{r['category']}] {r['preference']}")
                                      for r in sorted(preferences, key=lambda r: r["created_at"])][:ESSENTIAL_LIMIT]
    knowledge = ctx.store.top_memories(list(visible), [MemoryKind.DOMAIN_KNOWLEDGE.value], ESSENTIAL_LIMIT)
    groups["Knowledge"] = [(r["id"], f"- [{r['category']}] {r['fact'] or r['text']}") for r in knowledge]
    for title, items in groups.items():
        if items:
            entries.append((None, f"### {title}"))
            entries += items
    text, tokens, ids = _fit(entries, budget)
    if text:
        context.layers.append(ContextLayer("essential_story", text, tokens, ids))

    # 3. on-demand recall
    if query:
        header = f"## Recall: {_cut(query, 20)}"
        left = max_tokens - context.tokens - 2 * len(context.layers) - estimate_tokens(header + "\n")
        if left > 10:
            memories = retrieve(ctx, query, agent, user_id=user_id)
            body = memories.to_prompt(max_tokens=left)
            if body:
                text = f"{header}\n{body}"
                context.layers.append(ContextLayer("on_demand", text, estimate_tokens(text),
                                                   [m.id for m in memories.all()]))
    return context
