"""Opening the store a config file describes: the one way the CLI and the MCP server do it."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alma_graph.alma import ALMA


def open_alma(config: str | os.PathLike, stdout_to_stderr: bool = False) -> "ALMA":
    """The store ``config`` describes (model and graph load lazily where they can), delivering
    the config's ``webhooks:`` until it is closed.
    ``stdout_to_stderr``: anything the loaders print goes to stderr (the MCP stdio wire)."""
    from alma_graph.alma import ALMA
    from alma_graph.config import load_config
    from alma_graph.interfaces.webhook_config import close_webhooks, start_configured_webhooks

    settings = load_config(config)
    with contextlib.redirect_stdout(sys.stderr) if stdout_to_stderr else contextlib.nullcontext():
        alma = ALMA(settings)
    try:
        hooks = start_configured_webhooks(alma)
    except BaseException:
        alma.close()
        raise
    alma.on_close.append(lambda: close_webhooks(hooks))
    return alma
