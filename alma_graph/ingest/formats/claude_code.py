"""Claude Code session transcripts (``~/.claude/projects/<project>/<session-id>.jsonl``).

One JSON object per line. Conversation lines have ``type`` "user" or "assistant",
``uuid`` / ``parentUuid`` (threading), ``sessionId``, ``timestamp`` (ISO 8601) and
``message`` = {role, content}, where content is a string or a list of blocks
(text, thinking, tool_use, tool_result, image). Other line types (summary,
system, queue-operation, file-history-snapshot, ...) carry no dialogue.

Kept: the text blocks people and the model wrote. Skipped: tool calls and tool
results (a "user" line whose content is only tool_result blocks is the harness
talking), thinking, ``isMeta`` lines (hook feedback, caveats), sidechain lines
(sub-agents) and slash-command wrappers (``<command-name>``, ``<local-command-stdout>``).
Consecutive assistant lines of one API message (same ``message.id``, written
block by block) become one turn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alma_graph.ingest.formats._common import block_text, expect, parse_time, read_jsonl
from alma_graph.ingest.turns import ASSISTANT, USER, Conversation, Turn

NAME = "claude_code"
_DIALOGUE = {"user", "assistant"}
_KNOWN_TYPES = _DIALOGUE | {"summary", "system", "queue-operation", "file-history-snapshot", "progress"}
_HARNESS_PREFIXES = ("<command-name>", "<command-message>", "<local-command-stdout>", "<local-command-stderr>",
                     "<command-args>", "Caveat: The messages below were generated")


def sniff(first: dict) -> bool:
    return first.get("type") in _KNOWN_TYPES and ("sessionId" in first or "uuid" in first or "leafUuid" in first)


def parse(path: Path) -> list[Conversation]:
    session_id = None
    title = None
    turns: list[Turn] = []
    last_message_id = None
    dialogue_lines = 0
    for number, line in read_jsonl(path):
        kind = line.get("type")
        expect(isinstance(kind, str), path, f"line {number} has no 'type'")
        if kind == "summary" and isinstance(line.get("summary"), str):
            title = title or line["summary"]
        if kind not in _DIALOGUE:
            continue
        dialogue_lines += 1
        message: Any = line.get("message")
        expect(isinstance(message, dict), path, f"line {number} ({kind}) has no 'message' object")
        expect("content" in message, path, f"line {number} ({kind}) message has no 'content'")
        session_id = session_id or line.get("sessionId")
        if line.get("isMeta") or line.get("isSidechain"):
            continue
        text = block_text(message["content"]).strip()
        if not text or text.startswith(_HARNESS_PREFIXES):
            continue
        role = USER if kind == "user" else ASSISTANT
        message_id = message.get("id")
        if role == ASSISTANT and turns and turns[-1].role == ASSISTANT and message_id and message_id == last_message_id:
            turns[-1].text += "\n\n" + text
            continue
        last_message_id = message_id if role == ASSISTANT else None
        turns.append(Turn(role, role, text, parse_time(line.get("timestamp")), line.get("uuid")))
    expect(dialogue_lines > 0, path, "no user or assistant lines: not a Claude Code session transcript")
    session_id = session_id or path.stem
    return [Conversation(NAME, str(path), str(session_id), title, turns,
                         turns[0].timestamp if turns else None)]
