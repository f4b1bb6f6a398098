"""``python -m alma_graph.mcp`` (stdio) when a service runs: relay to its ``/mcp``.

Every Claude Code window starts its own stdio MCP server; with an embedded Kuzu
store only one process may open it. So when the config's store has a running
service (or ``ALMA_GRAPH_URL`` names one), the stdio process opens nothing
itself: it lists and calls the service's tools and resources over Streamable
HTTP, with the client token from ``ALMA_GRAPH_TOKEN``. The service applies that
client's rights. Nothing here loads torch, spaCy or Kuzu.
"""

from __future__ import annotations

import contextlib
from typing import Any

from alma_graph.service.client import ServiceClient


async def relay(service: ServiceClient, token: str | None) -> None:
    """Serve MCP on stdin/stdout, answering from the service, until the client disconnects."""
    import httpx2
    import mcp_types as types
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.server.lowlevel import Server
    from mcp.server.stdio import stdio_server

    from alma_graph import __version__

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(300, connect=30))
    async with contextlib.AsyncExitStack() as stack:
        upstream = await stack.enter_async_context(Client(streamable_http_client(f"{service.url}/mcp", http_client=http)))

        async def list_tools(_: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
            return await upstream.list_tools(cursor=params.cursor if params else None)

        async def call_tool(_: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
            return await upstream.call_tool(params.name, params.arguments or {})

        async def list_resources(_: Any, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
            return await upstream.list_resources(cursor=params.cursor if params else None)

        async def read_resource(_: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
            return await upstream.read_resource(str(params.uri))

        server = Server("alma-graph", version=__version__,
                        instructions=f"alma-graph memory, served by the service at {service.url}",
                        on_list_tools=list_tools, on_call_tool=call_tool,
                        on_list_resources=list_resources, on_read_resource=read_resource)
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())


def run(service: ServiceClient, token: str | None) -> None:
    import anyio

    anyio.run(relay, service, token)
