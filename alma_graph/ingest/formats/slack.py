"""Slack workspace exports (the unzipped export folder).

The export root holds ``users.json`` (members: {id, name, real_name, profile:
{real_name, display_name}, is_bot}), ``channels.json`` (and for full exports
``groups.json``, ``dms.json``, ``mpims.json``), ``integration_logs.json`` and one
folder per conversation with one file per day (``general/2024-03-04.json``),
each a JSON list of messages in time order: {type: "message", subtype?, user,
text, ts ("1709550000.000200", epoch seconds), user_profile?: {real_name,
display_name, name}, bot_id?, username?, thread_ts?, reply_count?, files?,
blocks?}.

One day file is one conversation ("#general 2024-03-04"); its id is channel/day.
Speakers come from ``user_profile``, else ``users.json`` beside the channel
folder, else ``user_name`` / ``username``, else the user id. Mentions
(``<@U123>``), channel links (``<#C1|general>``) and links (``<https://x|label>``)
become plain text. Join/leave/topic/purpose/pin and other housekeeping subtypes
are skipped; bot messages are kept with the assistant role.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from alma_graph.ingest.formats._common import expect, load_json, parse_time
from alma_graph.ingest.turns import ASSISTANT, USER, Conversation, Turn

NAME = "slack"
# Files at the export root that describe the workspace rather than hold messages.
METADATA_FILES = {"users.json", "org_users.json", "channels.json", "groups.json", "dms.json", "mpims.json",
                  "integration_logs.json", "canvases.json", "content_flags.json"}
_SKIP_SUBTYPES = {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
                  "channel_archive", "channel_unarchive", "group_join", "group_leave", "group_topic",
                  "group_purpose", "group_name", "group_archive", "group_unarchive", "pinned_item",
                  "unpinned_item", "bot_add", "bot_remove", "reminder_add", "message_deleted",
                  "tombstone", "joiner_notification"}
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^>]+)>")
_LINK = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|([^>]+))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")


def sniff(data: Any) -> bool:
    return (isinstance(data, list) and bool(data) and isinstance(data[0], dict) and "ts" in data[0]
            and (data[0].get("type") == "message" or "text" in data[0]))


def parse(path: Path, data: Any = None) -> list[Conversation]:
    data = load_json(path) if data is None else data
    expect(isinstance(data, list), path, f"a Slack day file is a list of messages, got a JSON {type(data).__name__}")
    users = _users(path.resolve().parent.parent)
    channel = path.parent.name
    turns = []
    for index, message in enumerate(data):
        expect(isinstance(message, dict), path, f"message {index} is not an object")
        expect(isinstance(message.get("ts"), str), path, f"message {index} has no 'ts' string")
        if message.get("type", "message") != "message" or message.get("subtype") in _SKIP_SUBTYPES:
            continue
        text = message.get("text")
        expect(text is None or isinstance(text, str), path, f"message {index} has a 'text' that is not a string")
        text = _plain(text or "", users).strip()
        if not text:
            continue
        is_bot = message.get("subtype") == "bot_message" or ("bot_id" in message and "user" not in message)
        speaker = _speaker(message, users)
        turns.append(Turn(ASSISTANT if is_bot else USER, speaker, text, parse_time(message["ts"]), message["ts"]))
    return [Conversation(NAME, str(path), f"{channel}/{path.stem}", f"#{channel} {path.stem}", turns,
                         turns[0].timestamp if turns else None, {"channel": channel})]


def _speaker(message: dict, users: dict[str, str]) -> str:
    profile = message.get("user_profile") or {}
    for name in (profile.get("real_name"), profile.get("display_name"), users.get(message.get("user", "")),
                 message.get("user_name"), message.get("username"), (message.get("bot_profile") or {}).get("name"),
                 message.get("user"), message.get("bot_id")):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return "unknown"


def _plain(text: str, users: dict[str, str]) -> str:
    text = _MENTION.sub(lambda m: "@" + (m.group(2) or users.get(m.group(1), m.group(1))), text)
    text = _CHANNEL.sub(lambda m: "#" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    return html.unescape(text)


_USER_CACHE: dict[tuple[str, int], dict[str, str]] = {}


def _users(root: Path) -> dict[str, str]:
    """User id → display name from the export root's users.json (empty when there is none)."""
    names: dict[str, str] = {}
    for file_name in ("users.json", "org_users.json"):
        path = root / file_name
        if not path.is_file():
            continue
        key = (str(path), path.stat().st_mtime_ns)
        if key not in _USER_CACHE:
            _USER_CACHE.clear()  # one export at a time is the common case; keep the cache small
            _USER_CACHE[key] = _read_users(path)
        names.update(_USER_CACHE[key])
    return names


def _read_users(path: Path) -> dict[str, str]:
    try:
        data = load_json(path)
    except Exception:  # a broken users.json only costs names, not the messages
        return {}
    names: dict[str, str] = {}
    for user in data if isinstance(data, list) else []:
        if isinstance(user, dict) and isinstance(user.get("id"), str):
            profile = user.get("profile") or {}
            name = user.get("real_name") or profile.get("real_name") or profile.get("display_name") or user.get("name")
            if isinstance(name, str) and name.strip():
                names[user["id"]] = name.strip()
    return names
