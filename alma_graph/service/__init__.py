"""The knowledge service: one process owns the store and serves REST (``/v1``) and MCP
(``/mcp``) to authenticated clients (``alma-graph serve``, docs/service.md).

Modules: ``runner`` (start, warm up, stop), ``app`` (the ASGI app), ``routes`` (REST),
``schemas`` (REST bodies), ``auth`` (clients as identities), ``errors`` (HTTP statuses),
``discovery`` (how clients find the service), ``client`` (the thin client), ``proxy``
(stdio MCP to the service), ``install`` (Claude Code set-up). Importing this package
loads none of them.
"""
