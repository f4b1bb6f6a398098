"""The facade methods of the workflow layer, sessions, lifecycle, confidence and wake-up.

``ALMA`` inherits them from ``WorkflowMixin``; each is a thin, documented entry point
over a module that holds the logic (``workflows``, ``scoped``, ``sessions``,
``lifecycle``, ``confidence``, ``wakeup``). They use the instance's store, config,
embedder, indexes and event emitter.

``ALMA.__init__`` calls ``_start_lifecycle`` once the store is open: it subscribes
the audit trail to archive/restore events and attaches the configured schedule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from alma_graph.workflows import confidence as _confidence
from alma_graph.lifecycle import policies as _lifecycle
from alma_graph.retrieval import scoped as _scoped
from alma_graph.workflows import sessions as _sessions
from alma_graph.workflows import wakeup as _wakeup
from alma_graph.workflows import checkpoints as _workflows
from alma_graph.errors import ValidationError
from alma_graph.memory.records import utcnow

if TYPE_CHECKING:
    from alma_graph.workflows.confidence import StrategyAssessment
    from alma_graph.lifecycle.policies import AuditRecord, ConsolidationReport, LifecycleReport, PruneReport
    from alma_graph.models import MemorySlice
    from alma_graph.workflows.sessions import Handoff, Session
    from alma_graph.workflows.wakeup import WakeUpContext
    from alma_graph.workflows.checkpoints import Artifact, Checkpoint

WORKFLOW_METHODS = (
    "checkpoint", "resume", "get_resume_point", "merge_states", "link_artifact", "get_artifacts",
    "cleanup_checkpoints", "retrieve_scoped", "retrieve_with_scope", "start_session", "create_handoff",
    "consolidate", "prune", "run_lifecycle", "audit_log", "assess_strategy", "wake_up",
)


class WorkflowMixin:
    """Workflows, sessions, lifecycle, confidence and the wake-up context for ``ALMA``."""

    # -- opening ------------------------------------------------------------------------------

    def _start_lifecycle(self) -> None:
        """Audit archives and restores; run the lifecycle on open / every N writes if configured."""
        self.lifecycle_schedule = _lifecycle.start(self)

    # -- workflows ----------------------------------------------------------------------------

    def checkpoint(self, workflow_id: str, state: Mapping[str, Any], metadata: dict[str, Any] | None = None,
                   agent: str | None = None) -> "Checkpoint":
        """Save a workflow's state (a JSON object of at most 1 MB) as its next checkpoint.

        A state equal to the latest checkpoint's writes nothing and returns that checkpoint."""
        self._check_open()
        checkpoint, _ = _workflows.save_checkpoint(self.store, workflow_id, state, metadata, agent)
        return checkpoint

    def resume(self, workflow_id: str) -> "Checkpoint | None":
        """The workflow's latest checkpoint, to continue from (None when it has none)."""
        self._check_open()
        return _workflows.latest_checkpoint(self.store, _workflows.check_workflow_id(workflow_id))

    def get_resume_point(self, workflow_id: str, branch_id: str | None = None) -> "Checkpoint | None":
        """ALMA's name for :meth:`resume` (branches are separate workflows here)."""
        if branch_id is not None:
            raise ValidationError("branch_id is not supported: give each branch its own workflow_id "
                                  "and merge them with merge_states")
        return self.resume(workflow_id)

    def merge_states(self, workflow_id: str, states: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
                     reducer: str | Callable | Mapping[str, str | Callable] = "latest_wins",
                     priority: Sequence[str] | None = None, metadata: dict[str, Any] | None = None,
                     agent: str | None = None, save: bool = True) -> dict[str, Any]:
        """Merge the states of parallel agents into one and (with ``save``) checkpoint it.

        ``states`` is a list, or a mapping of agent name -> state (needed by ``priority_agent``,
        whose order is ``priority`` or the mapping's). ``reducer`` is one of
        latest_wins, merge_lists, priority_agent, sum, max, min, union; a callable
        ``fn(states) -> dict``; or a mapping of state key -> reducer (``"*"`` for the rest),
        where a reducer may be a callable ``fn(values) -> value``."""
        self._check_open()
        workflow_id = _workflows.check_workflow_id(workflow_id)
        merged, agents, how = _workflows.merge(states, reducer, priority)
        if save:
            info = {"merged_from": len(agents) if agents else len(states), "reducer": how}
            if agents:
                info["agents"] = agents
            _workflows.save_checkpoint(self.store, workflow_id, merged, {**(metadata or {}), "merge": info}, agent)
        return merged

    def link_artifact(self, workflow_id: str, artifact_type: str, ref: str, name: str | None = None,
                      agent: str | None = None, mime_type: str | None = None, size_bytes: int | None = None,
                      checksum: str | None = None, metadata: dict[str, Any] | None = None) -> "Artifact":
        """Record something the workflow produced (a file path, URL, ...); the same type and
        ref again updates it."""
        self._check_open()
        return _workflows.save_artifact(self.store, workflow_id, artifact_type, ref, name, agent, mime_type,
                                        size_bytes, checksum, metadata)

    def get_artifacts(self, workflow_id: str, artifact_type: str | None = None) -> list["Artifact"]:
        """The workflow's artifacts, oldest first."""
        self._check_open()
        return _workflows.list_artifacts(self.store, workflow_id, artifact_type)

    def cleanup_checkpoints(self, older_than_days: float = 7, keep_latest: int = 1,
                            workflow_id: str | None = None) -> int:
        """Delete checkpoints older than ``older_than_days`` except each workflow's
        ``keep_latest`` newest (one workflow with ``workflow_id``). Returns how many."""
        self._check_open()
        return _workflows.cleanup(self.store, older_than_days, keep_latest, workflow_id)

    def _workflow_for_write(self, workflow_id: str | None) -> str | None:
        """Validate a write's ``workflow_id`` before anything is written."""
        return _workflows.check_workflow_id(workflow_id) if workflow_id is not None else None

    def _link_workflow(self, workflow_id: str | None, memory_ids: Iterable[str]) -> None:
        """Inside a write's transaction: its memories belong to the workflow."""
        if workflow_id is not None:
            _workflows.link_memories(self.store, workflow_id, list(memory_ids), utcnow())

    def retrieve_scoped(self, query: str, agent: str, scope: str, workflow_id: str | None = None,
                        **options: Any) -> "MemorySlice":
        """``retrieve`` within a scope: ``workflow_only`` (memories of ``workflow_id``),
        ``agent_only`` (the agent's own) or ``project_wide`` (all it may see).
        ``options`` are retrieve's: top_k, user_id, recipe, explain, as_of."""
        self._check_open()
        return _scoped.retrieve_scoped(self, query, agent, scope, workflow_id, **options)

    def retrieve_with_scope(self, task: str, agent: str, context: Any = None, scope: Any = "agent",
                            user_id: str | None = None, top_k: int = 5) -> "MemorySlice":
        """ALMA's name for :meth:`retrieve_scoped`. ``context`` is a workflow id, a dict with
        ``workflow_id`` or an object with that attribute; ``scope`` also takes ALMA's values
        (workflow, run, agent, tenant, global)."""
        workflow_id = context if isinstance(context, str) or context is None else (
            context.get("workflow_id") if isinstance(context, Mapping) else getattr(context, "workflow_id", None))
        scope = _scoped.check_scope_name(scope)
        return self.retrieve_scoped(task, agent, scope, workflow_id if scope == "workflow_only" else None,
                                    user_id=user_id, top_k=top_k)

    # -- sessions -----------------------------------------------------------------------------

    def start_session(self, agent: str, goal: str, session_id: str | None = None) -> "Session":
        """Start a session; ``.last_handoff`` is what the agent's previous session left."""
        self._check_open()
        return _sessions.start(self.store, agent, goal, session_id)

    def create_handoff(self, agent: str, session_id: str, last_action: str, last_outcome: str,
                       next_steps: Iterable[str] | None = None, blockers: Iterable[str] | None = None,
                       decisions: Iterable[str] | None = None, active_files: Iterable[str] | None = None,
                       confidence: float | None = None, metadata: dict[str, Any] | None = None) -> "Handoff":
        """Record how a session ended, for the agent's next ``start_session``."""
        self._check_open()
        return _sessions.create_handoff(self.store, agent, session_id, last_action, last_outcome, next_steps,
                                        blockers, decisions, active_files, confidence, metadata)

    # -- lifecycle ----------------------------------------------------------------------------

    def consolidate(self, agent: str, kind: str | None = None, similarity_threshold: float | None = None,
                    dry_run: bool = False) -> "ConsolidationReport":
        """Merge the agent's near-duplicate heuristics, anti-patterns or knowledge (``kind``;
        all three by default) into one survivor each: summed counts, ``MERGED_INTO`` edges,
        duplicates archived (restorable), audited. Default threshold:
        ``lifecycle.consolidate.similarity_threshold``."""
        self._check_open()
        return _lifecycle.consolidate(self, agent, kind, similarity_threshold, dry_run)

    def prune(self, agent: str | None = None, older_than_days: float | None = None,
              below_confidence: float | None = None, max_per_agent: int | None = None,
              kinds: Iterable[str] | None = None, dry_run: bool = False) -> "PruneReport":
        """The forget policy: archive, through ``forget``, memories idle for more than
        ``older_than_days``, below ``below_confidence``, or beyond ``max_per_agent`` per
        agent and kind (each criterion on its own). Audited; ``restore`` undoes it."""
        self._check_open()
        return _lifecycle.prune(self, agent, older_than_days, below_confidence, max_per_agent, kinds, dry_run)

    def run_lifecycle(self, now: datetime | None = None) -> "LifecycleReport":
        """Decay, consolidation (if enabled) and the forget policy, as ``lifecycle:`` configures.
        ``now`` runs it as of another moment."""
        self._check_open()
        return _lifecycle.run(self, now)

    def audit_log(self, action: str | None = None, limit: int = 100) -> list["AuditRecord"]:
        """Lifecycle actions (forget, restore, consolidate, decay), newest first."""
        self._check_open()
        return _lifecycle.audit_log(self.store, action, limit)

    # -- confidence and wake-up ----------------------------------------------------------------

    def assess_strategy(self, strategy: str, context: str, agent: str, top_k: int = 10) -> "StrategyAssessment":
        """How likely ``strategy`` is to work in ``context``, from the heuristics, anti-patterns
        and outcomes the agent can see, with the memories it relied on."""
        self._check_open()
        return _confidence.assess(self, strategy, context, agent, top_k)

    def wake_up(self, agent: str, user_id: str | None = None, query: str | None = None,
                identity: str | None = None, max_tokens: int = 800) -> "WakeUpContext":
        """The layered start-of-session context (identity, essential story, on-demand recall
        for ``query``) within ``max_tokens``."""
        self._check_open()
        return _wakeup.wake_up(self, agent, user_id, query, identity, max_tokens)
