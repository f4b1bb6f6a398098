"""Errors of ingestion, all ``ValidationError``s: bad input that says what to change.

A file that cannot be parsed raises ``MalformedFileError`` inside the pipeline,
which records it in the ``IngestReport`` and goes on with the other files.
"""

from __future__ import annotations

from pathlib import Path

from alma_graph.errors import ValidationError


class IngestError(ValidationError):
    """Base class of ingestion errors."""


class MalformedFileError(IngestError):
    """A file is not valid in the format it claims (or was forced) to be."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class UnknownFormatError(IngestError):
    """A file's chat-export format could not be recognised, or ``format=`` names no known format."""

    def __init__(self, path: str | Path | None, reason: str):
        self.path = str(path) if path is not None else None
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class IngestInterrupted(KeyboardInterrupt):
    """Ctrl-C during an ingestion. Every batch committed before it is kept (``report`` counts
    them) and running the same ingestion again continues where it stopped: written items are
    skipped as already present. A ``KeyboardInterrupt``, so an uncaught one still stops the program."""

    def __init__(self, report):
        super().__init__("ingestion interrupted; what was committed is kept — run it again to continue")
        self.report = report
