"""Graph stores behind one contract: embedded Kuzu (default) and a Neo4j server."""

from __future__ import annotations

from alma_graph.backends.base import GraphStore


def open_store(config, dimension: int) -> GraphStore:
    """The store the config names; backends are imported only when used."""
    if config.storage == "kuzu":
        from alma_graph.backends.kuzu import KuzuStore

        return KuzuStore(config.storage_dir, config.project_id, dimension)
    if config.storage == "neo4j":
        from alma_graph.backends.neo4j import Neo4jStore

        return Neo4jStore(config.neo4j, config.project_id, dimension)
    raise ValueError(f"unknown storage {config.storage!r}")  # config validation makes this unreachable


__all__ = ["GraphStore", "open_store"]
