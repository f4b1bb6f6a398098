"""The memory lifecycle: decay, reinforcement, consolidation, a forget policy, an audit
trail, and a schedule that runs them without being asked.

Nothing here deletes a memory. Forgetting archives (the memory leaves retrieval and
``restore`` brings it back); consolidation archives near-duplicates behind one survivor
that they point to by ``MERGED_INTO``. Every archive, restore, merge and decay run
leaves an ``Audit`` node that names the memories it touched (``AFFECTED`` edges) and
the criteria that chose them; ``audit_log()`` lists them.

- **Decay**: a memory's confidence halves every ``decay.half_life_days`` it goes
  unused, once ``decay.grace_days`` have passed since it was last created, used,
  validated or seen. Runs compose: two runs a month apart decay exactly as one run
  would after two months. A memory used since the last run regains
  ``decay.reinforce_on_use`` of its distance to 1 (use also counts in ranking through
  ``record_usage``).
- **Forget policy** (``prune``): archives memories that are idle for more than
  ``older_than_days``, whose confidence is below ``below_confidence``, or that exceed
  ``max_per_agent`` live memories of one kind for one agent (the most trusted and most
  recently active are kept). Each criterion archives on its own.
- **Consolidation**: near-duplicates of one agent, kind and category (cosine of their
  embeddings >= the threshold) merge into the one with the most evidence: counts are
  summed, confidence recomputed from them, the latest times kept, and the provenance
  edges of the others (``DERIVED_FROM``, ``IN_WORKFLOW``) are copied onto it.
- **Schedule**: ``lifecycle.schedule.on_open`` runs it when a store opens,
  ``lifecycle.schedule.every_n_writes`` after every N write calls; otherwise
  ``run_lifecycle()`` runs it on demand.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from alma_graph.context import Change, Context
from alma_graph.errors import ValidationError
from alma_graph.events import EventType, MemoryEvent
from alma_graph.graph_model import Edge
from alma_graph.lifecycle.audit import archiving, audit_observer, write_audit
from alma_graph.lifecycle.forget import forget
from alma_graph.memory.learning import heuristic_confidence
from alma_graph.memory.records import as_utc, user_owner, utcnow
from alma_graph.memory.validation import check_bool, check_choice, check_days, check_optional_number, shown
from alma_graph.models import MemoryKind

log = logging.getLogger(__name__)

CONSOLIDATABLE = (MemoryKind.HEURISTIC.value, MemoryKind.ANTI_PATTERN.value, MemoryKind.DOMAIN_KNOWLEDGE.value)
LAST_DECAY_META = "lifecycle/last_decay"
_ACTIVITY_FIELDS = ("occurred_at", "created_at", "last_used_at", "last_validated", "last_seen", "last_verified")


# -- results ---------------------------------------------------------------------------------------

@dataclass
class MergeGroup:
    survivor_id: str
    merged_ids: list[str]
    kind: str
    category: str
    occurrence_count: int


@dataclass
class ConsolidationReport:
    agent: str
    groups: list[MergeGroup] = field(default_factory=list)
    examined: int = 0
    dry_run: bool = False
    audit_id: str | None = None

    @property
    def merged(self) -> int:
        return sum(len(g.merged_ids) for g in self.groups)


@dataclass
class PruneReport:
    archived_ids: list[str] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)  # criterion -> memory ids it selected
    dry_run: bool = False

    @property
    def archived(self) -> int:
        return len(self.archived_ids)


@dataclass
class DecayReport:
    decayed: int = 0
    reinforced: int = 0
    since: datetime | None = None  # the previous run (None on the first)
    at: datetime | None = None


@dataclass
class LifecycleReport:
    decay: DecayReport | None = None
    consolidations: list[ConsolidationReport] = field(default_factory=list)
    prune: PruneReport | None = None
    trigger: str = "manual"


# -- shared helpers --------------------------------------------------------------------------------

def _activity(row: dict[str, Any]) -> datetime:
    """When the memory was last created, used, validated or seen."""
    return max(row[name] for name in _ACTIVITY_FIELDS if row.get(name) is not None)


def _check_kinds(kinds: Iterable[Any] | None, allowed: Iterable[str], what: str = "kinds") -> list[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str) or isinstance(kinds, MemoryKind):
        kinds = [kinds]
    if isinstance(kinds, (bytes, Mapping)) or not isinstance(kinds, Iterable):
        raise ValidationError(f"{what} must be a kind name or a list of them, got {shown(kinds)}")
    return [check_choice(kind, allowed, what) for kind in list(kinds)[:100]]


def _check_number(value: Any, what: str, low: float | None = None, high: float | None = None,
                  integer: bool = False) -> Any:
    return check_optional_number(value, what, low, high, integer)


# -- decay and reinforcement ---------------------------------------------------------------------------

def decay(ctx: Context, now: datetime | None = None) -> DecayReport:
    """Decay idle memories and reinforce used ones, over the time since the last run.

    One transaction from the read of the last run's time to the write of this one's,
    so runs from several processes on one Neo4j project do not decay an interval twice."""
    settings = ctx.config.lifecycle.decay
    now = as_utc(now) or utcnow()
    store = ctx.store
    report = DecayReport(at=now)
    if not settings.enabled:
        return report
    changes: dict[str, float] = {}
    with ctx.write() as change:
        stored = store.get_meta(LAST_DECAY_META)
        previous = datetime.fromisoformat(stored) if stored else None
        report.since = previous
        if previous is not None and now <= previous:
            return report  # already decayed up to this moment
        grace = timedelta(days=settings.grace_days)
        used_since = previous or (now - grace)
        for kind in settings.kinds:
            for row in store.find_memories(kind=kind, archived=False):
                confidence = row["confidence"] if row["confidence"] is not None else 1.0
                new = confidence
                start = _activity(row) + grace
                if previous is not None and previous > start:
                    start = previous
                if now > start:
                    new *= 0.5 ** ((now - start).total_seconds() / 86400 / settings.half_life_days)
                if settings.reinforce_on_use and row["last_used_at"] is not None and row["last_used_at"] > used_since:
                    new += settings.reinforce_on_use * (1.0 - new)
                    report.reinforced += 1
                if abs(new - confidence) > 1e-9:
                    changes[row["id"]] = min(1.0, max(0.0, new))
                    if new < confidence:
                        report.decayed += 1
        for memory_id, value in changes.items():
            store.update_memory(memory_id, {"confidence": value})
        store.set_meta(LAST_DECAY_META, now.isoformat())
        if changes:
            write_audit(store, "decay", sorted(changes), reason="lifecycle decay", link=False,
                        criteria={"as_of": now.isoformat(), "half_life_days": settings.half_life_days,
                                  "grace_days": settings.grace_days,
                                  "decayed": report.decayed, "reinforced": report.reinforced,
                                  "since": previous.isoformat() if previous else None})
            change.touch()
    if changes:
        ctx.emit(EventType.UPDATED, None, sorted(changes), reason="decay")
    return report


# -- forget policy -------------------------------------------------------------------------------------

def prune(ctx: Context, agent: str | None = None, older_than_days: float | None = None,
          below_confidence: float | None = None, max_per_agent: int | None = None,
          kinds: Iterable[str] | None = None, dry_run: bool = False, now: datetime | None = None,
          reason: str = "forget policy") -> PruneReport:
    """Archive (through ``forget``) what any criterion selects; the archive is audited."""
    older_than_days = None if older_than_days is None else check_days(older_than_days)
    below_confidence = _check_number(below_confidence, "below_confidence", low=0, high=1)
    max_per_agent = _check_number(max_per_agent, "max_per_agent", low=1, integer=True)
    if older_than_days is None and below_confidence is None and max_per_agent is None:
        raise ValidationError("prune needs at least one of older_than_days, below_confidence, max_per_agent")
    kinds = _check_kinds(kinds, [k.value for k in MemoryKind]) or list(ctx.config.lifecycle.forget.kinds)
    if agent is not None:
        agent = ctx.known_agent(agent)
    now = as_utc(now) or utcnow()
    rows = [r for kind in kinds for r in ctx.store.find_memories(
        agents=[agent] if agent else None, kind=kind, archived=False)]
    report = PruneReport(dry_run=check_bool(dry_run, "dry_run"))
    if older_than_days is not None:
        cutoff = now - timedelta(days=older_than_days)
        report.reasons["older_than_days"] = [r["id"] for r in rows if _activity(r) < cutoff]
    if below_confidence is not None:
        report.reasons["below_confidence"] = [
            r["id"] for r in rows if (r["confidence"] if r["confidence"] is not None else 1.0) < below_confidence]
    if max_per_agent is not None:
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault((row["agent"] or user_owner(row["user_id"]), row["kind"]), []).append(row)
        over = []
        for group in groups.values():
            group.sort(key=lambda r: (r["confidence"] if r["confidence"] is not None else 1.0, _activity(r)),
                       reverse=True)
            over += [r["id"] for r in group[max_per_agent:]]
        report.reasons["max_per_agent"] = over
    report.archived_ids = sorted({i for ids in report.reasons.values() for i in ids})
    if report.archived_ids and not dry_run:
        criteria = {"older_than_days": older_than_days, "below_confidence": below_confidence,
                    "max_per_agent": max_per_agent, "kinds": kinds, "agent": agent,
                    "selected": {name: len(ids) for name, ids in report.reasons.items()}}
        with archiving(reason, criteria):
            forget(ctx, memory_ids=report.archived_ids)
    return report


# -- consolidation -----------------------------------------------------------------------------------

def _survivor_rank(row: dict[str, Any]) -> tuple:
    created = row["created_at"]
    return (row["occurrence_count"] or 1, row["confidence"] if row["confidence"] is not None else 0.0,
            row["use_count"] or 0, -created.timestamp() if created else 0.0, row["id"])


def _latest(rows: list[dict[str, Any]], name: str) -> Any:
    values = [r[name] for r in rows if r.get(name) is not None]
    return max(values) if values else None


def _merged_values(kind: str, rows: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """The survivor's properties after absorbing ``rows`` (survivor included)."""
    occurrences = sum(r["occurrence_count"] or 1 for r in rows)
    weights = [(r["use_count"] or 0) + 1 for r in rows]
    values: dict[str, Any] = {
        "occurrence_count": occurrences,
        "use_count": sum(r["use_count"] or 0 for r in rows),
        "feedback": sum(w * (r["feedback"] or 0.0) for w, r in zip(weights, rows)) / sum(weights),
        "occurred_at": _latest(rows, "occurred_at"),
        "last_used_at": _latest(rows, "last_used_at"),
        "updated_at": now,
    }
    if kind == MemoryKind.HEURISTIC.value:
        successes = sum(r["success_count"] or 0 for r in rows)
        values.update(success_count=successes, confidence=heuristic_confidence(successes, occurrences),
                      last_validated=_latest(rows, "last_validated"))
    elif kind == MemoryKind.ANTI_PATTERN.value:
        values.update(confidence=occurrences / (occurrences + 1), last_seen=_latest(rows, "last_seen"))
    else:
        values.update(confidence=max(r["confidence"] if r["confidence"] is not None else 1.0 for r in rows),
                      last_verified=_latest(rows, "last_verified"))
    return {k: v for k, v in values.items() if v is not None}


