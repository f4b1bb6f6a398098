"""The seeded bad-input fuzzer behind tests/test_fuzz.py: hostile arguments through every
public ALMA method, classified as accepted, typed error (ALMAGraphError) or untyped error.

Each case takes a method's good call and replaces one or two arguments with hostile
values (strings, numbers, wrong types, 5,000-deep structures). A rejected call must
leave the store as it was: checked per call by the graph generation and node counts,
and by a full export of the project after every run of rejected calls.
"""

from __future__ import annotations

import json
import random
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from alma_graph import ALMA, ALMAGraphError
from alma_graph.interfaces.transfer import read_project


# A full export costs ~100 ms: compare one after 100 refused calls, or before a call that may
# write once 25 have been refused (each refused call is also checked by generation and counts).
EXPORT_EVERY, EXPORT_BEFORE_WRITE = 100, 25


def deep_dict(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def deep_list(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


class Weird:
    """An object whose str/repr blow up: error messages must not call them."""

    def __repr__(self) -> str:
        raise RuntimeError("repr called")

    __str__ = __repr__


INJECTIONS = [
    "qa\" }) MATCH (n) DETACH DELETE n //",
    "' OR 1=1 --",
    "x'); DROP TABLE Memory; --",
    "$param",
    "`backtick`",
    "{{template}}",
    "<script>alert(1)</script>",
    "../../../etc/passwd",
]
STRINGS = [
    "", " ", "\n", "\t\t", "\x00", "a\x00b", "\ud800", "text \udfff here", "qa\n", "junior\n", "qa ",
    " qa", "QA", "x" * 65, "x" * 20_001, "y" * 2_000_000, "\u202eevil", "名前", "😀" * 10, "\r\n",
    "None", "null", "true", "nan", "-1", "1e300", *INJECTIONS,
]
NUMBERS = [float("nan"), float("inf"), float("-inf"), 1e300, -1e300, -1, -0.5, 0, 2 ** 70, -(2 ** 70),
           1.7e9, 10 ** 5000 if False else 10 ** 400, 1e-300, 3, 0.5, True, False]
TYPES = [None, object(), Weird(), [], {}, (), set(), b"bytes", bytearray(b"x"), 5, 1.5, ["qa"], {"a": 1},
         [None], [5], [[]], {"agent": None}, datetime.now(timezone.utc), "2024-01-01", (lambda: None)]
NESTED = [deep_dict(5_000), deep_list(5_000), {"k": deep_list(5_000)}, [deep_dict(5_000)]]


def hostile(rng: random.Random) -> Any:
    pool = rng.choice((STRINGS, STRINGS, NUMBERS, TYPES, NESTED))
    return rng.choice(pool)


@dataclass
class Spec:
    """A public method, a good call of it, and whether a success may write."""

    method: str
    good: dict[str, Any]
    writes: bool = True
    positional: tuple[str, ...] = ()  # argument names passed positionally


@dataclass
class Figures:
    cases: int = 0
    accepted: int = 0
    typed: int = 0
    untyped: int = 0
    changed_after_rejection: int = 0
    exports_compared: int = 0
    methods: set[str] = field(default_factory=set)
    seconds: dict[str, float] = field(default_factory=dict)  # per method, and "export"
    untyped_examples: list[str] = field(default_factory=list)
    change_examples: list[str] = field(default_factory=list)

    def line(self, backend: str) -> str:
        return (f"fuzz[{backend}]: {self.cases} cases over {len(self.methods)} methods: {self.accepted} accepted, "
                f"{self.typed} typed errors, {self.untyped} untyped errors, "
                f"{self.changed_after_rejection} store changes after rejection "
                f"({self.exports_compared} full exports compared)")


def specs(files: Path, chats: Path) -> list[Spec]:
    now = datetime.now(timezone.utc)
    return [
        Spec("retrieve", {"task": "login form", "agent": "qa", "top_k": 3, "user_id": "alice", "include_shared": True,
                          "recipe": None, "explain": False, "as_of": now, "only_ids": None}, writes=False),
        Spec("learn", {"agent": "qa", "task": "Test the login form", "outcome": True, "strategy_used": "Boundary values",
                       "task_type": "testing", "duration_ms": 5, "error_message": None, "feedback": None,
                       "timestamp": now, "metadata": {"k": 1}, "memory_id": None, "workflow_id": None}),
        Spec("add_preference", {"user_id": "alice", "category": "style", "preference": "Short answers",
                                "source": "explicit", "agent": None, "timestamp": None, "metadata": None,
                                "memory_id": None}),
        Spec("add_user_preference", {"user_id": "alice", "category": "style", "preference": "Tables please"}),
        Spec("add_knowledge", {"agent": "qa", "domain": "testing", "fact": "Acme Corp builds the login form",
                               "source": "user", "confidence": 0.9, "timestamp": None, "metadata": None}),
        Spec("add_domain_knowledge", {"agent": "qa", "domain": "testing", "fact": "The API uses OAuth"}),
        Spec("add_knowledge_batch", {"items": [{"agent": "qa", "domain": "testing", "fact": "Batches are atomic"}],
                                     "show_progress": False}),
        Spec("add_anti_pattern", {"agent": "qa", "pattern": "Skipping tests", "why_bad": "bugs ship",
                                  "better_alternative": "Run them", "task_type": "testing", "metadata": None,
                                  "timestamp": None, "memory_id": None}),
        Spec("record_usage", {"retrieved_memory_ids": ["seed-k1", "seed-k2"], "used_memory_ids": ["seed-k1"],
                              "agent": "qa"}),
        Spec("record_feedback", {"memory_id": "seed-k1", "signal": "positive", "agent": "qa"}),
        Spec("forget", {"agent": "qa", "older_than_days": 3650, "below_confidence": 0.01,
                        "memory_ids": ["seed-gone"], "kind": "domain_knowledge"}),
        Spec("restore", {"memory_ids": ["seed-gone"]}),
        Spec("stats", {"agent": "qa"}, writes=False),
        Spec("get_stats", {"agent": "qa"}, writes=False),
        Spec("related", {"entity": "Acme Corp", "agent": "qa", "predicate": None, "as_of": None,
                         "include_history": False}, writes=False),
        Spec("entity_context", {"name": "Acme Corp", "agent": "qa", "hops": 2, "as_of": None}, writes=False),
        Spec("path", {"a": "Acme Corp", "b": "Acme Corp", "agent": "qa", "max_hops": 3, "as_of": None}, writes=False),
        Spec("ingest_directory", {"path": str(files), "agent": "qa", "domain": None, "chunk_chars": 1500,
                                  "max_file_bytes": 100_000, "show_progress": False}, positional=("path", "agent")),
        Spec("ingest_conversations", {"path": str(chats), "agent": "qa", "user_id": "alice", "format": "text",
                                      "domain": None, "chunk_chars": 1500, "max_file_bytes": 100_000,
                                      "show_progress": False}, positional=("path", "agent")),
        Spec("checkpoint", {"workflow_id": "wf-1", "state": {"step": 1}, "metadata": None, "agent": "qa"}),
        Spec("resume", {"workflow_id": "wf-1"}, writes=False),
        Spec("get_resume_point", {"workflow_id": "wf-1", "branch_id": None}, writes=False),
        Spec("merge_states", {"workflow_id": "wf-1", "states": {"qa": {"a": 1}, "dev": {"b": 2}},
                              "reducer": "latest_wins", "priority": None, "metadata": None, "agent": "qa",
                              "save": True}),
        Spec("link_artifact", {"workflow_id": "wf-1", "artifact_type": "file", "ref": "out/report.md",
                               "name": "report", "agent": "qa", "mime_type": "text/markdown", "size_bytes": 10,
                               "checksum": None, "metadata": None}),
        Spec("get_artifacts", {"workflow_id": "wf-1", "artifact_type": None}, writes=False),
        Spec("cleanup_checkpoints", {"older_than_days": 3650, "keep_latest": 1, "workflow_id": "wf-1"}),
        Spec("retrieve_scoped", {"query": "login", "agent": "qa", "scope": "workflow_only", "workflow_id": "wf-1",
                                 "top_k": 3}, writes=False),
        Spec("retrieve_with_scope", {"task": "login", "agent": "qa", "context": "wf-1", "scope": "workflow",
                                     "user_id": None, "top_k": 3}, writes=False),
        Spec("start_session", {"agent": "qa", "goal": "Fix the login form", "session_id": None}),
        Spec("create_handoff", {"agent": "qa", "session_id": "s-1", "last_action": "wrote tests",
                                "last_outcome": "green", "next_steps": ["ship"], "blockers": None, "decisions": None,
                                "active_files": ["a.py"], "confidence": 0.8, "metadata": None}),
        Spec("consolidate", {"agent": "qa", "kind": "heuristic", "similarity_threshold": 0.99, "dry_run": True},
             writes=False),
        Spec("prune", {"agent": "qa", "older_than_days": 3650, "below_confidence": None, "max_per_agent": None,
                       "kinds": None, "dry_run": True}, writes=False),
        Spec("run_lifecycle", {"now": None}),
        Spec("audit_log", {"action": None, "limit": 10}, writes=False),
        Spec("assess_strategy", {"strategy": "Boundary values", "context": "login form", "agent": "qa",
                                 "top_k": 5}, writes=False),
        Spec("wake_up", {"agent": "qa", "user_id": "alice", "query": "login", "identity": None, "max_tokens": 400},
             writes=False),
        Spec("reindex", {}, writes=False),
        Spec("get", {"memory_id": "seed-k1", "agent": "qa"}, writes=False),
        Spec("list_memories", {"agent": "qa", "kind": "domain_knowledge", "limit": 10, "cursor": None,
                               "include_archived": False}, writes=False),
        Spec("history", {"memory_id": "seed-k1", "agent": "qa"}, writes=False),
        Spec("graph", {"agent": "qa", "center": "Acme Corp", "hops": 1, "limit": 50}, writes=False),
        Spec("update", {"memory_id": "seed-k2", "agent": "qa", "text": "Tyrell Corp audits payments monthly",
                        "metadata": None, "confidence": 0.8}, positional=("memory_id", "agent")),
        Spec("delete", {"memory_id": "seed-k3", "agent": "qa", "hard": False}),
        Spec("erase_user", {"user_id": "bob"}),
    ]


# Public methods not fuzzed, and why.
NOT_FUZZED = {"close": "ends the instance", "agents": "takes no argument", "from_config": "a constructor",
              "quickstart": "a constructor"}


def seed(alma: ALMA, files: Path, chats: Path) -> None:
    files.mkdir(parents=True, exist_ok=True)
    (files / "guide.md").write_text("# Login\n\nAcme Corp builds the login form. Test boundaries.\n")
    chats.mkdir(parents=True, exist_ok=True)
    (chats / "chat.txt").write_text("alice: I prefer short answers.\nqa: Noted, short answers it is.\n")
    alma.add_knowledge_batch([
        {"agent": "qa", "domain": "testing", "fact": "Acme Corp builds the login form", "id": "seed-k1"},
        {"agent": "qa", "domain": "testing", "fact": "Tyrell Corp audits the payment flow", "id": "seed-k2"},
        {"agent": "qa", "domain": "testing", "fact": "An archived fact", "id": "seed-gone"},
        {"agent": "qa", "domain": "testing", "fact": "A fact to delete", "id": "seed-k3"},
    ])
    alma.forget(memory_ids=["seed-gone"])
    alma.learn("qa", "Test the login form", True, "Boundary values", task_type="testing")
    alma.add_preference("alice", "style", "Short answers")
    alma.checkpoint("wf-1", {"step": 0}, agent="qa")
    alma.start_session("qa", "Fix the login form", session_id="s-1")


def fingerprint(alma: ALMA) -> tuple:
    return alma.store.generation(), tuple(sorted(alma.store.node_counts().items()))


def full_export(alma: ALMA) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in read_project(alma.store, vectors=False))


def mutate(spec: Spec, rng: random.Random) -> dict[str, Any]:
    args = dict(spec.good)
    if not args:
        return args
    for name in rng.sample(sorted(args), k=min(len(args), rng.choice((1, 1, 1, 2)))):
        args[name] = hostile(rng)
    return args


def call(alma: ALMA, spec: Spec, args: dict[str, Any]) -> Any:
    method: Callable = getattr(alma, spec.method)
    positional = [args.pop(name) for name in spec.positional if name in args]
    return method(*positional, **args)


def run(alma: ALMA, files: Path, chats: Path, cases: int, seed_value: int = 12) -> Figures:
    """Run ``cases`` hostile calls (round robin over the methods, arguments seeded)."""
    rng = random.Random(seed_value)
    all_specs = specs(files, chats)
    figures = Figures()
    baseline: list[str] | None = None  # the full export before the current run of rejected calls
    rejected = 0  # calls refused (or read-only) since the baseline
    for number in range(cases):
        spec = all_specs[number % len(all_specs)]
        args = mutate(spec, rng)
        shown = {k: type(v).__name__ for k, v in args.items()}
        if spec.writes and baseline is not None and rejected >= EXPORT_BEFORE_WRITE:
            _compare(alma, baseline, figures, rejected, spec.method)  # this call may write: check before it
            baseline, rejected = None, 0
        if baseline is None:
            baseline = _timed(figures, "export", full_export, alma)
        before = fingerprint(alma)
        figures.cases += 1
        figures.methods.add(spec.method)
        started = time.perf_counter()
        try:
            call(alma, spec, args)
        except ALMAGraphError:
            figures.typed += 1
            rejected += 1
            if fingerprint(alma) != before:
                figures.changed_after_rejection += 1
                figures.change_examples.append(f"{spec.method}{shown}")
                baseline, rejected = None, 0
        except Exception as exc:  # noqa: BLE001 - counting untyped errors is the point
            figures.untyped += 1
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            figures.untyped_examples.append(
                f"{spec.method}{shown}: {type(exc).__name__}: {str(exc)[:120]} at {frame.filename}:{frame.lineno}")
            baseline, rejected = None, 0
        else:
            figures.accepted += 1
            if spec.writes:
                baseline, rejected = None, 0
            else:
                rejected += 1
        figures.seconds[spec.method] = figures.seconds.get(spec.method, 0.0) + time.perf_counter() - started
        if baseline is not None and rejected and (rejected >= EXPORT_EVERY or number == cases - 1):
            _compare(alma, baseline, figures, rejected, spec.method)
            baseline, rejected = None, 0
    return figures


def _timed(figures: Figures, name: str, fn: Callable, *args: Any) -> Any:
    started = time.perf_counter()
    try:
        return fn(*args)
    finally:
        figures.seconds[name] = figures.seconds.get(name, 0.0) + time.perf_counter() - started


def _compare(alma: ALMA, baseline: list[str], figures: Figures, rejected: int, method: str) -> None:
    """The full export must equal the one taken before the last ``rejected`` calls (all refused,
    or read-only successes)."""
    figures.exports_compared += 1
    if _timed(figures, "export", full_export, alma) != baseline:
        figures.changed_after_rejection += 1
        figures.change_examples.append(f"full export changed within the last {rejected} rejected calls "
                                       f"(before {method})")
