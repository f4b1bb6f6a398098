"""Library errors as HTTP answers: ``{"error": {"type": ..., "message": ...}}`` with a status
that says whose fault it is. Clients turn the type back into the same exception class."""

from __future__ import annotations

from typing import Any

from alma_graph import errors

# Checked in order: the first class an error is an instance of decides its status.
STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (errors.AuthenticationError, 401),
    (errors.AccessDeniedError, 403),
    (errors.ScopeViolationError, 403),
    (errors.ValidationError, 422),
    (errors.ConfigError, 400),  # e.g. a recipe the config does not define
    (LookupError, 404),  # MemoryNotFoundError, UnknownAgentError, EntityNotFoundError, ...
    (errors.StorageError, 503),
    (errors.EmbeddingError, 500),
    (errors.ALMAGraphError, 400),
)


def status_for(error: BaseException) -> int:
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 500


def error_body(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **extra}}


def error_class(kind: str) -> type[errors.ALMAGraphError]:
    """The library class a service error names (ALMAGraphError for a name it does not know)."""
    found = getattr(errors, kind, None)
    return found if isinstance(found, type) and issubclass(found, errors.ALMAGraphError) else errors.ALMAGraphError
