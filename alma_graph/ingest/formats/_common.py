"""Helpers shared by the export parsers: reading JSON / JSONL and parsing timestamps."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from alma_graph.ingest.errors import MalformedFileError


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def load_json(path: Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedFileError(path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; any line that is not a JSON object is an error."""
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MalformedFileError(path, f"line {number} is not valid JSON: {exc.msg}") from None
        if not isinstance(value, dict):
            raise MalformedFileError(path, f"line {number} is a JSON {type(value).__name__}, expected an object")
        yield number, value


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 strings ('...Z' included) and Unix epoch seconds (number or numeric string) → aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.fromtimestamp(float(text), tz=timezone.utc)
        except ValueError:
            pass
        except (OverflowError, OSError):
            return None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
    return None


def block_text(content: Any, text_types: tuple[str, ...] = ("text",)) -> str:
    """The text of a message content that is a string or a list of typed blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") in text_types and isinstance(block.get("text"), str):
                parts.append(block["text"])
        return "\n\n".join(p for p in parts if p.strip())
    return ""


def expect(condition: object, path: Path, reason: str) -> None:
    if not condition:
        raise MalformedFileError(path, reason)
