"""Which files a directory ingestion reads, and why it skips the others.

Walked in sorted order so runs are reproducible. Pruned: hidden directories
(``.git``, ``.venv``, ``.cache``, ...), ``node_modules``, ``__pycache__``, virtual
environments (any folder holding ``pyvenv.cfg``, and ``venv``/``env`` folders with
``bin/activate``), ``site-packages``. Skipped with a reason: hidden files (they
are often secrets such as ``.env``), unsupported types, files over the size
cap, binaries (a NUL byte or invalid UTF-8) and empty files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

DEFAULT_MAX_FILE_BYTES = 1_000_000

PROSE_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".mdx": "markdown", ".rst": "text", ".txt": "text",
                  ".text": "text", ".adoc": "text", ".org": "text"}
CODE_SUFFIXES = {
    ".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".java", ".kt", ".kts", ".scala", ".go", ".rs",
    ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".cs", ".rb", ".php", ".swift", ".m", ".mm", ".r",
    ".jl", ".lua", ".pl", ".sh", ".bash", ".zsh", ".fish", ".ps1", ".sql", ".graphql", ".proto", ".cypher",
    ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".html", ".htm", ".css", ".scss", ".vue", ".svelte",
    ".dart", ".ex", ".exs", ".erl", ".hs", ".ml", ".clj", ".el", ".vim", ".tf", ".gradle", ".cmake",
}
# Extensionless files that are text by convention.
TEXT_NAMES = {"readme": "text", "license": "text", "copying": "text", "authors": "text", "changelog": "text",
              "contributing": "text", "notice": "text", "makefile": "code", "dockerfile": "code",
              "justfile": "code", "procfile": "code", "gemfile": "code", "rakefile": "code"}
PRUNED_DIRS = {"node_modules", "__pycache__", "site-packages", "bower_components", "venv", "env"}


@dataclass(frozen=True)
class SourceFile:
    path: Path
    relative: str  # to the ingested root, with forward slashes
    kind: str  # markdown | text | code


def file_kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in PROSE_SUFFIXES:
        return PROSE_SUFFIXES[suffix]
    if suffix in CODE_SUFFIXES:
        return "code"
    return TEXT_NAMES.get(path.stem.lower() if suffix in ("", ".txt") else path.name.lower())


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file() or (path / "bin" / "activate").is_file()


def _pruned(path: Path) -> bool:
    name = path.name
    if name.startswith(".") or name in ("node_modules", "__pycache__", "site-packages", "bower_components"):
        return True
    return _is_venv(path) or (name in PRUNED_DIRS and (path / "lib").is_dir())


def walk(root: Path) -> Iterator[tuple[Path, str | None]]:
    """Every file under root, each with the reason it is skipped before reading (None to read it)."""
    if root.is_file():
        yield root, _skip_reason(root)
        return
    for directory, dirs, files in os.walk(root):
        base = Path(directory)
        dirs[:] = sorted(d for d in dirs if not _pruned(base / d))
        for name in sorted(files):
            path = base / name
            yield path, _skip_reason(path)


def _skip_reason(path: Path) -> str | None:
    if path.name.startswith("."):
        return "hidden file"
    if path.is_symlink() and not path.exists():
        return "broken symlink"
    if file_kind(path) is None:
        return f"unsupported file type {path.suffix or path.name!r}"
    return None


def read_source(path: Path, max_bytes: int) -> tuple[str | None, str | None]:
    """(text, None) or (None, reason to skip): over the size cap, binary, not UTF-8, empty."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, f"unreadable: {exc.strerror}"
    if size > max_bytes:
        return None, f"too large: {size:,} bytes > the {max_bytes:,}-byte cap"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"unreadable: {exc.strerror}"
    if b"\x00" in data[:8192]:
        return None, "binary (NUL bytes)"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "binary or not UTF-8"
    if not text.strip():
        return None, "empty"
    return text, None
