"""Which folders an ingestion may read (the MCP server's ``--allow-path``).

Every file's real path is resolved before it is read: a symlink inside an allowed
folder that points outside it (``link.md -> ../outside/secret.md``) is skipped and
reported, never read. ``confined_to`` sets the folders for the calls inside it (the
MCP server wraps each tool call in it); ``allowed_roots=`` on the ingest functions
sets them explicitly.
"""

from __future__ import annotations

import contextvars
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

OUTSIDE = "outside the folders this ingestion may read (its real path, after links)"

_roots: contextvars.ContextVar[tuple[Path, ...] | None] = contextvars.ContextVar("alma_ingest_roots", default=None)


@contextmanager
def confined_to(roots: Iterable[str | os.PathLike[str]]) -> Iterator[None]:
    token = _roots.set(tuple(Path(r).expanduser().resolve() for r in roots))
    try:
        yield
    finally:
        _roots.reset(token)


def allowed(roots: Iterable[str | os.PathLike[str]] | None) -> tuple[Path, ...] | None:
    """The roots in force: the explicit ones, else those of the enclosing ``confined_to``, else none."""
    if roots is not None:
        return tuple(Path(r).expanduser().resolve() for r in roots)
    return _roots.get()


def real_path(path: Path, roots: tuple[Path, ...] | None) -> tuple[Path | None, str | None]:
    """(the file's real path, None) to read, or (None, why it is skipped)."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None, "unreadable (a broken or looping link)"
    if roots is not None and not any(real == root or real.is_relative_to(root) for root in roots):
        return None, OUTSIDE
    return real, None
