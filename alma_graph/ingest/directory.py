"""``ingest_directory``: text, Markdown and source files → typed memories.

Markdown is chunked by section (each chunk labelled with its file and the
headings above it), plain text by paragraph, code by top-level block (each chunk
labelled with its file). The classification rules run over prose (never code):
an anti-pattern or outcome stated in a document becomes that kind of memory;
documents state no preferences. Everything else is domain knowledge in domain
"docs" (Markdown and text) or "code" (source), unless ``domain=`` names one for
all; its ``timestamp`` is the file's modification time and its metadata names
the file, the headings and the chunk.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from alma_graph.ingest.arguments import check_alma, check_bound, check_domain, check_path
from alma_graph.ingest.chunking import DEFAULT_CHUNK_CHARS, Section, check_chunk_chars, chunk_code, chunk_markdown, chunk_text
from alma_graph.ingest.classify import classify, is_procedure
from alma_graph.ingest.confinement import allowed, real_path
from alma_graph.ingest.files import DEFAULT_MAX_FILE_BYTES, file_kind, read_source, walk
from alma_graph.ingest.items import Item, anti_pattern_item, knowledge_item, outcome_item
from alma_graph.ingest.report import IngestReport
from alma_graph.ingest.writer import write_items
from alma_graph.models import MemoryKind
from alma_graph.memory.validation import check_name

DOMAINS = {"markdown": "docs", "text": "docs", "code": "code"}
SOURCE_LABEL = "ingest:directory"
MAX_LABEL_CHARS = 200


def ingest_directory(alma: Any, path: str | os.PathLike, agent: str, *, domain: str | None = None,
                     chunk_chars: int = DEFAULT_CHUNK_CHARS, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                     show_progress: bool | None = None,
                     allowed_roots: Iterable[str | os.PathLike] | None = None) -> IngestReport:
    """Ingest the text, Markdown and code files under ``path`` (or that one file) into ``agent``'s memory.

    Skipped, with the reason in ``report.skipped``: hidden files and directories,
    ``.git``, ``node_modules``, virtual environments, binaries, unsupported types
    and files over ``max_file_bytes``, and with ``allowed_roots`` (or inside ``confined_to``) every
    file whose real path, after links, lies outside those folders. Ingesting the same files again
    adds nothing."""
    started = time.perf_counter()
    check_alma(alma)
    agent = check_name(agent)
    chunk_chars = check_chunk_chars(chunk_chars)
    max_file_bytes = check_bound(max_file_bytes, "max_file_bytes", 1, 1 << 34)
    root = check_path(path)
    domain, explicit = check_domain(alma, agent, domain, "docs")
    report = IngestReport(str(root), agent, "directory")
    project = alma.config.project_id
    base = root if root.is_dir() else root.parent
    items: list[Item] = []
    roots = allowed(allowed_roots)
    for file, skip in walk(root):
        report.files_seen += 1
        text = None
        if skip is None:
            real, skip = real_path(file, roots)
            if real is not None:
                text, skip = read_source(real, max_file_bytes)
        if skip:
            report.record_skip(str(file), skip)
            continue
        kind = file_kind(file) or "text"
        file_domain = domain if explicit and domain is not None else DOMAINS[kind]
        file_items = _items(project, agent, file_domain, file, file.relative_to(base).as_posix(), kind, text or "",
                            chunk_chars)
        report.files_ingested += 1
        report.formats[kind] += 1
        report.chunks += sum(1 for i in file_items if i.kind is MemoryKind.DOMAIN_KNOWLEDGE)
        items.extend(file_items)
    try:
        write_items(alma, items, report, show_progress)
    finally:  # also when interrupted: the report travels with IngestInterrupted
        report.elapsed_seconds = time.perf_counter() - started
    return report


def _items(project: str, agent: str, domain: str, file: Path, relative: str, kind: str, text: str,
           chunk_chars: int) -> list[Item]:
    resolved = str(file.resolve())
    mtime = datetime.fromtimestamp(file.stat().st_mtime, tz=timezone.utc)
    base = {"source_path": resolved, "relative_path": relative, "file_kind": kind, "mtime": mtime.isoformat()}
    items: list[Item] = []
    if kind == "code":
        sections = [Section([], chunk) for chunk in chunk_code(text, chunk_chars - len(relative) - 1)]
    else:
        classified = classify(text, "document", preferences=False)
        for extraction in classified.extractions:
            meta: dict[str, Any] = {**base, "rule": extraction.rule, "text": extraction.text}
            fields = extraction.fields
            if extraction.kind is MemoryKind.ANTI_PATTERN:
                items.append(anti_pattern_item(project, agent, domain, fields["pattern"], fields["why_bad"],
                                               fields.get("better_alternative"), resolved, resolved, mtime, meta))
            elif extraction.kind is MemoryKind.OUTCOME:
                items.append(outcome_item(project, agent, domain, fields["task"], fields["strategy_used"],
                                          fields["outcome"], fields.get("error_message"), resolved, resolved,
                                          mtime, meta))
        budget = chunk_chars - min(len(relative), MAX_LABEL_CHARS) - 1
        if kind == "markdown":
            # Headings can lengthen the label; keep room for up to 100 characters of them.
            sections = chunk_markdown(classified.remainder, max(200, budget - 100))
        else:
            sections = [Section([], chunk) for chunk in chunk_text(classified.remainder, budget)]
    for number, section in enumerate(sections):
        label = " › ".join([relative, *section.headings])
        if len(label) > MAX_LABEL_CHARS:
            label = label[:MAX_LABEL_CHARS - 1] + "…"
        fact = f"{label}\n{section.text}"
        if len(fact) > chunk_chars:  # a long heading trail: drop headings rather than exceed the bound
            fact = f"{relative[:MAX_LABEL_CHARS]}\n{section.text}"[:chunk_chars]
        meta = {**base, "chunk": number, "headings": section.headings}
        if kind != "code" and is_procedure(section.text):
            meta["procedure"] = True
        items.append(knowledge_item(project, agent, domain, fact, resolved, SOURCE_LABEL, resolved, mtime, meta, 1.0))
    return items
