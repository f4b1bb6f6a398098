"""Options of the ``alma-graph`` group that every command honours, wherever they are given.

``--config`` and ``--json`` work before the command (``alma-graph --json stats``) and after
it (``alma-graph stats --json``); with ``--json`` anywhere, a usage error is JSON on stdout too.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from alma_graph.interfaces import exitcodes

DEFAULT_CONFIG = ".alma/config.yaml"


def global_option(name: str, value: Any) -> Any:
    """An option given after the command, else the same option given before it (``alma-graph
    --config x.yaml stats`` and ``alma-graph stats --config x.yaml`` both work)."""
    if value not in (None, False):
        return value
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().params.get(name) if ctx is not None else value


def config_path(config: Path | None) -> Path:
    chosen = global_option("config", config)
    return Path(chosen) if chosen else Path(os.environ.get("ALMA_GRAPH_CONFIG", DEFAULT_CONFIG))


class MainGroup(click.Group):
    """The command group; with ``--json`` anywhere on the line, a usage error is JSON on stdout too."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            return super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            if "--json" in argv:
                click.echo(json.dumps({"error": {"type": "UsageError", "message": exc.format_message(),
                                                 "exit_code": exitcodes.USAGE}}))
            exc.show()
            sys.exit(exitcodes.USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(exitcodes.ERROR)
