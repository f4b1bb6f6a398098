"""Bounded chunks that break between paragraphs, then between sentences, and
mid-sentence only when one sentence alone is longer than the bound.

Every chunk is at most ``max_chars`` long (and so within the validation limit
of one memory); cutting keeps the original text between the breaks, so lists,
code and line breaks survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from alma_graph.memory.validation import MAX_TEXT_CHARS

DEFAULT_CHUNK_CHARS = 1200  # ~ the 256 word pieces MiniLM embeds; longer text is truncated by the model
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# A sentence ends at . ! ? or … (and any closing quote or bracket) before whitespace and a word that
# does not start in lower case ("e.g. this" and "Y … use Z" go on).
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s+(?![a-z]))")
_ABBREVIATIONS = {"e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "no", "fig", "cf", "approx", "incl"}


def check_chunk_chars(value: int) -> int:
    from alma_graph.memory.validation import check_number

    return check_number(value, "chunk_chars", 200, MAX_TEXT_CHARS, integer=True)


def sentences(text: str) -> list[str]:
    """The sentences (and separate lines) of a text, stripped, in order."""
    return [text[a:b].strip() for a, b in _sentence_spans(text) if text[a:b].strip()]


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans that end at a sentence end or a line break; together they cover the text."""
    cuts = {0, len(text)}
    # A line break ends a sentence only before a blank line, a list item, a quote, a table row or a
    # heading; inside a paragraph it is wrapping (Markdown hard-wraps prose).
    for match in re.finditer(r"\n(?=\s*(?:$|\n|[-*+>|#]\s|\d+[.)]\s|```|~~~))", text):
        cuts.add(match.end())
    for match in _SENTENCE_END.finditer(text):
        word = re.search(r"([A-Za-z.]+)[.!?…][\"')\]]*$", text[max(0, match.start() - 12):match.end()])
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        if re.match(r"\d", text[match.end():match.end() + 2].strip()[:1] or "x") and text[match.start() - 1:match.start()].isdigit():
            continue  # "version 1.2 3" style numbers
        if re.fullmatch(r"\s*\d{1,3}", text[text.rfind("\n", 0, match.start()) + 1:match.start()]):
            continue  # "1. " starting a numbered list item
        cuts.add(match.end())
    ordered = sorted(cuts)
    return [(a, b) for a, b in zip(ordered, ordered[1:]) if b > a]


def _hard_split(text: str, max_chars: int) -> list[str]:
    """A single over-long sentence: cut at the last whitespace before the bound (or at the bound)."""
    pieces = []
    rest = text.strip()
    while len(rest) > max_chars:
        cut = rest.rfind(" ", 0, max_chars + 1)
        cut = cut if cut > max_chars // 2 else max_chars
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def _split_long(text: str, max_chars: int) -> list[str]:
    """A paragraph longer than the bound: whole sentences packed up to it."""
    chunks: list[str] = []
    start = None
    end = None
    for a, b in _sentence_spans(text):
        if start is not None and len(text[start:b].strip()) <= max_chars:
            end = b
            continue
        if start is not None:
            chunks.append(text[start:end].strip())
        if len(text[a:b].strip()) > max_chars:
            chunks.extend(_hard_split(text[a:b], max_chars))
            start = end = None
        else:
            start, end = a, b
    if start is not None:
        chunks.append(text[start:end].strip())
    return [c for c in chunks if c]


def paragraphs(text: str) -> list[str]:
    """Blocks separated by blank lines; a fenced code block stays one block."""
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return [b.strip("\n") for b in blocks if b.strip()]


def pack(units: Iterable[str], max_chars: int, separator: str = "\n\n") -> list[str]:
    """Join consecutive units while the result stays within max_chars; split units that alone exceed it."""
    chunks: list[str] = []
    current = ""
    for unit in units:
        unit = unit.strip("\n")
        if not unit.strip():
            continue
        pieces = [unit] if len(unit) <= max_chars else _split_long(unit, max_chars)
        for piece in pieces:
            if current and len(current) + len(separator) + len(piece) <= max_chars:
                current += separator + piece
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def chunk_text(text: str, max_chars: int = DEFAULT_CHUNK_CHARS) -> list[str]:
    """Prose: paragraphs packed up to the bound."""
    return pack(paragraphs(text), max_chars)


@dataclass
class Section:
    headings: list[str]
    text: str


def chunk_markdown(text: str, max_chars: int = DEFAULT_CHUNK_CHARS) -> list[Section]:
    """Markdown: paragraphs packed up to the bound, each chunk labelled with the headings above it.
    A heading never ends a chunk: it starts the next one when the current one is non-empty and the
    section would not fit."""
    trail: list[tuple[int, str]] = []
    sections: list[Section] = []
    units: list[tuple[list[str], str]] = []
    pending = ""  # a heading on its own line travels with the block after it
    for block in paragraphs(text):
        first = block.splitlines()[0]
        heading = _HEADING.match(first) if not _FENCE.match(first) else None
        if heading:
            level = len(heading.group(1))
            trail = [(lvl, title) for lvl, title in trail if lvl < level] + [(level, heading.group(2))]
            if len(block.splitlines()) == 1:
                pending = (pending + "\n\n" + block) if pending else block
                continue
        units.append(([title for _, title in trail], (pending + "\n\n" + block) if pending else block))
        pending = ""
    if pending:
        units.append(([title for _, title in trail], pending))
    current_headings: list[str] = []
    current = ""
    for headings, block in units:
        pieces = [block] if len(block) <= max_chars else _split_long(block, max_chars)
        for piece in pieces:
            if current and len(current) + 2 + len(piece) <= max_chars and not _HEADING.match(piece.splitlines()[0]):
                current += "\n\n" + piece
                continue
            if current and len(current) + 2 + len(piece) <= max_chars // 2:
                current += "\n\n" + piece  # a heading joins a short chunk rather than leave a fragment
                continue
            if current:
                sections.append(Section(current_headings, current))
            current, current_headings = piece, headings
    if current:
        sections.append(Section(current_headings, current))
    return sections


def chunk_code(text: str, max_chars: int = DEFAULT_CHUNK_CHARS) -> list[str]:
    """Source code: top-level blocks (a blank line followed by an unindented line starts one)
    packed up to the bound; an over-long block is cut between lines."""
    blocks: list[list[str]] = [[]]
    previous_blank = False
    for line in text.splitlines():
        starts_block = previous_blank and line.strip() and not line[:1].isspace()
        if starts_block and blocks[-1]:
            blocks.append([])
        blocks[-1].append(line)
        previous_blank = not line.strip()
    units = []
    for block in blocks:
        body = "\n".join(block).strip("\n")
        if len(body) <= max_chars:
            units.append(body)
        else:
            units.extend(pack(block, max_chars, "\n"))
    return pack(units, max_chars, "\n\n")
