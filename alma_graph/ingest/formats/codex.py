"""Codex CLI session rollouts (``~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl``).

One JSON object per line: {timestamp, type, payload}. ``session_meta`` (first
line) carries the session id, cwd and cli_version; ``response_item`` lines carry
the model-visible items — payload {type: "message", role: user | assistant |
developer, content: [{type: input_text | output_text, text}]}, or function
calls, their outputs and reasoning; ``event_msg`` lines repeat what the UI
showed (user_message, agent_message, token_count, ...); ``turn_context`` and
``compacted`` lines carry settings and summaries.

Dialogue comes from the ``response_item`` messages of role user and assistant;
the harness's own user-role context (``<environment_context>``,
``<user_instructions>``, AGENTS.md instructions) is skipped, as are developer
messages, tool calls and reasoning. Rollouts with no response-item messages
fall back to the ``event_msg`` user_message / agent_message lines. Early
rollouts without the {type, payload} envelope (bare items after a first
{id, timestamp} line) are read too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alma_graph.ingest.formats._common import block_text, expect, parse_time, read_jsonl
from alma_graph.ingest.turns import ASSISTANT, USER, Conversation, Turn

NAME = "codex"
_ENVELOPE_TYPES = {"session_meta", "response_item", "event_msg", "turn_context", "compacted"}
_TEXT_BLOCKS = ("input_text", "output_text", "text")
_HARNESS_PREFIXES = ("<environment_context>", "<user_instructions>", "# AGENTS.md instructions",
                     "<permissions instructions>", "<user_shell_command>", "<turn_aborted>")


def sniff(first: dict) -> bool:
    if first.get("type") in _ENVELOPE_TYPES and isinstance(first.get("payload"), dict):
        return True
    # legacy rollouts: {id, timestamp, instructions?} then bare response items
    return "id" in first and "timestamp" in first and "type" not in first and "sessionId" not in first


def parse(path: Path) -> list[Conversation]:
    session_id = None
    started = None
    items: list[tuple[str | None, dict]] = []
    events: list[tuple[str | None, dict]] = []
    for number, line in read_jsonl(path):
        kind = line.get("type")
        payload: Any = line.get("payload")
        if kind in _ENVELOPE_TYPES:
            expect(isinstance(payload, dict), path, f"line {number} ({kind}) has no 'payload' object")
            if kind == "session_meta":
                session_id = session_id or payload.get("id")
                started = started or parse_time(payload.get("timestamp") or line.get("timestamp"))
            elif kind == "response_item":
                items.append((line.get("timestamp"), payload))
            elif kind == "event_msg":
                events.append((line.get("timestamp"), payload))
        elif kind is None and number == 1 and "id" in line:  # legacy header
            session_id, started = line.get("id"), parse_time(line.get("timestamp"))
        elif kind in ("message", "function_call", "function_call_output", "reasoning", "local_shell_call"):
            items.append((None, line))  # legacy bare item
        elif line.get("record_type") == "state":
            continue
        else:
            expect(False, path, f"line {number} is not a Codex rollout record (type {kind!r})")
    expect(session_id is not None or items or events, path, "no session_meta or response items: not a Codex rollout")
    turns = _from_items(path, items) or _from_events(events)
    return [Conversation(NAME, str(path), str(session_id or path.stem), None, turns,
                         started or (turns[0].timestamp if turns else None))]


def _from_items(path: Path, items: list[tuple[str | None, dict]]) -> list[Turn]:
    turns = []
    for timestamp, payload in items:
        if payload.get("type") != "message" or payload.get("role") not in (USER, ASSISTANT):
            continue
        expect("content" in payload, path, f"a {payload['role']} message has no 'content'")
        text = block_text(payload["content"], _TEXT_BLOCKS).strip()
        if not text or (payload["role"] == USER and text.startswith(_HARNESS_PREFIXES)):
            continue
        turns.append(Turn(payload["role"], payload["role"], text, parse_time(timestamp), payload.get("id")))
    return turns


def _from_events(events: list[tuple[str | None, dict]]) -> list[Turn]:
    roles = {"user_message": USER, "agent_message": ASSISTANT}
    turns = []
    for timestamp, payload in events:
        role = roles.get(str(payload.get("type")))
        text = payload.get("message")
        if role and isinstance(text, str) and text.strip() and not text.startswith(_HARNESS_PREFIXES):
            turns.append(Turn(role, role, text.strip(), parse_time(timestamp)))
    return turns
