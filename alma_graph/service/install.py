"""``alma-graph install claude-code``: connect a project's Claude Code to alma-graph.

Writes (merging with what is there) the project's ``.mcp.json`` — an ``alma-graph``
stdio server, which relays to the service when one runs — and with ``hooks=True``
``.claude/settings.json`` hooks: ``UserPromptSubmit`` runs ``alma-graph hook prompt``
(the retrieved memories become context for the prompt) and ``Stop`` runs
``alma-graph hook stop`` (the session transcript is ingested as a conversation).
Both go through the service when it runs (fast), in-process otherwise. Running it
twice changes nothing; ``dry_run`` only reports the change.
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alma_graph.errors import ConfigError

SERVER_NAME = "alma-graph"
HOOK_MARK = "alma_graph.cli hook"  # how our hook commands are recognised when merging


@dataclass
class Change:
    path: Path
    before: str | None  # None: the file does not exist
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        import difflib

        lines = difflib.unified_diff((self.before or "").splitlines(keepends=True), self.after.splitlines(keepends=True),
                                     fromfile=f"{self.path} (now)", tofile=f"{self.path} (after)")
        return "".join(lines)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc}); fix or remove it first") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top level")
    return data


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def mcp_json(project: Path, config: str, python: str) -> Change:
    path = project / ".mcp.json"
    before = path.read_text(encoding="utf-8") if path.exists() else None
    data = _read_json(path)
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"{path}: mcpServers must be an object")
    servers[SERVER_NAME] = {"type": "stdio", "command": python, "args": ["-m", "alma_graph.mcp", "--config", config]}
    return Change(path, before, _dump(data))


def hook_command(python: str, event: str, config: str, agent: str) -> str:
    return " ".join(shlex.quote(part) for part in
                    [python, "-m", "alma_graph.cli", "hook", event, "--agent", agent, "--config", config])


def settings_json(project: Path, config: str, python: str, agent: str) -> Change:
    path = project / ".claude" / "settings.json"
    before = path.read_text(encoding="utf-8") if path.exists() else None
    data = _read_json(path)
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ConfigError(f"{path}: hooks must be an object")
    for event, name in (("UserPromptSubmit", "prompt"), ("Stop", "stop")):
        ours = {"type": "command", "command": hook_command(python, name, config, agent), "timeout": 60}
        groups = hooks.setdefault(event, [])
        present = any(h == ours for g in groups for h in g.get("hooks", []))
        # Drop other alma-graph hooks of this event (e.g. for another agent name), keep everyone else's.
        for group in groups:
            group["hooks"] = [h for h in group.get("hooks", [])
                              if h == ours or HOOK_MARK not in str(h.get("command", ""))]
        groups[:] = [g for g in groups if g.get("hooks")]
        if not present:
            groups.append({"hooks": [ours]})
    return Change(path, before, _dump(data))


def plan(project: Path, config: Path, hooks: bool, agent: str, python: str | None = None) -> list[Change]:
    """The changes ``install claude-code`` makes in ``project``."""
    project = project.resolve()
    python = python or sys.executable
    try:
        relative = str(config.resolve().relative_to(project))
    except ValueError:
        relative = str(config.resolve())
    changes = [mcp_json(project, relative, python)]
    if hooks:
        changes.append(settings_json(project, relative, python, agent))
    return changes


def apply(changes: list[Change]) -> None:
    for change in changes:
        if change.changed:
            change.path.parent.mkdir(parents=True, exist_ok=True)
            change.path.write_text(change.after, encoding="utf-8")
