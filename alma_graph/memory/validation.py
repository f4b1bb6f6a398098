"""Input checks shared by every write and read path.

They run before anything touches the store, so a bad argument raises a
``ValidationError`` that says what to fix and leaves the graph unchanged.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from alma_graph.errors import ValidationError

MAX_TEXT_CHARS = 20_000  # one memory; larger inputs belong in ingestion, chunked
MAX_QUERY_CHARS = 10_000
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
# Category / domain / task-type labels: words, spaces and a little punctuation.
LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][\w .:/\-]{0,99}$")


def check_name(value: Any, what: str = "agent name") -> str:
    """An identifier such as an agent or user id: letters, digits, ``_.-``, ≤ 64 chars."""
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {type(value).__name__}")
    if not NAME_PATTERN.match(value):
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise ValidationError(
            f"{what} {shown!r} is not allowed: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return value


def check_label(value: Any, what: str) -> str:
    """A category, domain or task type: a short label, no quotes or control characters."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what} must be a non-empty string")
    value = value.strip()
    if not LABEL_PATTERN.match(value):
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise ValidationError(
            f"{what} {shown!r} is not allowed: use up to 100 letters, digits, spaces or '_.:/-'"
        )
    return value


def check_text(value: Any, what: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Free text that becomes (part of) a memory: non-blank and bounded in size."""
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {type(value).__name__}")
    stripped = value.strip()
    if not stripped:
        raise ValidationError(f"{what} must not be empty or whitespace")
    if len(stripped) > max_chars:
        raise ValidationError(
            f"{what} is {len(stripped):,} characters; the limit is {max_chars:,}. "
            "Split it into smaller memories or use ingestion, which chunks long text"
        )
    if "\x00" in stripped:
        raise ValidationError(f"{what} contains a NUL character")
    return stripped


def check_optional_text(value: Any, what: str, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    if value is None:
        return None
    return check_text(value, what, max_chars)


def check_metadata(value: Any) -> dict:
    """Caller metadata is stored as JSON and returned unchanged, so it must be JSON-safe."""
    import json

    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"metadata must be a dict, got {type(value).__name__}")
    try:
        encoded = json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"metadata must be JSON-serialisable: {exc}") from None
    if len(encoded) > 100_000:
        raise ValidationError("metadata is larger than 100 KB once encoded as JSON")
    return value


def is_int(value: Any, low: int | None = None, high: int | None = None) -> TypeGuard[int]:
    """An integer (a bool is not one) within the bounds given."""
    return (isinstance(value, int) and not isinstance(value, bool)
            and (low is None or value >= low) and (high is None or value <= high))


def check_top_k(value: Any) -> int:
    if not is_int(value, 1, 1000):
        raise ValidationError(f"top_k must be an integer between 1 and 1000, got {value!r}")
    return value
