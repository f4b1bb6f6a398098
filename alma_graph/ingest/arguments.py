"""Checks on the arguments of the ingestion entry points, made before anything is read."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from alma_graph.ingest.errors import IngestError
from alma_graph.memory.scope import check_scope
from alma_graph.memory.validation import check_label, check_name, is_valid_unicode, shown

MAX_PATH_CHARS = 4096

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def check_path(path: Any) -> Path:
    if not isinstance(path, (str, Path)) or not str(path).strip():
        raise IngestError(f"path must be a file or directory path, got {shown(path)}")
    text = str(path)
    if "\x00" in text or len(text) > MAX_PATH_CHARS or not is_valid_unicode(text):
        raise IngestError(f"path {shown(text)} is not a usable path (NUL byte, lone surrogate or over "
                          f"{MAX_PATH_CHARS:,} characters)")
    resolved = Path(path).expanduser()
    try:
        exists = resolved.exists()
    except OSError as exc:  # e.g. a component longer than the file system allows
        raise IngestError(f"path {shown(text)} cannot be read: {exc.strerror}") from None
    if not exists:
        raise IngestError(f"path {shown(text)} does not exist")
    return resolved


def check_alma(alma: Any) -> None:
    for method in ("add_knowledge_batch", "add_preference", "add_anti_pattern", "learn", "store", "config"):
        if not hasattr(alma, method):
            raise IngestError(f"the first argument must be an ALMA instance, got {type(alma).__name__}")
    if getattr(alma, "_closed", False):
        raise IngestError("this ALMA instance is closed; open a new one")


def check_domain(alma: Any, agent: str, domain: str | None, default: str) -> tuple[str, bool]:
    """(domain, explicit). An explicit domain the agent may not learn is refused before anything is read."""
    if domain is None:
        return default, False
    domain = check_label(domain, "domain")
    check_scope(alma.config, agent, domain, "domain")
    return domain, True


def check_bound(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise IngestError(f"{what} must be an integer between {low:,} and {high:,}, got {shown(value)}")
    return value


def user_id_for(speaker: str, given: str | None) -> str:
    """Whose preference a user turn states: the caller's ``user_id``, else the speaker's name made id-safe."""
    if given is not None:
        return given
    candidate = _UNSAFE.sub("_", speaker).strip("_.-")[:64] or "user"
    try:
        return check_name(candidate, "user_id")
    except Exception:
        return "user"
