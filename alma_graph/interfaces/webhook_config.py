"""The config's ``webhooks:`` section, delivered by the CLI and the MCP server.

``interfaces.opening.open_alma`` — how every ``alma-graph`` command and ``serve mcp`` open a
store — starts one ``WebhookDispatcher`` per entry and closes them when the store closes
(delivering what is queued first, for at most ``CLOSE_TIMEOUT_SECONDS``). Python code gets
the same with ``open_alma(".alma/config.yaml")``.
"""

from __future__ import annotations

from typing import Any

from alma_graph.interfaces.webhooks import WebhookDispatcher

CLOSE_TIMEOUT_SECONDS = 10.0  # a closing store waits this long at most for queued deliveries


def start_configured_webhooks(alma: Any) -> list[WebhookDispatcher]:
    started: list[WebhookDispatcher] = []
    try:
        for hook in alma.config.webhooks:
            started.append(WebhookDispatcher(alma, hook.url, hook.secret, hook.events,
                                             timeout_seconds=hook.timeout_seconds, max_attempts=hook.max_attempts))
    except BaseException:
        close_webhooks(started)
        raise
    return started


def close_webhooks(dispatchers: list[WebhookDispatcher]) -> None:
    for dispatcher in dispatchers:
        dispatcher.close(CLOSE_TIMEOUT_SECONDS)
