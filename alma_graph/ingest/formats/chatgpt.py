"""ChatGPT's data export: ``conversations.json``.

A JSON list of conversations, each {id / conversation_id, title, create_time
(epoch float), update_time, current_node, mapping}. ``mapping`` is a tree of
node id → {id, message, parent, children}: every edit or regeneration adds a
branch, and ``current_node`` is the leaf of the branch the user last saw. The
active conversation is the chain from ``current_node`` back through ``parent``
to the root, reversed — the other branches are abandoned and not ingested.

A message is {author: {role}, create_time, content: {content_type, parts},
metadata, recipient}. Skipped: null messages (the root), system and tool
messages, ``metadata.is_visually_hidden_from_conversation``, assistant messages
addressed to a tool (``recipient`` not "all"), and non-dialogue content types
(thoughts, reasoning_recap, user_editable_context, code, execution_output, ...).
Only string parts are text (image pointers are dicts). Consecutive assistant
messages become one turn, as the app shows them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alma_graph.ingest.formats._common import expect, load_json, parse_time
from alma_graph.ingest.turns import ASSISTANT, USER, Conversation, Turn

NAME = "chatgpt"
_TEXT_TYPES = {"text", "multimodal_text"}


def sniff(data: Any) -> bool:
    items = data if isinstance(data, list) else [data]
    return bool(items) and isinstance(items[0], dict) and "mapping" in items[0]


def parse(path: Path, data: Any = None) -> list[Conversation]:
    data = load_json(path) if data is None else data
    if isinstance(data, dict):
        data = [data]
    expect(isinstance(data, list), path, f"expected a list of conversations, got a JSON {type(data).__name__}")
    return [_conversation(path, position, item) for position, item in enumerate(data)]


def _conversation(path: Path, position: int, item: Any) -> Conversation:
    where = f"conversation {position}"
    expect(isinstance(item, dict), path, f"{where} is not an object")
    mapping = item.get("mapping")
    expect(isinstance(mapping, dict), path, f"{where} has no 'mapping' object")
    conversation_id = item.get("conversation_id") or item.get("id")
    expect(isinstance(conversation_id, str) and conversation_id, path, f"{where} has no 'id'")
    current = item.get("current_node")
    if current is None:  # a conversation with no messages
        expect(not any(isinstance(n, dict) and n.get("message") for n in mapping.values()), path,
               f"{where} has messages but no 'current_node'")
        chain = []
    else:
        chain = _active_branch(path, where, mapping, current)
    turns: list[Turn] = []
    for node in chain:
        turn = _turn(path, where, node)
        if turn is None:
            continue
        if turn.role == ASSISTANT and turns and turns[-1].role == ASSISTANT:
            turns[-1].text += "\n\n" + turn.text
        else:
            turns.append(turn)
    return Conversation(NAME, str(path), conversation_id, item.get("title") or None, turns,
                        parse_time(item.get("create_time")))


def _active_branch(path: Path, where: str, mapping: dict, current: Any) -> list[dict]:
    expect(isinstance(current, str) and current in mapping, path,
           f"{where}: current_node {current!r} is not a node of its mapping")
    chain, seen = [], set()
    node_id = current
    while node_id is not None:
        expect(node_id not in seen, path, f"{where}: the parent chain from current_node has a cycle at {node_id!r}")
        seen.add(node_id)
        node: Any = mapping.get(node_id)
        expect(isinstance(node, dict), path, f"{where}: parent {node_id!r} is not a node of its mapping")
        chain.append(node)
        node_id = node.get("parent")
    chain.reverse()
    return chain


def _turn(path: Path, where: str, node: dict) -> Turn | None:
    message = node.get("message")
    if message is None:
        return None
    expect(isinstance(message, dict), path, f"{where}: node {node.get('id')!r} has a message that is not an object")
    role = (message.get("author") or {}).get("role")
    metadata = message.get("metadata") or {}
    if role not in (USER, ASSISTANT) or metadata.get("is_visually_hidden_from_conversation"):
        return None
    if role == ASSISTANT and message.get("recipient", "all") != "all":
        return None
    content = message.get("content")
    expect(isinstance(content, dict), path, f"{where}: message {message.get('id')!r} has no 'content' object")
    if content.get("content_type", "text") not in _TEXT_TYPES:
        return None
    parts = content.get("parts")
    expect(isinstance(parts, list), path, f"{where}: message {message.get('id')!r} content has no 'parts' list")
    text = "\n\n".join(p for p in parts if isinstance(p, str) and p.strip()).strip()
    if not text:
        return None
    return Turn(role, role, text, parse_time(message.get("create_time")), message.get("id"))