def _clusters(rows: list[dict[str, Any]], threshold: float) -> list[list[dict[str, Any]]]:
    """Star clusters: the best remaining memory takes every remaining one similar enough to
    it (not to its neighbours, so a chain of small steps cannot drift into one group)."""
    rows = sorted(rows, key=_survivor_rank, reverse=True)
    vectors = np.asarray([r["embedding"] for r in rows], dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1, norms)
    similarity = unit @ unit.T
    taken = [False] * len(rows)
    clusters = []
    for i in range(len(rows)):
        if taken[i]:
            continue
        taken[i] = True
        members = [rows[i]]
        for j in range(i + 1, len(rows)):
            if not taken[j] and similarity[i, j] >= threshold:
                taken[j] = True
                members.append(rows[j])
        if len(members) > 1:
            clusters.append(members)
    return clusters


def consolidate(ctx: Context, agent: str, kind: Any = None, similarity_threshold: float | None = None,
                dry_run: bool = False) -> ConsolidationReport:
    agent = ctx.known_agent(agent)
    if getattr(kind, "value", kind) in (MemoryKind.OUTCOME.value, MemoryKind.PREFERENCE.value):
        raise ValidationError(
            f"{getattr(kind, 'value', kind)} memories are not consolidated: outcomes are the record of what "
            "happened (their heuristics and anti-patterns are what to consolidate) and preferences are the user's")
    kinds = _check_kinds(kind, CONSOLIDATABLE, "kind") or list(CONSOLIDATABLE)
    threshold = similarity_threshold if similarity_threshold is not None else \
        ctx.config.lifecycle.consolidate.similarity_threshold
    threshold = _check_number(threshold, "similarity_threshold", low=0, high=1)
    if threshold <= 0:
        raise ValidationError("similarity_threshold must be above 0")
    store = ctx.store
    report = ConsolidationReport(agent=agent, dry_run=dry_run)
    # Read and merge in one transaction, so two processes cannot merge the same group twice.
    with (nullcontext(Change()) if dry_run else ctx.write()) as change:
        clusters = []
        for k in kinds:
            rows = [r for r in store.find_memories(with_embedding=True, agents=[agent], kind=k, archived=False)
                    if r["embedding"] is not None]
            report.examined += len(rows)
            by_category: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                by_category.setdefault(row["category"], []).append(row)
            for group in by_category.values():
                clusters += _clusters(group, threshold)
        for members in clusters:
            survivor = members[0]
            report.groups.append(MergeGroup(survivor_id=survivor["id"], merged_ids=[m["id"] for m in members[1:]],
                                            kind=survivor["kind"], category=survivor["category"],
                                            occurrence_count=sum(m["occurrence_count"] or 1 for m in members)))
        if dry_run or not clusters:
            return report
        now = utcnow()
        merged_ids = [m["id"] for members in clusters for m in members[1:]]
        for members in clusters:
            survivor, duplicates = members[0], members[1:]
            store.update_memory(survivor["id"], _merged_values(survivor["kind"], members, now))
            provenance: dict[Edge, set[str]] = {Edge.DERIVED_FROM: set(), Edge.IN_WORKFLOW: set()}
            for duplicate in duplicates:
                store.update_memory(duplicate["id"], {"archived": True, "updated_at": now})
                for edge, targets in provenance.items():
                    targets.update(store.targets(edge, duplicate["id"]))
            store.link_many(Edge.MERGED_INTO, [(d["id"], survivor["id"]) for d in duplicates])
            for edge, targets in provenance.items():
                store.link_many(edge, [(survivor["id"], t) for t in sorted(targets) if t != survivor["id"]])
        report.audit_id = write_audit(
            store, "consolidate", [m["id"] for members in clusters for m in members], agent=agent,
            reason="near-duplicates merged", now=now,
            criteria={"kinds": kinds, "similarity_threshold": threshold,
                      "groups": {g.survivor_id: g.merged_ids for g in report.groups}})
        change.unindex(merged_ids)
    ctx.emit(EventType.CONSOLIDATED, agent, [g.survivor_id for g in report.groups] + merged_ids,
               groups={g.survivor_id: g.merged_ids for g in report.groups})
    return report


