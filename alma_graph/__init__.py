"""alma_graph: graph-first learning memory for AI agents.

    from alma_graph import ALMA
    alma = ALMA.from_config(".alma/config.yaml")
    memories = alma.retrieve("test the login form", agent="qa_agent")
    print(memories.to_prompt())

Heavy parts (Kuzu, FAISS, the embedding model, spaCy) load on first use, so
``import alma_graph`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alma_graph.errors import (
    AccessDeniedError,
    AuthenticationError,
    ALMAGraphError,
    AmbiguousIdError,
    ConfigError,
    EmbeddingError,
    ExtractionError,
    EntityNotFoundError,
    MemoryNotFoundError,
    NotFoundError,
    ScopeViolationError,
    SessionNotFoundError,
    StorageError,
    UnknownAgentError,
    ValidationError,
    WorkflowNotFoundError,
)
from alma_graph.models import (
    AntiPattern,
    DomainKnowledge,
    Heuristic,
    MemoryKind,
    MemoryPage,
    MemorySlice,
    Outcome,
    UserPreference,
)

if TYPE_CHECKING:
    from alma_graph.alma import ALMA
    from alma_graph.config import ALMAConfig

__version__ = "0.1.0"

_LAZY = {"ALMA": "alma_graph.alma", "ALMAConfig": "alma_graph.config", "load_config": "alma_graph.config"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'alma_graph' has no attribute {name!r}")


__all__ = [
    "ALMA", "ALMAConfig", "load_config", "ALMAGraphError", "ConfigError", "EmbeddingError", "ExtractionError",
    "EntityNotFoundError", "MemoryNotFoundError", "ScopeViolationError", "StorageError", "UnknownAgentError", "ValidationError",
    "WorkflowNotFoundError", "SessionNotFoundError", "NotFoundError", "AmbiguousIdError", "MemoryPage", "AccessDeniedError", "AuthenticationError",
    "AntiPattern", "DomainKnowledge", "Heuristic", "MemoryKind", "MemorySlice", "Outcome", "UserPreference",
]
