"""Input checks shared by every public method (Python, MCP, CLI).

They run before anything touches the store, so a bad argument raises a
``ValidationError`` that says what to fix and leaves the graph unchanged.
Error messages show arguments through ``shown()``, which is bounded and never
recurses: a 5,000-deep dict or a 2 MB string must not turn a typed error into a
``RecursionError`` or a slow ``repr``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from alma_graph.errors import ValidationError

MAX_TEXT_CHARS = 20_000  # one memory; larger inputs belong in ingestion, chunked
MAX_QUERY_CHARS = 10_000
MAX_IDS = 10_000  # ids in one call (forget, restore, record_usage, only_ids)
MAX_METADATA_BYTES = 100_000
MAX_NESTING = 64  # JSON depth of metadata and states
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
# Category / domain / task-type labels: words, spaces and a little punctuation.
LABEL_PATTERN = re.compile(r"[A-Za-z0-9][\w .:/\-]{0,99}")


def shown(value: Any, limit: int = 60) -> str:
    """A short, safe description of an argument for an error message (never an unbounded repr)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        digits = value.bit_length() * 0.30103
        return repr(value) if digits < 30 else f"an integer of about {int(digits) + 1} digits"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "..."
        return ascii(text) if not is_valid_unicode(text) else repr(text)
    return f"a {type(value).__name__}"


def is_valid_unicode(text: str) -> bool:
    """False for lone surrogates (valid JSON escapes such as "\\ud800", but not text)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {shown(value)}")
    if not is_valid_unicode(value):
        raise ValidationError(f"{what} contains a lone surrogate (an unpaired \\ud800-\\udfff escape); "
                              "send valid Unicode text")
    return value


def check_name(value: Any, what: str = "agent name") -> str:
    """An identifier such as an agent, user, memory, session or workflow id:
    1-64 letters, digits, ``_.-``, the whole string (``fullmatch``: no trailing newline)."""
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise ValidationError(
            f"{what} {shown(value)} is not allowed: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return value


def check_optional_name(value: Any, what: str) -> str | None:
    return None if value is None else check_name(value, what)


def check_label(value: Any, what: str) -> str:
    """A category, domain or task type: a short label, no quotes or control characters."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what} must be a non-empty string, got {shown(value)}")
    value = value.strip()
    if not LABEL_PATTERN.fullmatch(value):
        raise ValidationError(
            f"{what} {shown(value)} is not allowed: use up to 100 letters, digits, spaces or '_.:/-'"
        )
    return value


def check_text(value: Any, what: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Free text that becomes (part of) a memory: valid Unicode, non-blank and bounded in size."""
    if isinstance(value, str) and len(value) > 4 * max_chars:  # refuse before scanning megabytes
        raise ValidationError(f"{what} is {len(value):,} characters; the limit is {max_chars:,}. "
                              "Split it into smaller memories or use ingestion, which chunks long text")
    stripped = _check_str(value, what).strip()
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


def check_number(value: Any, what: str, low: float | None = None, high: float | None = None,
                 integer: bool = False) -> Any:
    """A finite number (an int with ``integer``) within [low, high]; bools are not numbers."""
    kinds = (int,) if integer else (int, float)
    ok = not isinstance(value, bool) and isinstance(value, kinds)
    if ok and isinstance(value, float):
        ok = math.isfinite(value)
    if ok:
        ok = (low is None or value >= low) and (high is None or value <= high)
    if not ok:
        bounds = (f" from {low} to {high}" if low is not None and high is not None
                  else f" >= {low}" if low is not None else f" <= {high}" if high is not None else "")
        raise ValidationError(f"{what} must be {'an integer' if integer else 'a finite number'}{bounds}, "
                              f"got {shown(value)}")
    return value


def check_optional_number(value: Any, what: str, low: float | None = None, high: float | None = None,
                          integer: bool = False) -> Any:
    return None if value is None else check_number(value, what, low, high, integer)


def check_bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{what} must be True or False, got {shown(value)}")
    return value


def check_choice(value: Any, choices: Iterable[str], what: str) -> str:
    """One of a fixed set of names (an enum member counts by its value)."""
    value = getattr(value, "value", value)
    options = sorted(choices)
    if not isinstance(value, str) or value not in options:
        raise ValidationError(f"{what} must be one of {options}, got {shown(value)}")
    return value


def check_ids(value: Any, what: str = "memory_ids", max_items: int = MAX_IDS) -> list[str]:
    """A list (or other iterable, not a string) of ids, each a well-formed name."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(f"{what} must be a list of ids, got {shown(value)}")
    ids = []
    for item in value:
        ids.append(check_name(item, f"each of {what}"))
        if len(ids) > max_items:
            raise ValidationError(f"{what} has more than {max_items:,} ids; pass fewer at a time")
    return ids


def check_mapping(value: Any, what: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise ValidationError(f"{what} must be a mapping (a dict), got {shown(value)}")
    return value


def check_json(value: Any, what: str, max_bytes: int, sort_keys: bool = False) -> str:
    """``value`` as JSON: no NaN/inf, valid Unicode, bounded depth and size (``sort_keys``: canonical)."""
    _check_depth(value, what)
    try:
        encoded = json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        size = len(encoded.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValidationError(f"{what} contains a lone surrogate (an unpaired \\ud800-\\udfff escape)") from None
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{what} must be JSON-serialisable (strings as keys, no NaN or infinity): "
                              f"{str(exc)[:200]}") from None
    if size > max_bytes:
        raise ValidationError(f"{what} is {size:,} bytes as JSON; the limit is {max_bytes:,}")
    return encoded


def _check_depth(value: Any, what: str) -> None:
    """Iterative, so a 5,000-deep structure is refused instead of overflowing the stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ValidationError(f"{what} is nested more than {MAX_NESTING} levels deep")
        if isinstance(item, Mapping):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend((v, depth + 1) for v in item)


def check_metadata(value: Any) -> dict:
    """Caller metadata is stored as JSON and returned unchanged, so it must be JSON-safe."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"metadata must be a dict, got {shown(value)}")
    check_json(value, "metadata", MAX_METADATA_BYTES)
    return value


MAX_AGE_DAYS = 100_000  # ~270 years: any older cutoff would fall before year 1 for some clocks


def check_days(value: Any, what: str = "older_than_days") -> float:
    """An age in days: finite, >= 0 (a negative age would select everything) and bounded."""
    return check_number(value, what, 0, MAX_AGE_DAYS)


def is_int(value: Any, low: int | None = None, high: int | None = None) -> TypeGuard[int]:
    """An integer (a bool is not one) within the bounds given."""
    return (isinstance(value, int) and not isinstance(value, bool)
            and (low is None or value >= low) and (high is None or value <= high))


def check_top_k(value: Any) -> int:
    return check_number(value, "top_k", 1, 1000, integer=True)
