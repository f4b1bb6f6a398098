"""Ingestion: project files and chat exports → ALMA's typed memories.

    from alma_graph import ALMA
    from alma_graph.ingest import ingest_directory, ingest_conversations

    alma = ALMA.quickstart(".alma")
    print(ingest_directory(alma, "docs/", agent="dev").summary())
    print(ingest_conversations(alma, "~/Downloads/chatgpt-export/conversations.json", agent="dev",
                               user_id="dana").summary())

Pipeline: parse (``formats``) → classify by rules (``classify``) → chunk
(``chunking``) → deterministic ids (``items``) → skip what is already stored
(``dedupe``) → write through ALMA's public methods, which validate, scope-check,
embed and store (``writer``) → ``IngestReport`` (``report``).
"""

from __future__ import annotations

from alma_graph.ingest.conversations import ingest_conversations
from alma_graph.ingest.directory import ingest_directory
from alma_graph.ingest.errors import IngestError, IngestInterrupted, MalformedFileError, UnknownFormatError
from alma_graph.ingest.formats import FORMATS, parse_file
from alma_graph.ingest.report import IngestReport
from alma_graph.ingest.turns import Conversation, Turn

__all__ = [
    "ingest_directory", "ingest_conversations", "IngestReport", "IngestError", "IngestInterrupted", "MalformedFileError",
    "UnknownFormatError", "FORMATS", "parse_file", "Conversation", "Turn",
]
