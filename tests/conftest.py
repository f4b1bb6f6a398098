"""Shared fixtures: real Kuzu stores on disk, the real MiniLM model (loaded once)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from alma_graph import ALMA
from alma_graph.embeddings import Embedder


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder()
    model.embed("warm up")  # load the model once per test session
    return model


@pytest.fixture
def make_alma(tmp_path, embedder) -> Callable[..., ALMA]:
    """Open an ALMA on a fresh on-disk store; extra keys go into the ``alma:`` config."""
    opened: list[ALMA] = []

    def factory(agents: dict[str, Any] | None = None, directory=None, **config: Any) -> ALMA:
        settings = {"project_id": "test", "storage": "kuzu", "storage_dir": str(directory or tmp_path / "store"),
                    "agents": agents or {}, **config}
        alma = ALMA(settings, embedder=embedder)
        opened.append(alma)
        return alma

    yield factory
    for alma in opened:
        alma.close()


@pytest.fixture
def alma(make_alma) -> ALMA:
    return make_alma()


def snapshot(alma: ALMA) -> dict[str, Any]:
    """Everything a failed write must leave unchanged."""
    rows = alma.store.find_memories()
    return {
        "nodes": alma.store.node_counts(),
        "generation": alma.store.generation(),
        "vectors": len(alma._index),
        "memories": sorted((r["id"], r["kind"], r["occurrence_count"], r["feedback"]) for r in rows),
    }
