"""``alma-graph``: the command line, mirroring the Python API.

    alma-graph init                                   # write a commented .alma/config.yaml
    alma-graph learn --agent qa --task "Test the login form" --strategy "Boundary values" --outcome success
    alma-graph retrieve "Test the signup form" --agent qa [--json | --prompt]
    alma-graph stats --json
    alma-graph ingest docs/ --agent dev                # or --conversations ~/chatgpt-export/conversations.json
    alma-graph context "Acme Corp" --agent dev         # an entity's relationships
    alma-graph serve mcp [--transport http]

Every command that touches a store takes ``--config`` (default ``.alma/config.yaml``
or ``$ALMA_GRAPH_CONFIG``) and ``--json`` (machine-readable output; errors as
``{"error": {...}}``). Exit codes are in ``alma_graph.interfaces.exitcodes`` and docs/cli.md.
Commands call the same functions as the MCP tools (``alma_graph.interfaces.tools``).
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from alma_graph.errors import ALMAGraphError, ConfigError
from alma_graph.interfaces import exitcodes as exitcodes
from alma_graph.interfaces.cli_options import DEFAULT_CONFIG, MainGroup, config_path, global_option
from alma_graph.interfaces.cli_tables import fmt_score, table
from alma_graph.interfaces.config_template import CONFIG_TEMPLATE

if TYPE_CHECKING:
    from alma_graph.alma import ALMA

# -- output ----------------------------------------------------------------------------------------

def _echo_json(data: Any) -> None:
    from alma_graph.interfaces.serialize import to_jsonable

    click.echo(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False))


# -- running a command against a store ----------------------------------------------------------------

def _fail(error: BaseException, as_json: bool) -> None:
    code = exitcodes.exit_code_for(error)
    kind = type(error).__name__
    if as_json:
        click.echo(json.dumps({"error": {"type": kind, "message": str(error), "exit_code": code}}))
    click.secho(f"error: {kind}: {error}", err=True, fg="red")
    sys.exit(code)


def run_tool(alma: Any, name: str, /, **arguments: Any) -> dict[str, Any]:
    """Run a registry tool here, or on the service when ``alma`` is a service client
    (without importing the registry: the thin path stays light)."""
    remote = getattr(alma, "call_tool", None)
    if remote is not None:
        return remote(name, arguments)
    from alma_graph.interfaces.tools import TOOLS

    return TOOLS[name](alma, **arguments)


def _open_store(config: Path, local: bool) -> Any:
    """A client of the running service for this store if there is one (docs/service.md), else the store."""
    if not local:
        from alma_graph.service.client import find_service

        service = find_service(config)
        if service is not None:
            return service
    from alma_graph.interfaces.opening import open_alma

    return open_alma(config)


def store_command(fn: Callable[..., Any] | None = None, *, local: bool = False) -> Any:
    """Add ``--config`` and ``--json``; open the store (or reach its service); map library errors
    to exit codes. ``local=True``: the command needs the store itself (it reads or writes files here).

    The wrapped function gets ``alma`` and ``as_json`` and returns ``(data, render)``:
    ``data`` is printed as JSON with ``--json``, else ``render(data)`` is printed."""
    if fn is None:
        return functools.partial(store_command, local=local)

    @click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of a table.")
    @click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  show_default=DEFAULT_CONFIG, help="Config file (or $ALMA_GRAPH_CONFIG); also accepted before the command.")
    @functools.wraps(fn)
    def wrapper(config: Path | None, as_json: bool, **kwargs: Any) -> None:
        as_json = bool(global_option("as_json", as_json))
        if "as_json" in inspect.signature(fn).parameters:
            kwargs["as_json"] = as_json
        try:
            with _open_store(config_path(config), local) as alma:
                data, render = fn(alma, **kwargs)
        except ALMAGraphError as exc:
            _fail(exc, as_json)
            return
        if as_json:
            _echo_json(data)
        else:
            click.echo(render(data))
        if isinstance(data, dict) and data.get("interrupted"):
            sys.exit(exitcodes.INTERRUPTED)
        if isinstance(data, dict) and data.get("ok") is False:  # e.g. an ingestion that left files out
            sys.exit(exitcodes.ERROR)

    return wrapper


# -- the commands -------------------------------------------------------------------------------------

@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="alma_graph", prog_name="alma-graph")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Config file for every command (or $ALMA_GRAPH_CONFIG; default .alma/config.yaml).")
@click.option("--json", "as_json", is_flag=True, help="JSON output (and JSON errors) for every command.")
def main(config: Path | None, as_json: bool) -> None:
    """Graph-first learning memory for AI agents (ALMA's API on Kuzu or Neo4j)."""


def _project_name(directory: Path) -> str:
    import re

    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", directory.resolve().name).strip("-.")[:64]
    return name or "my-project"


@main.command()
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              show_default=DEFAULT_CONFIG, help="Where to write the config.")
@click.option("--project-id", help="Project id (default: the folder's name).")
@click.option("--storage", type=click.Choice(["kuzu", "neo4j"]), default="kuzu", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def init(config: Path, project_id: str | None, storage: str, as_json: bool) -> None:
    """Write a commented config file; refuses to overwrite one."""
    from alma_graph.config import parse_config, project_folder

    config = Path(global_option("config", config) or DEFAULT_CONFIG)
    as_json = bool(global_option("as_json", as_json))
    try:
        if config.exists():
            raise ConfigError(f"{config} already exists; edit it, or remove it to start again")
        base = project_folder(config)
        text = CONFIG_TEMPLATE.format(project_id=project_id or _project_name(base), storage=storage)
        import yaml

        parse_config(yaml.safe_load(text), str(config))  # the template must always be valid
        config.parent.mkdir(parents=True, exist_ok=True)
        with open(config, "x", encoding="utf-8") as handle:  # "x": never clobber a file created meanwhile
            handle.write(text)
    except FileExistsError:
        _fail(ConfigError(f"{config} already exists; edit it, or remove it to start again"), as_json)
    except ALMAGraphError as exc:
        _fail(exc, as_json)
    except OSError as exc:
        _fail(ConfigError(f"cannot write {config}: {exc}"), as_json)
    if as_json:
        _echo_json({"config": str(config), "project_id": project_id or _project_name(base), "storage": storage})
    else:
        click.echo(f"wrote {config}. Next: alma-graph learn --help, or alma-graph serve mcp (see docs/mcp.md)")


@main.command()
@click.option("--storage-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the demo's store here (default: a temporary folder).")
def demo(storage_dir: Path | None) -> None:
    """Run the end-to-end demo on embedded Kuzu."""
    from alma_graph import demo as demo_module

    try:
        demo_module.main(["--storage-dir", str(storage_dir)] if storage_dir else [])
    except ALMAGraphError as exc:
        _fail(exc, False)


def _render_slice(data: dict[str, Any]) -> str:
    from alma_graph.interfaces.serialize import SLICE_KINDS

    rows = []
    for kind in SLICE_KINDS:
        for memory in data[kind]:
            rows.append([memory["kind"], fmt_score(memory["score"]), memory["id"][:8], memory["shared_from"] or "",
                         memory["text"]])
    head = f"{data['agent']}: {data['total_items']} memories for {data['query']!r} in {data['retrieval_time_ms']:.0f} ms"
    if data.get("load_time_ms"):
        head += f" (plus {data['load_time_ms']:.0f} ms loading the models, once per process)"
    if not rows:
        return head
    return head + "\n\n" + table(["KIND", "SCORE", "ID", "FROM", "TEXT"], rows)


@main.command()
@click.argument("task")
@click.option("--agent", "-a", required=True, help="The agent retrieving.")
@click.option("--top-k", type=click.IntRange(1, 1000), help="Memories per kind.")
@click.option("--user-id", "-u", help="Include this user's preferences.")
@click.option("--no-shared", is_flag=True, help="Only the agent's own memories.")
@click.option("--max-tokens", type=click.IntRange(1), default=2000, show_default=True, help="Budget of the prompt.")
@click.option("--prompt", "prompt_only", is_flag=True, help="Print only the prompt section (to_prompt()).")
@store_command
def retrieve(alma: "ALMA", task: str, agent: str, top_k: int | None, user_id: str | None, no_shared: bool,
             max_tokens: int, prompt_only: bool):
    """Memories relevant to TASK that an agent may see."""
    data = run_tool(alma, "alma_retrieve", task=task, agent=agent, top_k=top_k, user_id=user_id,
                                  include_shared=not no_shared, max_tokens=max_tokens)
    return data, (lambda d: d["prompt"] or "(no memories)") if prompt_only else _render_slice


@main.command()
@click.option("--agent", "-a", required=True, help="The agent that did the task.")
@click.option("--task", "-t", required=True, help="The task that was done.")
@click.option("--strategy", "-s", "strategy_used", required=True, help="How it was approached.")
@click.option("--outcome", "-o", required=True, help="success or failure (also true/false, pass/fail).")
@click.option("--task-type", help="Category, scope-checked against the agent's can_learn (default: general).")
@click.option("--duration-ms", type=click.IntRange(0), help="How long it took.")
@click.option("--error", "error_message", help="What went wrong, for a failure.")
@click.option("--feedback", help="The user's feedback.")
@store_command
def learn(alma: "ALMA", agent: str, task: str, strategy_used: str, outcome: str, task_type: str | None,
          duration_ms: int | None, error_message: str | None, feedback: str | None):
    """Record the outcome of a task.

    Similar successes become a heuristic and similar failures an anti-pattern."""
    data = run_tool(alma, "alma_learn", agent=agent, task=task, outcome=outcome, strategy_used=strategy_used,
                               task_type=task_type, duration_ms=duration_ms, error_message=error_message,
                               feedback=feedback)

    def render(d: dict[str, Any]) -> str:
        o = d["outcome"]
        return (f"recorded {'success' if o['success'] else 'failure'} {o['id']} for {o['agent']} "
                f"(task type {o['task_type']})")

    return data, render


@main.command("add-knowledge")
@click.argument("fact")
@click.option("--agent", "-a", required=True, help="The agent that knows it.")
@click.option("--domain", "-d", required=True, help="Domain, scope-checked against the agent's can_learn.")
@click.option("--source", default="user", show_default=True, help="Where the fact came from.")
@click.option("--confidence", type=click.FloatRange(0, 1), default=1.0, show_default=True)
@store_command
def add_knowledge(alma: "ALMA", fact: str, agent: str, domain: str, source: str, confidence: float):
    """Record FACT in a domain the agent may learn."""
    data = run_tool(alma, "alma_add_knowledge", agent=agent, domain=domain, fact=fact, source=source,
                                       confidence=confidence)
    return data, lambda d: f"added {d['knowledge']['id']} [{d['knowledge']['domain']}] {d['knowledge']['fact']}"


def _render_stats(data: dict[str, Any]) -> str:
    head = [["project", data["project_id"]], ["storage", f"{data['storage']} at {data['location']}"],
            ["memories", data["total_memories"]], ["archived", data["archived"]],
            ["indexed vectors", data["indexed_vectors"]]]
    if data.get("agent"):
        head.insert(1, ["agent", data["agent"]])
    parts = [table(["", ""], head).split("\n", 2)[2]]
    parts.append(table(["KIND", "MEMORIES"], sorted(data["by_kind"].items())))
    if data["by_agent"]:
        parts.append(table(["AGENT", "MEMORIES"], sorted(data["by_agent"].items())))
    if data.get("graph"):
        parts.append(table(["NODE", "COUNT"], sorted(data["graph"].items())))
    return "\n\n".join(parts)


@main.command()
@click.option("--agent", "-a", help="Only this agent's memories.")
@store_command
def stats(alma: "ALMA", agent: str | None):
    """Counts per kind and agent, and graph size."""
    return run_tool(alma, "alma_stats", agent=agent), _render_stats


def _render_transfer(data: dict) -> str:
    rows = [[f"node {k}", v] for k, v in sorted(data["nodes"].items())]
    rows += [[f"edge {k}", v] for k, v in sorted(data["edges"].items())]
    rows += [["memories created", data["memories_created"]], ["memories updated", data["memories_updated"]],
             ["vectors derived", data["vectors_derived"]]]
    return f"project {data['project_id']}\n" + table(["", "COUNT"], rows)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-vectors", is_flag=True, help="Leave embeddings out; an import re-derives them.")
@store_command(local=True)
def export(alma: "ALMA", path: Path, no_vectors: bool):
    """Back the project up to a JSON-lines file (every node, edge and property)."""
    from alma_graph.interfaces.transfer import export_jsonl

    return export_jsonl(alma, path, vectors=not no_vectors).as_dict(), _render_transfer


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--new-ids", is_flag=True, help="Give memories new ids (a second copy on the same Neo4j server).")
@store_command(local=True)
def import_(alma: "ALMA", path: Path, new_ids: bool):
    """Restore a JSON-lines backup into this config's store; running it again adds nothing.
    To move an embedded Kuzu store up to Neo4j: export here, import with a neo4j config."""
    from alma_graph.interfaces.transfer import import_jsonl

    return import_jsonl(alma, path, new_ids=new_ids).as_dict(), _render_transfer


def _interactive() -> bool:
    """Whether a person can answer a prompt (not a script, a pipe or --json)."""
    return sys.stdin.isatty()


def _memory_rows(rows: list[dict[str, Any]], when: str = "updated_at") -> list[list[Any]]:
    return [[r["id"], r["kind"], r["agent"] or (f"user:{r['user_id']}" if r.get("user_id") else ""),
             str(r[when] or "")[:19], " ".join((r["text"] or "").split())] for r in rows]


def _memory_table(rows: list[dict[str, Any]], when: str = "updated_at") -> str:
    return table(["ID", "KIND", "AGENT", when.upper().replace("_AT", ""), "TEXT"], _memory_rows(rows, when))


@main.command()
@click.option("--agent", "-a", help="Only this agent's memories.")
@click.option("--older-than-days", type=click.FloatRange(0), help="Only memories older than this.")
@click.option("--below-confidence", type=click.FloatRange(0, 1), help="Only memories less confident than this.")
@click.option("--id", "memory_ids", multiple=True,
              help="Only this memory (repeatable); a unique prefix of its id is enough, like git.")
@click.option("--kind", type=click.Choice(["heuristic", "outcome", "preference", "domain_knowledge", "anti_pattern"]),
              help="Only memories of this kind.")
@click.option("--dry-run", is_flag=True, help="Only list what would be archived.")
@click.option("--yes", "-y", is_flag=True, help="Archive without asking (needed when not at a terminal).")
@store_command(local=True)  # reads the store itself (previews, prefixes, the audit log)
def forget(alma: "ALMA", agent: str | None, older_than_days: float | None, below_confidence: float | None,
           memory_ids: tuple[str, ...], kind: str | None, dry_run: bool, yes: bool, as_json: bool):
    """Archive memories matching every criterion given; lists them, and asks first.

    Archived memories leave retrieval but are not deleted: `alma-graph archived` lists them,
    `alma-graph restore ID` brings them back, `alma-graph audit` shows every archive."""
    from alma_graph.errors import ValidationError
    from alma_graph.interfaces.id_prefix import resolve_memory_ids
    from alma_graph.lifecycle.forget import forget_candidates
    from alma_graph.memory.records import utcnow

    ids = resolve_memory_ids(alma.store, memory_ids) if memory_ids else None
    rows = forget_candidates(alma.context, utcnow(), agent, older_than_days, below_confidence, ids, kind)
    data: dict[str, Any] = {"dry_run": dry_run, "archived": 0, "memory_ids": [r["id"] for r in rows]}
    if rows and not dry_run and not yes:
        if as_json or not _interactive():
            raise ValidationError(f"forget would archive {len(rows)} memories: pass --yes to archive them "
                                  "(or --dry-run to list them)")
        click.echo(_memory_table(rows), err=True)
        if not click.confirm(f"Archive these {len(rows)} memories?", err=True):
            data["memory_ids"] = []
            return data, lambda d: "nothing archived"
    if rows and not dry_run:
        data["archived"] = alma.forget(memory_ids=[r["id"] for r in rows])

    def render(d: dict[str, Any]) -> str:
        if not rows:
            return "no memory matches: nothing archived"
        verb = "would archive" if dry_run else "archived"
        tail = "" if dry_run else "\n(alma-graph restore ID brings one back)"
        return f"{verb} {len(rows)} memories:\n" + _memory_table(rows) + tail

    return data, render


@main.command()
@click.argument("memory_ids", nargs=-1, required=True)
@store_command(local=True)  # reads the store itself (previews, prefixes, the audit log)
def restore(alma: "ALMA", memory_ids: tuple[str, ...]):
    """Bring archived memories back into retrieval (ids or unique prefixes, like git)."""
    from alma_graph.interfaces.id_prefix import resolve_memory_ids
    from alma_graph.interfaces.tools import TOOLS

    ids = resolve_memory_ids(alma.store, memory_ids)
    data = {**TOOLS["alma_restore"](alma, memory_ids=ids), "memory_ids": ids}
    return data, lambda d: f"restored {d['restored']} memories" + (
        f" ({len(ids) - d['restored']} were not archived)" if d["restored"] < len(ids) else "")


@main.command()
@click.option("--agent", "-a", help="Only this agent's memories.")
@click.option("--kind", type=click.Choice(["heuristic", "outcome", "preference", "domain_knowledge", "anti_pattern"]),
              help="Only memories of this kind.")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True, help="At most this many, newest first.")
