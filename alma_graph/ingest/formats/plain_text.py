"""Plain-text transcripts and notes.

Speaker-prefixed lines ("Dana: can we ship Friday?"), optionally after a
bracketed timestamp ("[2024-03-04 10:15] Dana: ..."), make a dialogue when at
least two different speakers appear and one of them speaks twice (or every line
has a speaker); lines without a prefix continue the
previous turn. Otherwise the text is read as notes: one turn per paragraph,
spoken by "user". Speakers named user / human / me are the user; assistant / AI
/ Claude / ChatGPT / bot and the like are the assistant; anyone else is a
person (role user) under their own name.
"""

from __future__ import annotations

import re
from pathlib import Path

from alma_graph.ingest.formats._common import parse_time, read_text
from alma_graph.ingest.turns import ASSISTANT, USER, Conversation, Turn

NAME = "text"
_LINE = re.compile(
    r"^\s*(?:\[(?P<ts>[^\]]{4,40})\]\s*)?(?P<speaker>[A-Za-z][A-Za-z0-9_.'\-]*(?: [A-Za-z][A-Za-z0-9_.'\-]*){0,3})"
    r"\s*:\s+(?P<text>\S.*)$"
)
_ASSISTANTS = {"assistant", "ai", "bot", "claude", "chatgpt", "gpt", "gpt-4", "gpt-4o", "model", "codex",
               "copilot", "gemini", "llm", "agent", "a"}
_USERS = {"user", "human", "me", "q", "you"}
# Labels that look like speakers but are not ("Note: ...", "Error: ...").
_NOT_SPEAKERS = {"note", "notes", "warning", "example", "todo", "tip", "step", "http", "https", "error", "info",
                 "debug", "summary", "title", "date", "subject", "from", "to", "cc", "re", "fix", "see", "usage",
                 "output", "input", "result", "results", "important", "caution", "update", "edit", "ps"}


def parse(path: Path) -> list[Conversation]:
    text = read_text(path)
    turns = _dialogue(text) or _paragraphs(text)
    return [Conversation(NAME, str(path), str(path.resolve()), path.stem, turns,
                         turns[0].timestamp if turns else None)]


def _speaker_of(line: str) -> re.Match | None:
    match = _LINE.match(line)
    if match and match.group("speaker").lower() not in _NOT_SPEAKERS:
        return match
    return None


def _dialogue(text: str) -> list[Turn]:
    lines = text.splitlines()
    matches = [_speaker_of(line) for line in lines]
    names = [m.group("speaker").lower() for m in matches if m]
    speakers = set(names)
    every_line = all(m for line, m in zip(lines, matches) if line.strip())
    # A dialogue has two or more speakers, and either someone speaks twice or every line has a speaker
    # ("Idea: ..." / "Second: ..." notes have neither).
    if len(speakers) < 2 or (len(names) == len(speakers) and not every_line):
        return []
    turns: list[Turn] = []
    for line, match in zip(lines, matches):
        if match:
            name = match.group("speaker")
            role = ASSISTANT if name.lower() in _ASSISTANTS else USER
            speaker = name.lower() if name.lower() in _USERS | _ASSISTANTS else name
            turns.append(Turn(role, speaker, match.group("text").strip(), parse_time(match.group("ts"))))
        elif turns:
            turns[-1].text += "\n" + line
        elif line.strip():
            turns.append(Turn(USER, "user", line.strip()))
    for turn in turns:
        turn.text = turn.text.strip()
    return [t for t in turns if t.text]


def _paragraphs(text: str) -> list[Turn]:
    return [Turn(USER, "user", block.strip()) for block in re.split(r"\n\s*\n", text) if block.strip()]
