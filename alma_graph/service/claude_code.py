"""The ``install claude-code`` and ``hook`` commands of the CLI (Claude Code integration).

Registered on the CLI's group by ``add_commands``; the CLI passes its helpers in, so this
module does not import the CLI (no cycle). Hooks go through the service when one runs.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from alma_graph.errors import ALMAGraphError

DEFAULT_CONFIG = ".alma/config.yaml"


def _hook_input() -> dict[str, Any]:
    try:
        data = json.loads(sys.stdin.read() or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def add_commands(group: click.Group, open_store: Callable[[Path, bool], Any], run_tool: Callable[..., dict[str, Any]],
                 fail: Callable[[BaseException, bool], None]) -> None:
    _fail = fail
    _open_store = open_store

    @group.group()
    def install() -> None:
        """Connect a tool to alma-graph."""

    @install.command("claude-code")
    @click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
                  help="The project folder (where .mcp.json goes).")
    @click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
                  default=lambda: os.environ.get("ALMA_GRAPH_CONFIG", DEFAULT_CONFIG), show_default=DEFAULT_CONFIG,
                  help="Config file the server and hooks use.")
    @click.option("--hooks", is_flag=True, help="Also add hooks: retrieve on UserPromptSubmit, record on Stop.")
    @click.option("--agent", default="claude-code", show_default=True, help="The agent the hooks act as.")
    @click.option("--dry-run", is_flag=True, help="Print the changes instead of writing them.")
    def install_claude_code(project: Path, config: Path, hooks: bool, agent: str, dry_run: bool) -> None:
        """Write or merge .mcp.json (and with --hooks .claude/settings.json); running it again changes nothing."""
        from alma_graph.service.install import apply, plan
        from alma_graph.memory.validation import check_name

        try:
            check_name(agent)
            changes = plan(project, project / config if not config.is_absolute() else config, hooks, agent)
        except ALMAGraphError as exc:
            _fail(exc, False)
            return
        for change in changes:
            if not change.changed:
                click.echo(f"{change.path}: up to date")
            elif dry_run:
                click.echo(change.diff() or f"{change.path}: would be created")
            else:
                click.echo(f"{change.path}: {'updated' if change.before is not None else 'created'}")
        if not dry_run:
            apply(changes)

    @group.group()
    def hook() -> None:
        """Claude Code hooks (written by `alma-graph install claude-code --hooks`); they read the hook's JSON on stdin."""

    def _run_hook(config: Path, call: Callable[[Any], str | None]) -> None:
        """A hook must never block the user's session: failures go to stderr and exit 0."""
        try:
            with _open_store(config, False) as alma:
                out = call(alma)
        except ALMAGraphError as exc:
            click.echo(f"alma-graph hook: {type(exc).__name__}: {exc}", err=True)
            return
        if out:
            click.echo(out)

    @hook.command("prompt")
    @click.option("--agent", "-a", required=True)
    @click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CONFIG)
    @click.option("--max-tokens", type=click.IntRange(1), default=1500, show_default=True)
    def hook_prompt(agent: str, config: Path, max_tokens: int) -> None:
        """UserPromptSubmit: print the memories relevant to the prompt (Claude Code adds them as context)."""
        prompt = str(_hook_input().get("prompt") or "").strip()
        if not prompt:
            return
        _run_hook(config, lambda alma: run_tool(alma, "alma_retrieve", task=prompt[:4000], agent=agent,
                                                max_tokens=max_tokens)["prompt"])

    @hook.command("stop")
    @click.option("--agent", "-a", required=True)
    @click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CONFIG)
    def hook_stop(agent: str, config: Path) -> None:
        """Stop: record the session — its transcript is ingested as a conversation (again: adds only what is new)."""
        transcript = _hook_input().get("transcript_path")
        if not transcript or not Path(transcript).is_file():
            return

        def record(alma: Any) -> None:
            run_tool(alma, "alma_ingest", path=str(Path(transcript).resolve()), agent=agent, source="conversations",
                     format="claude_code")

        _run_hook(config, record)


