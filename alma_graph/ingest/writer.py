"""Writing a run's items through ALMA's public methods, which validate, scope-check, embed and store.

Domain knowledge goes through ``add_knowledge_batch`` (embedded in batches, one
transaction per batch, each item with its deterministic id); preferences through
``add_preference``, anti-patterns through ``add_anti_pattern``, outcomes through
``learn`` (which may also induce heuristics).

Scope decision: a ``ScopeViolationError`` is per item and not fatal — the item
is counted in ``IngestReport.scope_refused`` with ALMA's reason and the rest of
the run goes on. (A caller who passes an explicit ``domain=`` the agent may not
learn gets the error up front instead, before anything is read.) A batch that
ALMA refuses as a whole is retried item by item so one bad item cannot sink its
neighbours. A storage or embedding failure stops the run: what was written
stays, and running the same ingestion again continues where it stopped, since
everything already stored is skipped.
"""

from __future__ import annotations

import sys
from typing import Any

from alma_graph.errors import ScopeViolationError, ValidationError
from alma_graph.ingest.errors import IngestInterrupted
from alma_graph.ingest.dedupe import existing_ids
from alma_graph.ingest.items import Item
from alma_graph.ingest.report import IngestReport
from alma_graph.indexes.model_loading import load_models
from alma_graph.models import MemoryKind

BATCH_SIZE = 128
PROGRESS_THRESHOLD = 50  # items; below it a bar is noise


def progress_enabled(show_progress: bool | None, total: int) -> bool:
    if show_progress is not None:
        return bool(show_progress)
    return total > PROGRESS_THRESHOLD and sys.stderr.isatty()


class _Bar:
    def __init__(self, enabled: bool, total: int, desc: str):
        self._bar = None
        if enabled:
            from tqdm import tqdm

            # The estimate is spelt out: a 50,000-message export takes a while and should say how long.
            self._bar = tqdm(total=total, desc=desc, unit="mem", file=sys.stderr, leave=False, bar_format=(
                "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed} elapsed, ETA {remaining}, "
                "{rate_fmt}]"))

    def stage(self, desc: str) -> None:
        """Name what the run is doing while the count cannot move (e.g. loading the models)."""
        if self._bar is not None:
            self._bar.set_description(desc)
            self._bar.refresh()

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# Kinds whose same words from two places are one memory; an outcome is an event, so two
# identical outcomes from two conversations are two pieces of evidence.
_SAME_TEXT_IS_SAME_MEMORY = (MemoryKind.DOMAIN_KNOWLEDGE, MemoryKind.PREFERENCE, MemoryKind.ANTI_PATTERN)


def _said(item: Item) -> str:
    """What a knowledge chunk says, without where it sits: a file chunk's first line is its
    "file › heading" label, and Markdown heading lines only repeat that label."""
    fact = item.call["fact"]
    if "headings" in item.metadata:  # a chunk of a file
        fact = "\n".join(line for line in fact.split("\n")[1:] if not line.lstrip().startswith("#"))
    return fact


def _content_key(item: Item) -> tuple | None:
    if item.kind not in _SAME_TEXT_IS_SAME_MEMORY:
        return None
    if item.kind is MemoryKind.DOMAIN_KNOWLEDGE:
        return (item.kind, item.owner, " ".join(_said(item).lower().split()))
    fields = {MemoryKind.DOMAIN_KNOWLEDGE: ("fact",), MemoryKind.PREFERENCE: ("category", "preference"),
              MemoryKind.ANTI_PATTERN: ("pattern", "why_bad", "better_alternative")}[item.kind]
    return (item.kind, item.owner, *(" ".join(str(item.call.get(f) or "").lower().split()) for f in fields))


