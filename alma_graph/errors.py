"""One error hierarchy for alma_graph.

Every error a caller can trigger with bad input is an ``ALMAGraphError`` whose
message says what to change. Write paths validate before they touch the store,
so an error leaves the graph as it was.
"""

from __future__ import annotations


class ALMAGraphError(Exception):
    """Base class of every error raised by alma_graph."""


class ConfigError(ALMAGraphError, ValueError):
    """The configuration file or a config value is invalid."""


class ValidationError(ALMAGraphError, ValueError):
    """An argument is empty, too large, of the wrong type or not allowed."""


class ScopeViolationError(ALMAGraphError, PermissionError):
    """An agent tried to learn something outside its can_learn / cannot_learn scope."""


class UnknownAgentError(ALMAGraphError, LookupError):
    """An operation names an agent the store does not know."""


class NotFoundError(ALMAGraphError, LookupError):
    """Something named by id or name does not exist, or the caller may not see it (the two look alike)."""


class AmbiguousIdError(ValidationError):
    """A memory id prefix matches several memories; the message lists them."""


class MemoryNotFoundError(NotFoundError):
    """A memory id does not exist (or is not visible to the agent)."""


class StorageError(ALMAGraphError, RuntimeError):
    """The graph store failed, is locked by another process or is unreachable."""


class EmbeddingError(ALMAGraphError, RuntimeError):
    """The embedding model could not be loaded or failed to embed."""


class EntityNotFoundError(NotFoundError):
    """No entity in the project's graph matches the name (or several do)."""


class WorkflowNotFoundError(NotFoundError):
    """No workflow with that id exists in the project (it has no checkpoint, artifact or memory yet)."""


class SessionNotFoundError(NotFoundError):
    """No session with that id was started by the agent."""


class AccessDeniedError(ALMAGraphError, PermissionError):
    """The service refused the caller: no or a wrong token, or an agent, user or write its client may not use."""


class AuthenticationError(AccessDeniedError):
    """The service did not recognise the caller: no bearer token, or an unknown one."""


class UnknownToolError(ALMAGraphError, LookupError):
    """No registry tool has that name."""


class ExtractionError(ALMAGraphError, RuntimeError):
    """The spaCy pipeline for entity extraction could not be loaded."""