@store_command(local=True)  # reads the store itself (previews, prefixes, the audit log)
def archived(alma: "ALMA", agent: str | None, kind: str | None, limit: int):
    """List archived memories (what `restore` can bring back), newest first."""
    rows = alma.store.find_memories(archived=True, agents=[agent] if agent else None, kind=kind)
    rows.sort(key=lambda r: str(r["updated_at"] or ""), reverse=True)
    rows = rows[:limit]
    from alma_graph.interfaces.serialize import to_jsonable

    data = {"archived": [{k: to_jsonable(r[k]) for k in ("id", "kind", "agent", "user_id", "text", "updated_at")}
                         for r in rows]}
    return data, lambda d: _memory_table(rows) if rows else "no archived memories"


@main.command()
@click.option("--action", type=click.Choice(["forget", "restore", "consolidate", "decay"]), help="Only this action.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="At most this many.")
@store_command(local=True)  # reads the store itself (previews, prefixes, the audit log)
def audit(alma: "ALMA", action: str | None, limit: int):
    """The audit log: every archive, restore, merge and decay run, newest first, with the memory ids."""
    from alma_graph.interfaces.serialize import to_jsonable

    records = alma.audit_log(action=action, limit=limit)

    def render(d: dict[str, Any]) -> str:
        if not records:
            return "the audit log is empty"
        return table(["WHEN", "ACTION", "COUNT", "AGENT", "MEMORIES"],
                     [[str(r.created_at)[:19], r.action, r.count, r.agent or "",
                       " ".join(i[:8] for i in r.memory_ids)] for r in records])

    return {"audit": to_jsonable(records)}, render


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--agent", "-a", required=True, help="The agent whose memory it goes into.")
@click.option("--directory", "source", flag_value="directory", default=True,
              help="PATH holds text, Markdown and code files (default).")
@click.option("--conversations", "source", flag_value="conversations",
              help="PATH is a chat export, or a folder of them (Claude Code, ChatGPT, Claude.ai, Codex, Slack, text).")
@click.option("--domain", "-d", help="File everything under this domain (scope-checked).")
@click.option("--user-id", "-u", help="Conversations: whose preferences the user turns state.")
@click.option("--format", "chat_format", help="Conversations: force a chat format instead of detecting it.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: on a terminal).")
@store_command(local=True)
def ingest(alma: "ALMA", path: Path, agent: str, source: str, domain: str | None, user_id: str | None,
           chat_format: str | None, progress: bool | None):
    """Read files or chat exports into an agent's memory (again: adds nothing new).

    Exits 1 when some file could not be read or some item not written; the report says which."""
    from alma_graph.ingest.errors import IngestInterrupted
    from alma_graph.interfaces.tools import run_ingest

    try:
        report = run_ingest(alma, path, agent, source, domain, user_id, chat_format, show_progress=progress)
    except IngestInterrupted as stop:  # Ctrl-C: report what was kept; the wrapper exits 130
        report = stop.report
    except KeyboardInterrupt:
        click.echo("interrupted while reading the files; nothing was written", err=True)
        sys.exit(exitcodes.INTERRUPTED)
    return {**report.as_dict(), "ok": report.ok}, lambda _: report.summary()


def _render_context(data: dict[str, Any]) -> str:
    head = f"{data['entity']} ({data['type']}): {len(data['facts'])} facts, {len(data['memories'])} memories"
    rows = [[f["subject"], f["predicate"], f["object"], "" if f["current"] else f"until {f['valid_to'][:10]}",
             f["memory_id"][:8]] for f in data["facts"]]
    parts = [head]
    if rows:
        parts.append(table(["SUBJECT", "PREDICATE", "OBJECT", "VALID", "MEMORY"], rows))
    if data["memories"]:
        parts.append(table(["MEMORY", "AGENT", "TEXT"], [[m["id"][:8], m["agent"], m["text"]] for m in data["memories"]]))
    return "\n\n".join(parts)


@main.command()
@click.argument("entity")
@click.option("--agent", "-a", required=True, help="The agent asking (what it may see).")
@click.option("--hops", type=click.IntRange(1, 4), default=2, show_default=True, help="Relationship hops.")
@store_command
def context(alma: "ALMA", entity: str, agent: str, hops: int):
    """An entity's relationships and the memories that mention it."""
    return run_tool(alma, "alma_entity_context", name=entity, agent=agent, hops=hops), _render_context


@main.group(invoke_without_command=True)
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              default=lambda: os.environ.get("ALMA_GRAPH_CONFIG", DEFAULT_CONFIG), show_default=DEFAULT_CONFIG,
              help="Config file (or $ALMA_GRAPH_CONFIG).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Bind address; a non-loopback one needs alma.server.clients in the config.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port (0: any free one; clients find it in the discovery file).")