# -- one run, and the schedule ---------------------------------------------------------------------------

def run(ctx: Context, now: datetime | None = None, trigger: str = "manual") -> LifecycleReport:
    """Decay, then consolidation (when enabled), then the forget policy, as configured."""
    settings = ctx.config.lifecycle
    now = as_utc(now) or utcnow()
    report = LifecycleReport(trigger=trigger)
    report.decay = decay(ctx, now)
    if settings.consolidate.enabled:
        for agent in sorted(ctx.agents()):
            report.consolidations.append(consolidate(ctx, agent, None, settings.consolidate.similarity_threshold))
    policy = settings.forget
    if policy.older_than_days is not None or policy.below_confidence is not None or policy.max_per_agent is not None:
        report.prune = prune(ctx, older_than_days=policy.older_than_days, below_confidence=policy.below_confidence,
                             max_per_agent=policy.max_per_agent, kinds=policy.kinds, now=now,
                             reason=f"lifecycle run ({trigger})")
    return report


class Schedule:
    """Runs the lifecycle after every N write calls (counted from ``created`` events)."""

    def __init__(self, ctx: Context, every_n_writes: int):
        self.ctx = ctx
        self.every = every_n_writes
        self.writes = 0
        self.last_report: LifecycleReport | None = None
        self._lock = threading.Lock()
        self._running = False

    def __call__(self, event: MemoryEvent) -> None:
        if event.type is not EventType.CREATED:
            return
        with self._lock:
            self.writes += 1
            if self._running or self.writes < self.every:
                return
            self.writes, self._running = 0, True
        try:
            self.last_report = run(self.ctx, trigger=f"every {self.every} writes")
        except Exception:  # housekeeping must never break the write that triggered it
            log.exception("scheduled lifecycle run failed")
        finally:
            self._running = False


def start(ctx: Context) -> Schedule | None:
    """Attach the audit trail and the configured schedule to a freshly opened ALMA."""
    ctx.events.subscribe(audit_observer(ctx.store), [EventType.DELETED, EventType.UPDATED])
    schedule = ctx.config.lifecycle.schedule
    scheduler = None
    if schedule.every_n_writes:
        scheduler = Schedule(ctx, schedule.every_n_writes)
        ctx.events.subscribe(scheduler, [EventType.CREATED])
    if schedule.on_open:
        try:
            report = run(ctx, trigger="on open")
            if scheduler is not None:
                scheduler.last_report = report
        except Exception:
            log.exception("lifecycle run on open failed")
    return scheduler
