"""``ingest_conversations``: chat exports → typed memories.

Parse each file (format detected per file, or forced with ``format=``), run the
classification rules over every turn, pack what the rules leave into bounded
knowledge chunks of consecutive turns ("speaker: text", a turn is split only
when it alone exceeds the bound), and write everything through ALMA.

Knowledge from conversations gets confidence 0.8 (people and models say things
in chats that no one checked); its ``timestamp`` is the first turn's time.
Preferences are attributed to ``user_id`` when given, otherwise to the speaker
(the role name "user" for Claude Code, ChatGPT, Claude.ai and Codex; the person
for Slack and plain-text transcripts), and are written with ``agent=`` so the
agent's scope applies to their category.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from alma_graph.ingest.arguments import check_alma, check_bound, check_domain, check_path, user_id_for
from alma_graph.ingest.chunking import DEFAULT_CHUNK_CHARS, check_chunk_chars, chunk_text
from alma_graph.ingest.classify import Extraction, classify, is_procedure
from alma_graph.ingest.confinement import allowed, real_path
from alma_graph.ingest.errors import IngestError
from alma_graph.ingest.files import _pruned
from alma_graph.ingest.formats import check_format, companion_reason, parse_file
from alma_graph.ingest.items import Item, anti_pattern_item, knowledge_item, outcome_item, preference_item
from alma_graph.ingest.report import IngestReport
from alma_graph.ingest.turns import USER, Conversation
from alma_graph.ingest.writer import write_items
from alma_graph.models import MemoryKind
from alma_graph.memory.validation import check_name

DEFAULT_DOMAIN = "conversations"
CONFIDENCE = 0.8
DEFAULT_MAX_EXPORT_BYTES = 512 * 1024 * 1024  # ChatGPT's conversations.json runs to hundreds of MB
CHAT_SUFFIXES = {".json", ".jsonl", ".txt", ".md", ".markdown", ".log"}


def ingest_conversations(alma: Any, path: str | os.PathLike, agent: str, *, user_id: str | None = None,
                         format: str | None = None, domain: str | None = None,
                         chunk_chars: int = DEFAULT_CHUNK_CHARS, max_file_bytes: int = DEFAULT_MAX_EXPORT_BYTES,
                         show_progress: bool | None = None,
                         allowed_roots: Iterable[str | os.PathLike] | None = None) -> IngestReport:
    """Ingest one chat export file, or every export under a directory, into ``agent``'s memory.

    Formats: ``claude_code`` (session JSONL), ``chatgpt`` (conversations.json),
    ``claude_ai`` (conversations.json), ``codex`` (rollout JSONL), ``slack`` (an
    export folder's per-day channel files) and ``text`` (speaker-prefixed lines
    or paragraphs); detected per file unless ``format=`` forces one. A file that
    cannot be parsed is reported in ``errors`` and the others are still ingested.
    Ingesting the same exports again adds nothing."""
    started = time.perf_counter()
    check_alma(alma)
    agent = check_name(agent)
    if user_id is not None:
        user_id = check_name(user_id, "user_id")
    forced = check_format(format)
    chunk_chars = check_chunk_chars(chunk_chars)
    max_file_bytes = check_bound(max_file_bytes, "max_file_bytes", 1, 1 << 40)
    root = check_path(path)
    domain, _ = check_domain(alma, agent, domain, DEFAULT_DOMAIN)
    report = IngestReport(str(root), agent, "conversations")
    project = alma.config.project_id
    items: list[Item] = []
    roots = allowed(allowed_roots)  # files whose real path lies outside are skipped, never read
    for file, skip in _chat_files(root, single=root.is_file()):
        report.files_seen += 1
        if skip is None:
            _, skip = real_path(file, roots)
        if skip is None and file.stat().st_size > max_file_bytes:
            skip = f"too large: {file.stat().st_size:,} bytes > the {max_file_bytes:,}-byte cap"
        if skip:
            report.record_skip(str(file), skip)
            continue
        try:
            name, conversations = parse_file(file, forced)
        except IngestError as exc:
            report.record_error(str(file), getattr(exc, "reason", None) or str(exc))
            continue
        except (RecursionError, MemoryError, OSError, ValueError, TypeError, AttributeError, KeyError) as exc:
            report.record_error(str(file), f"could not be parsed: {type(exc).__name__}: {exc}")
            continue
        report.files_ingested += 1
        report.formats[name] += 1
        for conversation in conversations:
            report.conversations += 1
            report.turns += len(conversation.turns)
            conversation_items = _items(project, agent, domain, user_id, conversation, chunk_chars)
            report.chunks += sum(1 for i in conversation_items if i.kind is MemoryKind.DOMAIN_KNOWLEDGE)
            items.extend(conversation_items)
    try:
        write_items(alma, items, report, show_progress)
    finally:  # also when interrupted: the report travels with IngestInterrupted
        report.elapsed_seconds = time.perf_counter() - started
    return report


def _chat_files(root: Path, single: bool) -> Iterator[tuple[Path, str | None]]:
    if single:
        yield root, None
        return
    for directory, dirs, files in os.walk(root):
        base = Path(directory)
        dirs[:] = sorted(d for d in dirs if not _pruned(base / d))
        for name in sorted(files):
            path = base / name
            if name.startswith("."):
                yield path, "hidden file"
            elif path.suffix.lower() not in CHAT_SUFFIXES:
                yield path, f"not a chat export type {path.suffix or name!r}"
            elif companion_reason(path):
                yield path, companion_reason(path)
            else:
                yield path, None


def _items(project: str, agent: str, domain: str, user_id: str | None, conversation: Conversation,
           chunk_chars: int) -> list[Item]:
    source_key = f"{conversation.format}:{conversation.id}"
    label = f"ingest:{conversation.format}"
    base = {"source_path": conversation.source, "format": conversation.format,
            "conversation_id": conversation.id, "title": conversation.title}
    if user_id is not None:  # whose conversation it is: erase_user finds every memory made from it
        base["user_id"] = user_id
    items: list[Item] = []
    units: list[tuple[int, str, str]] = []  # (turn index, speaker, remaining text)
    for index, turn in enumerate(conversation.turns):
        classified = classify(turn.text, turn.role, preferences=turn.role == USER)
        for extraction in classified.extractions:
            meta: dict[str, Any] = {**base, "turn": index, "speaker": turn.speaker, "rule": extraction.rule, "text": extraction.text}
            if turn.id:
                meta["turn_id"] = str(turn.id)
            timestamp = turn.timestamp or conversation.created_at
            items.append(_extraction_item(project, agent, domain, user_id_for(turn.speaker, user_id), extraction,
                                          source_key, label, conversation.source, timestamp, meta))
        if classified.remainder:
            units.append((index, turn.speaker, classified.remainder))
    for number, (text, first, last, speakers) in enumerate(_pack_turns(units, chunk_chars)):
        timestamp = conversation.turns[first].timestamp or conversation.created_at
        meta = {**base, "chunk": number, "turns": [first, last], "speakers": speakers}
        if is_procedure(text):
            meta["procedure"] = True
        items.append(knowledge_item(project, agent, domain, text, source_key, label, conversation.source,
                                    timestamp, meta, CONFIDENCE))
    return items


def _extraction_item(project: str, agent: str, domain: str, user_id: str, extraction: Extraction, source_key: str,
                     label: str, path: str, timestamp, meta: dict) -> Item:
    fields = extraction.fields
    if extraction.kind is MemoryKind.PREFERENCE:
        return preference_item(project, agent, user_id, fields["category"], fields["preference"], label, path,
                               timestamp, meta)
    if extraction.kind is MemoryKind.ANTI_PATTERN:
        return anti_pattern_item(project, agent, domain, fields["pattern"], fields["why_bad"],
                                 fields.get("better_alternative"), source_key, path, timestamp, meta)
    return outcome_item(project, agent, domain, fields["task"], fields["strategy_used"], fields["outcome"],
                        fields.get("error_message"), source_key, path, timestamp, meta)


def _pack_turns(units: list[tuple[int, str, str]], max_chars: int) -> list[tuple[str, int, int, list[str]]]:
    """Consecutive turns joined as 'speaker: text' up to max_chars; a turn too long alone is split."""
    pieces: list[tuple[int, str, str]] = []
    for index, speaker, text in units:
        prefix = f"{speaker}: "
        rendered = prefix + text
        if len(rendered) <= max_chars:
            pieces.append((index, speaker, rendered))
        else:
            pieces.extend((index, speaker, prefix + part) for part in chunk_text(text, max_chars - len(prefix)))
    chunks: list[tuple[str, int, int, list[str]]] = []
    current: list[tuple[int, str, str]] = []
    size = 0
    for piece in pieces:
        added = len(piece[2]) + (2 if current else 0)
        if current and size + added > max_chars:
            chunks.append(_chunk(current))
            current, size = [], 0
            added = len(piece[2])
        current.append(piece)
        size += added
    if current:
        chunks.append(_chunk(current))
    return chunks


def _chunk(pieces: list[tuple[int, str, str]]) -> tuple[str, int, int, list[str]]:
    speakers = list(dict.fromkeys(speaker for _, speaker, _ in pieces))
    return "\n\n".join(text for _, _, text in pieces), pieces[0][0], pieces[-1][0], speakers