@click.option("--allow-path", "allow_paths", multiple=True, type=click.Path(file_okay=False),
              help="A folder alma_ingest may read (repeatable; default: the project folder of --config).")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]), default="WARNING",
              show_default=True)
@click.pass_context
def serve(ctx: click.Context, config: Path, host: str, port: int, allow_paths: tuple[str, ...], log_level: str) -> None:
    """Run the knowledge service (REST /v1 and MCP /mcp on one port); see docs/service.md.

    `alma-graph serve mcp` runs the stand-alone MCP server instead."""
    if ctx.invoked_subcommand is not None:
        return
    from alma_graph.service.runner import serve as run_service

    code = exitcodes.OK
    try:
        run_service(config, host, port, list(allow_paths) or None, log_level)
    except ALMAGraphError as exc:
        code = exitcodes.exit_code_for(exc)
        click.secho(f"error: {type(exc).__name__}: {exc}", err=True, fg="red")
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:  # SIGTERM, after the store was closed
        code = exc.code if isinstance(exc.code, int) else exitcodes.OK
    sys.stdout.flush()
    sys.stderr.flush()
    # The store is closed and the discovery file gone. Exit at once: the interpreter's final
    # garbage collection can hang on Kuzu objects that worker threads used.
    os._exit(code)


@serve.command("mcp")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              show_default=DEFAULT_CONFIG, help="Config file (or $ALMA_GRAPH_CONFIG); also accepted before the command.")
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="HTTP bind address; any non-loopback one needs $ALMA_GRAPH_MCP_TOKEN.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="HTTP port.")
@click.option("--allow-path", "allow_paths", multiple=True, type=click.Path(file_okay=False),
              help="A folder alma_ingest may read (repeatable; default: the project folder of --config).")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]), default="WARNING",
              show_default=True)
