"""Ways in and out above the facade: the tool layer (MCP, CLI), JSON views, exit codes, backups, webhooks, the harness."""
