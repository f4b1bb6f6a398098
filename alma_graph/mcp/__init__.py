"""MCP server for alma_graph on the official ``mcp`` SDK: ``python -m alma_graph.mcp --config …``.

See ``alma_graph.mcp.server`` and docs/mcp.md. The SDK is imported only when a
server is built, so importing this package stays cheap.
"""

from alma_graph.mcp.server import DEFAULT_HOST, DEFAULT_PORT, MCP_PATH, TOKEN_ENV, build_server, main, serve

__all__ = ["build_server", "serve", "main", "TOKEN_ENV", "DEFAULT_HOST", "DEFAULT_PORT", "MCP_PATH"]
