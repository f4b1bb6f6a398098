"""CLI commands for single memories: get, list, update, history, delete, erase-user.

    alma-graph get 3f2a9c1e --agent dev
    alma-graph list --agent dev [--kind domain_knowledge] [--limit 20] [--cursor C] [--archived]
    alma-graph update 3f2a9c1e --agent dev --text "Bob works at Globex" [--confidence 0.8] [--metadata '{...}']
    alma-graph history 3f2a9c1e --agent dev
    alma-graph delete 3f2a9c1e --agent dev [--hard] [--yes]
    alma-graph erase-user dana [--yes]

Each calls the tool of the same name (``alma_graph.interfaces.memory_tools``). ``delete --hard``
and ``erase-user`` cannot be undone: they ask first unless ``--yes`` is given (a
script without a terminal must pass it). ``cli.py`` adds these commands to its group
through ``add_commands``, handing over its store decorator and table renderer.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from alma_graph.interfaces import exitcodes

KINDS = ["heuristic", "outcome", "preference", "domain_knowledge", "anti_pattern"]


def _confirm(question: str, yes: bool) -> None:
    """Ask before an erasure; without a terminal, --yes is required."""
    if yes:
        return
    if not sys.stdin.isatty():
        click.secho("error: this cannot be undone; pass --yes to confirm without a terminal", err=True, fg="red")
        sys.exit(exitcodes.USAGE)
    if not click.confirm(question, default=False, err=True):
        click.echo("nothing erased", err=True)
        sys.exit(exitcodes.OK)


def _memory_line(m: dict[str, Any]) -> list[Any]:
    flags = "archived" if m.get("archived") else ""
    return [m["id"][:8], m["kind"], m.get("agent") or "", m.get("created_at", "")[:19], flags, m.get("text", "")]


def add_commands(group: click.Group, store_command: Callable[..., Any], table: Callable[..., str]) -> None:
    """Attach the commands to the ``alma-graph`` group."""
    from alma_graph.interfaces.tools import TOOLS

    headers = ["ID", "KIND", "AGENT", "CREATED", "", "TEXT"]

    def render_one(d: dict[str, Any]) -> str:
        m = d["memory"]
        lines = [f"{k}: {v}" for k, v in m.items() if v not in (None, "", {}, []) and k not in ("score_breakdown", "score")]
        return "\n".join(lines)

    @group.command("get")
    @click.argument("memory_id")
    @click.option("--agent", "-a", required=True, help="The agent reading (what it may see).")
    @store_command
    def get(alma: Any, memory_id: str, agent: str):
        """One memory by id (or a prefix of at least 8 characters)."""
        return TOOLS["alma_get"](alma, memory_id=memory_id, agent=agent), render_one

    @group.command("list")
    @click.option("--agent", "-a", required=True, help="The agent reading (its own, inherited and shared memories).")
    @click.option("--kind", type=click.Choice(KINDS), help="Only this kind.")
    @click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
    @click.option("--cursor", help="The next_cursor a previous page printed.")
    @click.option("--archived", "include_archived", is_flag=True, help="Also archived memories and older versions.")
    @store_command
    def list_(alma: Any, agent: str, kind: str | None, limit: int, cursor: str | None, include_archived: bool):
        """The memories an agent may read, newest first."""
        data = TOOLS["alma_list"](alma, agent=agent, kind=kind, limit=limit, cursor=cursor,
                                  include_archived=include_archived)

        def render(d: dict[str, Any]) -> str:
            out = table(headers, [_memory_line(m) for m in d["memories"]]) if d["memories"] else "(no memories)"
            return out + (f"\n\nnext page: --cursor {d['next_cursor']}" if d["next_cursor"] else "")

        return data, render

    @group.command("update")
    @click.argument("memory_id")
    @click.option("--agent", "-a", required=True, help="The agent that owns the memory.")
    @click.option("--text", help="The corrected statement.")
    @click.option("--metadata", help="New metadata, a JSON object.")
    @click.option("--confidence", type=click.FloatRange(0, 1))
    @store_command
    def update(alma: Any, memory_id: str, agent: str, text: str | None, metadata: str | None,
               confidence: float | None):
        """Correct a memory: a new version replaces it, the old one is kept (see `history`)."""
        from alma_graph.errors import ValidationError

        parsed = None
        if metadata is not None:
            try:
                parsed = json.loads(metadata)
            except ValueError as exc:
                raise ValidationError(f"--metadata must be a JSON object: {exc}") from None
        data = TOOLS["alma_update"](alma, memory_id=memory_id, agent=agent, text=text, metadata=parsed,
                                    confidence=confidence)
        return data, lambda d: f"updated: new version {d['memory']['id']} supersedes {d['supersedes']}"

    @group.command("history")
    @click.argument("memory_id")
    @click.option("--agent", "-a", required=True, help="The agent reading.")
    @store_command
    def history(alma: Any, memory_id: str, agent: str):
        """Every version of a memory, newest first."""
        data = TOOLS["alma_history"](alma, memory_id=memory_id, agent=agent)
        return data, lambda d: table(headers, [_memory_line(m) for m in d["versions"]])

    @group.command("delete")
    @click.argument("memory_id")
    @click.option("--agent", "-a", required=True, help="The agent that owns the memory.")
    @click.option("--hard", is_flag=True, help="Erase for good (all versions, index entries, facts) instead of archiving.")
    @click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation of --hard.")
    @store_command
    def delete(alma: Any, memory_id: str, agent: str, hard: bool, yes: bool):
        """Archive a memory (`restore` brings it back), or erase it with --hard."""
        if hard:
            memory = TOOLS["alma_get"](alma, memory_id=memory_id, agent=agent)["memory"]
            _confirm(f"Erase memory {memory['id']} and all its versions for good?", yes)
        data = TOOLS["alma_delete"](alma, memory_id=memory_id, agent=agent, hard=hard)

        def render(d: dict[str, Any]) -> str:
            if not d["hard"]:
                return f"archived {d['archived']} memory ({d['id']}); `alma-graph restore {d['id']}` brings it back"
            return (f"erased {d['memories']} memories (with versions), {d['facts']} facts, {d['entities']} entities, "
                    f"{d['tasks']} tasks")

        return data, render

    @group.command("erase-user")
    @click.argument("user_id")
    @click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
    @store_command
    def erase_user(alma: Any, user_id: str, yes: bool):
        """Erase everything stated by or about a user, for good."""
        _confirm(f"Erase every memory stated by or about user {user_id!r} for good?", yes)
        data = TOOLS["alma_erase_user"](alma, user_id=user_id)
        return data, lambda d: (f"erased user {d['user_id']}: {d['memories']} memories, {d['facts']} facts, "
                                f"{d['entities']} entities, {d['users']} user node")
