"""JSON-able views of alma_graph's results, for the MCP server, the CLI and webhooks.

Memories become plain dicts (``dataclasses.asdict``-like) with datetimes as ISO
8601 strings, enums as their values, and the kind's ``text`` property included;
a ``MemorySlice`` also carries its rendered ``prompt``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import PurePath
from typing import Any

from alma_graph.models import SLICE_FIELDS, MemorySlice

SLICE_KINDS = tuple(SLICE_FIELDS.values())


def to_jsonable(value: Any) -> Any:
    """Recursively convert dataclasses, datetimes, enums, paths, numpy scalars and sets."""
    if isinstance(value, Enum):  # before str: MemoryKind is a str subclass
        return to_jsonable(value.value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return memory_to_dict(value) if hasattr(value, "kind") and hasattr(value, "id") else {
            f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if hasattr(value, "model_dump"):  # pydantic models (config objects)
        return to_jsonable(value.model_dump())
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return to_jsonable(value.item())
    return str(value)


def memory_to_dict(memory: Any) -> dict[str, Any]:
    """One memory's fields, plus ``text`` (and ``success_rate`` for a heuristic)."""
    data = {f.name: to_jsonable(getattr(memory, f.name)) for f in dataclasses.fields(memory)}
    for extra in ("text", "success_rate"):
        if hasattr(type(memory), extra):
            data[extra] = to_jsonable(getattr(memory, extra))
    return data


def slice_to_dict(memories: MemorySlice, max_tokens: int = 2000) -> dict[str, Any]:
    """A retrieve result: the memories per kind, timing and the rendered prompt."""
    return {
        "query": memories.query,
        "agent": memories.agent,
        "total_items": memories.total_items,
        "retrieval_time_ms": round(memories.retrieval_time_ms, 3),
        "load_time_ms": round(memories.load_time_ms, 3),
        **{kind: [memory_to_dict(m) for m in getattr(memories, kind)] for kind in SLICE_KINDS},
        "prompt": memories.to_prompt(max_tokens=max_tokens),
    }
