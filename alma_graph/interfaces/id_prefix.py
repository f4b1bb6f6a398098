"""Memory ids by prefix, like git: tables print 8 characters, and those are enough to name one.

An id given in full always names itself. A shorter one (at least ``MIN_PREFIX`` characters)
must start exactly one memory id of the project: none is a ``MemoryNotFoundError``, several
a ``ValidationError`` that lists the candidates so the user can give more characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alma_graph.errors import MemoryNotFoundError, ValidationError

MIN_PREFIX = 4
SHOWN_CANDIDATES = 10


def resolve_memory_ids(store: Any, given: Iterable[str]) -> list[str]:
    """The full ids the given ids or prefixes name, in the order given, without repeats."""
    given = [g.strip() for g in given]
    for value in given:
        if len(value) < MIN_PREFIX:
            raise ValidationError(f"memory id {value!r} is too short: give at least {MIN_PREFIX} characters")
    rows = {r["id"]: r for r in store.find_memories()}
    resolved: list[str] = []
    for value in given:
        if value in rows:
            matches = [value]
        else:
            matches = sorted(i for i in rows if i.startswith(value.lower()) or i.startswith(value))
        if not matches:
            raise MemoryNotFoundError(f"no memory id starts with {value!r} in project {store.project_id!r}")
        if len(matches) > 1:
            listed = "\n".join(f"  {i}  {rows[i]['kind']}  {_short(rows[i]['text'])}" for i in matches[:SHOWN_CANDIDATES])
            more = f"\n  ... and {len(matches) - SHOWN_CANDIDATES} more" if len(matches) > SHOWN_CANDIDATES else ""
            raise ValidationError(f"memory id prefix {value!r} is ambiguous: {len(matches)} memories match; "
                                  f"give more characters:\n{listed}{more}")
        if matches[0] not in resolved:
            resolved.append(matches[0])
    return resolved


def _short(text: str | None, width: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"
