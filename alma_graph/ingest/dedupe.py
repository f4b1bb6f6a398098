"""Which of a run's items the store already holds.

Domain knowledge is written with its ``ingest_id`` as the memory id, so one
``get_memories(ids)`` answers. ``add_preference``, ``add_anti_pattern`` and
``learn`` take no id, so those memories carry ``ingest_id`` in their metadata
(written in the same transaction as the memory, so a crash cannot record one
without the other); the check reads the owner's memories of that kind once per
run. A preference whose user, category and text (case and spacing aside) match
one already stored counts as present too, however that one was added. Archived memories count as present: re-ingesting does not resurrect what
was forgotten.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Iterable

from alma_graph.ingest.items import Item
from alma_graph.models import MemoryKind

_ID_BATCH = 500


def existing_ids(alma: Any, items: Iterable[Item]) -> set[str]:
    """The ids of the items the store already holds."""
    items = list(items)
    found: set[str] = set()
    knowledge = [i.id for i in items if i.kind is MemoryKind.DOMAIN_KNOWLEDGE]
    for start in range(0, len(knowledge), _ID_BATCH):
        found.update(row["id"] for row in alma.store.get_memories(knowledge[start:start + _ID_BATCH]))
    owners: dict[MemoryKind, set[str]] = defaultdict(set)
    for item in items:
        if item.kind is not MemoryKind.DOMAIN_KNOWLEDGE:
            owners[item.kind].add(item.owner)
    stated: set[tuple[str, str, str]] = set()  # (user, category, text) of preferences however they were added
    for kind, names in owners.items():
        for name in names:
            if kind is MemoryKind.PREFERENCE:
                rows = alma.store.find_memories(kind=kind.value, user_id=name)
                stated.update((name, row["category"], _norm(row["preference"] or row["text"])) for row in rows)
            else:
                rows = alma.store.find_memories(kind=kind.value, agents=[name])
            found.update(_ingest_ids(rows))
    # A preference the user already stated (say through add_preference) is not stated again.
    found.update(i.id for i in items if i.kind is MemoryKind.PREFERENCE
                 and (i.owner, i.call["category"], _norm(i.call["preference"])) in stated)
    return found


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _ingest_ids(rows: list[dict[str, Any]]) -> Iterable[str]:
    for row in rows:
        try:
            metadata = json.loads(row.get("metadata") or "{}")
        except (TypeError, ValueError):
            continue
        if isinstance(metadata, dict) and isinstance(metadata.get("ingest_id"), str):
            yield metadata["ingest_id"]
