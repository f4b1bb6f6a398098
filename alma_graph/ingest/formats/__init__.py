"""Chat-export parsers, one module per tool, and the detection that picks one for a file.

Each parser turns a file into ``Conversation`` objects or raises
``MalformedFileError`` saying what is wrong; nothing is written before a whole
file has parsed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from alma_graph.ingest.errors import MalformedFileError, UnknownFormatError
from alma_graph.ingest.formats import chatgpt, claude_ai, claude_code, codex, plain_text, slack
from alma_graph.ingest.formats._common import load_json, read_jsonl
from alma_graph.ingest.turns import Conversation

PARSERS: dict[str, Callable[[Path], list[Conversation]]] = {
    claude_code.NAME: claude_code.parse,
    chatgpt.NAME: chatgpt.parse,
    claude_ai.NAME: claude_ai.parse,
    codex.NAME: codex.parse,
    slack.NAME: slack.parse,
    plain_text.NAME: plain_text.parse,
}
FORMATS = tuple(PARSERS)
ALIASES = {"claude-code": "claude_code", "claudecode": "claude_code", "openai": "chatgpt", "claude": "claude_ai",
           "claude.ai": "claude_ai", "claude-ai": "claude_ai", "codex_cli": "codex", "codex-cli": "codex",
           "plain": "text", "txt": "text", "plain_text": "text"}
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".log", ".text", ""}


def check_format(name: str | None) -> str | None:
    """The canonical format name for ``format=``, or an error listing the known ones."""
    if name is None:
        return None
    if not isinstance(name, str):
        from alma_graph.memory.validation import shown

        raise UnknownFormatError(None, f"format must be a name such as 'text', got {shown(name)}")
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in PARSERS:
        raise UnknownFormatError(None, f"unknown chat format {key[:40]!r}; use one of {', '.join(FORMATS)} (or None to detect)")
    return key


# Files that come with the exports but hold no conversation: skipped, not errors.
COMPANION_FILES = {
    **{name: "Slack workspace metadata (read for names, holds no messages)" for name in slack.METADATA_FILES},
    "user.json": "ChatGPT export account data", "message_feedback.json": "ChatGPT export feedback",
    "model_comparisons.json": "ChatGPT export model comparisons", "shared_conversations.json": "ChatGPT export share links",
    "projects.json": "Claude.ai export projects", "memories.json": "Claude.ai export memories",
    "sessions-index.json": "Claude Code session index", "history.jsonl": "prompt history (no replies)",
}


def companion_reason(path: Path) -> str | None:
    """Why a file that ships with an export is not a conversation (None when it may be one)."""
    return COMPANION_FILES.get(path.name)


def is_slack_metadata(path: Path) -> bool:
    """users.json, channels.json, ... at a Slack export's root: workspace data, not messages."""
    return path.name in slack.METADATA_FILES


def parse_file(path: Path, format: str | None = None) -> tuple[str, list[Conversation]]:
    """(format, conversations) for one file, detecting the format unless one is forced."""
    if format is not None:
        return format, PARSERS[format](path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        first = _first_jsonl_object(path)
        for module in (codex, claude_code):
            if module.sniff(first):
                return module.NAME, module.parse(path)
        raise UnknownFormatError(path, "JSONL that is neither a Claude Code transcript nor a Codex rollout "
                                       f"(first record has keys {sorted(first)[:8]})")
    if suffix == ".json":
        data = load_json(path)
        for module in (chatgpt, claude_ai, slack):
            if module.sniff(data):
                return module.NAME, module.parse(path, data)
        if isinstance(data, list) and not data:
            return "empty", []
        shape = f"a list of {type(data[0]).__name__}" if isinstance(data, list) else f"a JSON {type(data).__name__}"
        raise UnknownFormatError(path, f"JSON that matches no known chat export ({shape}); "
                                       f"pass format= one of {', '.join(FORMATS)} to force one")
    if suffix in TEXT_SUFFIXES:
        return plain_text.NAME, plain_text.parse(path)
    raise UnknownFormatError(path, f"no chat format reads {suffix!r} files; pass format= to force one")


def _first_jsonl_object(path: Path) -> dict:
    for _, value in read_jsonl(path):
        return value
    raise MalformedFileError(path, "the file is empty")


__all__ = ["FORMATS", "PARSERS", "check_format", "parse_file", "is_slack_metadata", "companion_reason"]