def write_items(alma: Any, items: list[Item], report: IngestReport, show_progress: bool | None) -> None:
    unique: dict[str, Item] = {}
    said: set[tuple] = set()
    for item in items:
        key = _content_key(item)
        if item.id in unique or (key is not None and key in said):
            report.duplicates_in_input[item.kind.value] += 1
        else:
            unique[item.id] = item
            if key is not None:
                said.add(key)
    present = existing_ids(alma, unique.values())
    todo = []
    for item in unique.values():
        if item.id in present:
            report.duplicates[item.kind.value] += 1
        else:
            todo.append(item)
    bar = _Bar(progress_enabled(show_progress, len(todo)), len(todo), "loading models")
    try:
        if todo:
            load_models(spacy=alma.config.extraction.enabled)  # seconds on first use: a stage of its own
        bar.stage(f"ingest {report.kind}")
        _write_knowledge(alma, [i for i in todo if i.kind is MemoryKind.DOMAIN_KNOWLEDGE], report, bar)
        for item in todo:
            if item.kind is not MemoryKind.DOMAIN_KNOWLEDGE:
                _write_one(alma, item, report)
                bar.update(1)
    except KeyboardInterrupt:
        # The batch in flight rolled back with its transaction; the committed ones stay.
        report.interrupted = True
        _resync_indexes(alma)
        raise IngestInterrupted(report) from None
    finally:
        bar.close()


def _resync_indexes(alma: Any) -> None:
    """Ctrl-C between a commit and its index update leaves the indexes behind the graph."""
    try:
        if alma.context.indexes.generation != alma.store.generation():
            alma.reindex()
    except Exception:  # noqa: BLE001 - best effort: a stale cache is rebuilt on the next open anyway
        pass


def _write_knowledge(alma: Any, items: list[Item], report: IngestReport, bar: _Bar) -> None:
    refused: dict[tuple[str, str], str] = {}
    for start in range(0, len(items), BATCH_SIZE):
        batch = []
        for item in items[start:start + BATCH_SIZE]:
            group = (item.call["agent"], item.call["domain"])
            if group in refused:  # the same agent and domain: ALMA would refuse it for the same reason
                report.record_scope(item.kind.value, refused[group])
            else:
                batch.append(item)
        if not batch:
            continue
        try:
            written = alma.add_knowledge_batch([i.call for i in batch])
        except ScopeViolationError:
            # One refused item fails its batch: find which groups are refused, then write the others.
            written = []
            for group in {(i.call["agent"], i.call["domain"]) for i in batch}:
                members = [i for i in batch if (i.call["agent"], i.call["domain"]) == group]
                try:
                    written.extend(alma.add_knowledge_batch([i.call for i in members]))
                except ScopeViolationError as group_exc:
                    refused[group] = str(group_exc)
                    report.record_scope(MemoryKind.DOMAIN_KNOWLEDGE.value, str(group_exc), len(members))
                except ValidationError:
                    written.extend(_one_by_one(alma, members, report))
        except ValidationError:
            written = _one_by_one(alma, batch, report)
        report.added[MemoryKind.DOMAIN_KNOWLEDGE.value] += len(written)
        report.memory_ids.extend(m.id for m in written)
        bar.update(len(batch))


def _one_by_one(alma: Any, items: list[Item], report: IngestReport) -> list:
    written = []
    for item in items:
        try:
            written.extend(alma.add_knowledge_batch([item.call]))
        except ScopeViolationError as exc:
            report.record_scope(item.kind.value, str(exc))
        except ValidationError as exc:
            report.item_errors.append(f"{item.source}: {item.kind.value}: {exc}")
    return written


def _write_one(alma: Any, item: Item, report: IngestReport) -> None:
    call = item.call
    try:
        if item.kind is MemoryKind.PREFERENCE:
            memory = alma.add_preference(**call)
        elif item.kind is MemoryKind.ANTI_PATTERN:
            memory = alma.add_anti_pattern(**call)
        elif item.kind is MemoryKind.OUTCOME:
            before = _heuristic_count(alma, call["agent"])
            memory = alma.learn(**call)
            report.induced += max(0, _heuristic_count(alma, call["agent"]) - before)
        else:  # pragma: no cover - knowledge goes through batches
            raise AssertionError(item.kind)
    except ScopeViolationError as exc:
        report.record_scope(item.kind.value, str(exc))
        return
    except ValidationError as exc:
        report.item_errors.append(f"{item.source}: {item.kind.value}: {exc}")
        return
    report.added[item.kind.value] += 1
    report.memory_ids.append(memory.id)


def _heuristic_count(alma: Any, agent: str) -> int:
    return len(alma.store.find_memories(kind=MemoryKind.HEURISTIC.value, agents=[agent]))
