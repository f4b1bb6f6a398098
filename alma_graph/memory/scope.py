"""Learning scope: what an agent may write (``can_learn`` / ``cannot_learn``).

Checked on every write path before anything is stored. Agents missing from the
config may learn anything; an empty ``can_learn`` means no allow-list.
"""

from __future__ import annotations

from alma_graph.config import ALMAConfig
from alma_graph.errors import ScopeViolationError


def check_scope(config: ALMAConfig, agent: str, category: str, what: str) -> None:
    scope = config.agent(agent)
    if category in scope.cannot_learn:
        raise ScopeViolationError(
            f"agent {agent!r} may not learn {what} {category!r}: it is in the agent's cannot_learn list"
        )
    if scope.can_learn and category not in scope.can_learn:
        raise ScopeViolationError(
            f"agent {agent!r} may not learn {what} {category!r}: its can_learn list allows only "
            f"{', '.join(scope.can_learn)}"
        )
