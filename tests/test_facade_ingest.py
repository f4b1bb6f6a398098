"""Ingestion is reachable from the facade (and its async twin), not only from alma_graph.ingest."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

CHATS = Path(__file__).parent / "fixtures" / "chats"


@pytest.mark.kuzu_only
def test_facade_ingests_conversations_and_directories_once(alma, tmp_path):
    report = alma.ingest_conversations(CHATS / "text" / "standup.txt", "dev")
    assert report.ok and report.total_added > 0
    again = asyncio.run(alma.async_ingest_conversations(CHATS / "text" / "standup.txt", "dev"))
    assert again.total_added == 0 and again.total_duplicates == report.total_added

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "deploy.md").write_text("# Deploys\n\nThe payments service deploys with the blue-green script.\n")
    report = alma.ingest_directory(docs, "dev")
    assert report.total_added == 1
    found = alma.retrieve("how does the payments service deploy?", "dev").domain_knowledge
    assert any("blue-green" in k.fact for k in found)
