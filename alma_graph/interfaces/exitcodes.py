"""Process exit codes of ``alma-graph`` and ``python -m alma_graph.mcp`` (see docs/cli.md)."""

from __future__ import annotations

from alma_graph.errors import AccessDeniedError, ALMAGraphError, ConfigError, ScopeViolationError, StorageError

OK = 0
ERROR = 1  # anything else, e.g. the embedding model failed to load
USAGE = 2  # bad command line or invalid input: ValidationError, or a name that matches nothing
#           (UnknownAgentError, MemoryNotFoundError and the other lookup errors)
CONFIG = 3  # ConfigError: missing or invalid config file, unsafe server settings
SCOPE = 4  # ScopeViolationError: the agent may not learn that
STORAGE = 5  # StorageError: store locked by another process, unreachable server, failed transaction
ACCESS = 6  # AccessDeniedError: the service refused the token, or the agent / user / write for this client
INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), the shell's convention; what was committed is kept


def exit_code_for(error: BaseException) -> int:
    """The exit code that tells a script what kind of failure ``error`` is."""
    if isinstance(error, ConfigError):
        return CONFIG
    if isinstance(error, ScopeViolationError):
        return SCOPE
    if isinstance(error, StorageError):
        return STORAGE
    if isinstance(error, AccessDeniedError):
        return ACCESS
    # ValidationError is a ValueError; UnknownAgentError, MemoryNotFoundError, ... are LookupErrors.
    if isinstance(error, ALMAGraphError) and isinstance(error, (ValueError, LookupError)):
        return USAGE
    return ERROR
