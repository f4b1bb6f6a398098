"""The Claude.ai data export: ``conversations.json``.

A JSON list of conversations, each {uuid, name, summary?, created_at,
updated_at, account: {uuid}, chat_messages}. A chat message is {uuid, sender:
"human" | "assistant", text, content: [{type: "text", text, start_timestamp,
...} | tool_use | tool_result | thinking], created_at, attachments, files}.
The content blocks' text is used when present (it is what the app shows);
``text`` is the fallback for older exports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alma_graph.ingest.formats._common import block_text, expect, load_json, parse_time
from alma_graph.ingest.turns import ASSISTANT, USER, Conversation, Turn

NAME = "claude_ai"
_ROLES = {"human": USER, "user": USER, "assistant": ASSISTANT}


def sniff(data: Any) -> bool:
    if isinstance(data, dict):
        data = data.get("conversations", [data])
    return isinstance(data, list) and bool(data) and isinstance(data[0], dict) and "chat_messages" in data[0]


def parse(path: Path, data: Any = None) -> list[Conversation]:
    data = load_json(path) if data is None else data
    if isinstance(data, dict):
        data = data.get("conversations", [data])
    expect(isinstance(data, list), path, f"expected a list of conversations, got a JSON {type(data).__name__}")
    return [_conversation(path, position, item) for position, item in enumerate(data)]


def _conversation(path: Path, position: int, item: Any) -> Conversation:
    where = f"conversation {position}"
    expect(isinstance(item, dict), path, f"{where} is not an object")
    messages = item.get("chat_messages")
    expect(isinstance(messages, list), path, f"{where} has no 'chat_messages' list")
    conversation_id = item.get("uuid")
    expect(isinstance(conversation_id, str) and conversation_id, path, f"{where} has no 'uuid'")
    turns = []
    for index, message in enumerate(messages):
        expect(isinstance(message, dict), path, f"{where}: message {index} is not an object")
        sender = message.get("sender")
        expect(sender in _ROLES, path, f"{where}: message {index} has sender {sender!r}, expected 'human' or 'assistant'")
        text = block_text(message.get("content")).strip() or (message.get("text") or "").strip()
        if not text:
            continue
        role = _ROLES[sender]
        turns.append(Turn(role, role, text, parse_time(message.get("created_at")), message.get("uuid")))
    return Conversation(NAME, str(path), conversation_id, item.get("name") or None, turns,
                        parse_time(item.get("created_at")))