def serve_mcp(config: Path | None, transport: str, host: str, port: int, allow_paths: tuple[str, ...],
              log_level: str) -> None:
    """The MCP server (stdio, or Streamable HTTP at /mcp). See docs/mcp.md."""
    from alma_graph.mcp.server import relay_to_service
    from alma_graph.mcp.server import serve as serve_mcp_server

    try:
        config = config_path(config)
        if transport == "stdio" and relay_to_service(config):  # a knowledge service owns the store
            return
        serve_mcp_server(config, transport, host, port, log_level, list(allow_paths) or None)
    except ALMAGraphError as exc:
        _fail(exc, False)


def _add_memory_commands() -> None:
    """get, list, update, history, delete, erase-user (alma_graph.interfaces.memory_cli)."""
    from alma_graph.interfaces.memory_cli import add_commands

    add_commands(main, store_command, table)


_add_memory_commands()


def _find_benchmark(name: str) -> Path | None:
    for root in (Path.cwd(), Path(__file__).resolve().parent.parent):
        candidate = root / "benchmarks" / name
        if candidate.is_file():
            return candidate
    return None


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where the results JSON goes: a folder or a .json file (default: the current folder).")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(out: Path | None, args: tuple[str, ...]) -> None:
    """Run the retrieve latency benchmark; the results JSON goes to the current folder or --out.

    Runs benchmarks/retrieve_latency.py from a source checkout; extra ARGS are passed on,
    e.g. `alma-graph bench --sizes 1000`."""
    script = _find_benchmark("retrieve_latency.py")
    if script is None:
        click.secho("error: benchmarks/retrieve_latency.py not found: it ships with the source repository, "
                    "not the installed package; run this from a checkout", err=True, fg="red")
        sys.exit(exitcodes.ERROR)
    target = (out or Path.cwd()).resolve()  # never into the checkout unless asked
    sys.exit(subprocess.call([sys.executable, str(script), "--out", str(target), *args]))


def _register_claude_code() -> None:
    from alma_graph.service.claude_code import add_commands

    add_commands(main, open_store=_open_store, run_tool=run_tool, fail=_fail)


_register_claude_code()

if __name__ == "__main__":  # pragma: no cover
    main()
