"""``IngestReport``: what one ingestion call read, wrote, skipped and could not do."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from alma_graph.models import MemoryKind

KINDS = [kind.value for kind in MemoryKind if kind is not MemoryKind.HEURISTIC]


@dataclass
class IngestReport:
    """Counts per memory kind and per file, plus timing.

    - ``added``: memories written, per kind (heuristics that ``learn`` induces are
      counted in ``induced``, not here).
    - ``duplicates``: items skipped because the store already held them — a second
      ingestion of the same files shows everything here and nothing in ``added``.
    - ``duplicates_in_input``: items skipped because the input itself said the same
      thing earlier (a paragraph repeated in a file, a message repeated across chats);
      only the first is written, so retrieval never returns the same text twice.
    - ``scope_refused``: items the agent's can_learn / cannot_learn refused, per
      kind, with the reasons in ``scope_reasons``; the rest were still written.
    - ``errors``: file → why it could not be ingested (malformed export, unknown
      format); ``item_errors``: items ALMA refused as invalid.
    - ``skipped``: file → why it was not read (binary, too large, hidden, type).
    """

    path: str
    agent: str
    kind: str  # "directory" or "conversations"
    added: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    duplicates_in_input: Counter = field(default_factory=Counter)
    scope_refused: Counter = field(default_factory=Counter)
    scope_reasons: list[str] = field(default_factory=list)
    induced: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    item_errors: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    files_seen: int = 0
    files_ingested: int = 0
    formats: Counter = field(default_factory=Counter)
    conversations: int = 0
    turns: int = 0
    chunks: int = 0
    elapsed_seconds: float = 0.0
    memory_ids: list[str] = field(default_factory=list)
    interrupted: bool = False  # Ctrl-C: the batches committed before it are kept

    @property
    def total_added(self) -> int:
        return sum(self.added.values())

    @property
    def total_duplicates(self) -> int:
        return sum(self.duplicates.values())

    @property
    def memories_per_second(self) -> float:
        return self.total_added / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        """True when every file was read and every item was written or already present."""
        return not self.errors and not self.item_errors and not self.scope_refused and not self.interrupted

    def record_skip(self, path: str, reason: str) -> None:
        self.skipped[path] = reason

    def record_error(self, path: str, reason: str) -> None:
        self.errors[path] = reason

    def record_scope(self, kind: str, reason: str, count: int = 1) -> None:
        self.scope_refused[kind] += count
        if reason not in self.scope_reasons:
            self.scope_reasons.append(reason)

    def as_dict(self) -> dict:
        return {
            "path": self.path, "agent": self.agent, "kind": self.kind,
            "added": {k: self.added.get(k, 0) for k in KINDS}, "induced_heuristics": self.induced,
            "duplicates": dict(self.duplicates), "duplicates_in_input": dict(self.duplicates_in_input),
            "scope_refused": dict(self.scope_refused),
            "scope_reasons": list(self.scope_reasons), "errors": dict(self.errors), "item_errors": list(self.item_errors),
            "skipped": dict(self.skipped), "files_seen": self.files_seen, "files_ingested": self.files_ingested,
            "formats": dict(self.formats), "conversations": self.conversations, "turns": self.turns,
            "chunks": self.chunks, "elapsed_seconds": round(self.elapsed_seconds, 3),
            "memories_per_second": round(self.memories_per_second, 1), "interrupted": self.interrupted,
        }

    def summary(self) -> str:
        lines = [f"Ingested {self.kind} {self.path} for agent {self.agent!r} in {self.elapsed_seconds:.1f}s "
                 f"({self.memories_per_second:.1f} memories/s)"]
        read = f"  files: {self.files_seen} seen, {self.files_ingested} ingested, {len(self.skipped)} skipped, {len(self.errors)} failed"
        if self.formats:
            read += " — " + ", ".join(f"{name}: {n}" for name, n in sorted(self.formats.items()))
        lines.append(read)
        if self.kind == "conversations":
            lines.append(f"  conversations: {self.conversations}, turns: {self.turns}")
        lines.append("  added: " + ", ".join(f"{k} {self.added.get(k, 0)}" for k in KINDS)
                     + f" (total {self.total_added}" + (f", plus {self.induced} induced heuristics)" if self.induced else ")"))
        lines.append(f"  already present (skipped): {self.total_duplicates}"
                     + (" — " + ", ".join(f"{k} {n}" for k, n in sorted(self.duplicates.items())) if self.duplicates else ""))
        if self.duplicates_in_input:
            lines.append(f"  duplicate within the input (written once): {sum(self.duplicates_in_input.values())} — "
                         + ", ".join(f"{k} {n}" for k, n in sorted(self.duplicates_in_input.items())))
        if self.scope_refused:
            lines.append("  refused by scope: " + ", ".join(f"{k} {n}" for k, n in sorted(self.scope_refused.items())))
            lines.extend(f"    - {reason}" for reason in self.scope_reasons[:5])
        for path, reason in list(self.errors.items())[:20]:
            lines.append(f"  error: {path}: {reason}")
        if len(self.errors) > 20:
            lines.append(f"  ... and {len(self.errors) - 20} more errors")
        for message in self.item_errors[:10]:
            lines.append(f"  item error: {message}")
        reasons = Counter(_reason_kind(r) for r in self.skipped.values())
        if reasons:
            lines.append("  skipped: " + ", ".join(f"{reason} {n}" for reason, n in reasons.most_common()))
        if self.interrupted:
            lines.append(f"  interrupted (Ctrl-C): the {self.total_added} memories written before it are kept; "
                         "run the same command again to continue (written items are skipped)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _reason_kind(reason: str) -> str:
    return reason.split(":")[0].split(" (")[0]
