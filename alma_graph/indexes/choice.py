"""Which indexes a store gets: ``retrieval.indexes`` is ``local`` (FAISS + BM25 in the
process, derived from the graph) or ``server`` (Neo4j's own vector and full-text
indexes; Neo4j only). Unset: local on Kuzu, server on Neo4j."""

from __future__ import annotations

from pathlib import Path

from alma_graph.backends.base import GraphStore
from alma_graph.backends.neo4j_search import ServerSearch
from alma_graph.config import ALMAConfig
from alma_graph.errors import ConfigError
from alma_graph.indexes.derived import DerivedIndexes
from alma_graph.indexes.embeddings import Embedder
from alma_graph.indexes.search import SearchIndexes
from alma_graph.indexes.server import ServerIndexes


def uses_server_indexes(config: ALMAConfig) -> bool:
    """``retrieval.indexes``, or the backend's default: the server's own on Neo4j."""
    return (config.retrieval.indexes or ("server" if config.storage == "neo4j" else "local")) == "server"


def open_indexes(config: ALMAConfig, store: GraphStore, embedder: Embedder) -> SearchIndexes:
    if not uses_server_indexes(config):
        return DerivedIndexes(store, embedder, Path(config.storage_dir) / "index")
    if not isinstance(store, ServerSearch):
        raise ConfigError(f"alma.retrieval.indexes: 'server' needs storage: neo4j (this store is {store.name}); "
                          "use 'local' or leave it unset")
    return ServerIndexes(store, embedder)
