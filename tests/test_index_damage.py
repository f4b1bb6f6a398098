"""Issue #12 items 3 and 4: the vector index file is a cache. Damage means a warning and a
rebuild from the graph, never a failed open; visibility comes from the graph, not the file.
(Local indexes: the embedded default, and ``retrieval.indexes: local`` on Neo4j.)"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from alma_graph.indexes.vectors import CATALOG_FILE, INDEX_FILE

from index_checks import assert_indexes_match_graph

AGENTS = {"alice": {}, "bob": {}}  # no sharing: neither may read the other's memories
LOCAL = {"indexes": "local"}  # the FAISS file beside the store (on Neo4j an option; the server's own indexes keep no file)


def fill(alma) -> None:
    alma.add_knowledge_batch([
        {"agent": "alice", "domain": "payments", "fact": f"Alice's payment note {i}: retries use backoff {i}"}
        for i in range(6)] + [
        {"agent": "bob", "domain": "payments", "fact": f"Bob's payment note {i}: refunds take {i} days"}
        for i in range(6)])


def owners_seen(alma, agent: str) -> set[str]:
    found = alma.retrieve("payment note retries refunds", agent, top_k=20).domain_knowledge
    return {m.agent for m in found}


def flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for offset in range(len(data) // 2, len(data) // 2 + 64):  # inside the vectors: FAISS still loads it
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def tamper_owners(index_dir: Path) -> None:
    """The catalog (in the format that once held owners) hands every memory to bob."""
    note = json.loads((index_dir / CATALOG_FILE).read_text())
    note["entries"] = [[memory_id, "bob", "domain_knowledge"] for memory_id in MEMORY_IDS]
    (index_dir / CATALOG_FILE).write_text(json.dumps(note))


MEMORY_IDS: list[str] = []


DAMAGE = {
    "emptied": lambda d: (d / INDEX_FILE).write_bytes(b""),
    "truncated": lambda d: (d / INDEX_FILE).write_bytes((d / INDEX_FILE).read_bytes()[:1000]),
    "malformed": lambda d: (d / INDEX_FILE).write_bytes(b"not a faiss index" * 100),
    "flipped bytes": lambda d: flip_bytes(d / INDEX_FILE),
    "deleted": lambda d: (d / INDEX_FILE).unlink(),
    "catalog malformed": lambda d: (d / CATALOG_FILE).write_text('{"generation": 3, "entries": [[1]]'),
    "catalog without entries": lambda d: (d / CATALOG_FILE).write_text('{"generation": 99, "dimension": 384}'),
    "tampered owners": tamper_owners,
    "replaced by a file": lambda d: (shutil.rmtree(d), d.write_text("not a folder")),
    "replaced by a symlink": lambda d: (shutil.rmtree(d), d.symlink_to("/nonexistent/index")),
}
REBUILDS = {"emptied", "truncated", "malformed", "flipped bytes", "deleted", "replaced by a file",
            "replaced by a symlink"}


def test_every_kind_of_index_damage_opens_heals_and_keeps_visibility(make_alma, backend, tmp_path, caplog, capsys):
    directory = tmp_path / "store"
    alma = make_alma(agents=AGENTS, directory=directory, retrieval=LOCAL)
    fill(alma)
    assert owners_seen(alma, "alice") == {"alice"} and owners_seen(alma, "bob") == {"bob"}
    MEMORY_IDS[:] = [r["id"] for r in alma.store.memory_texts()]
    alma.close()
    index_dir = directory / "index"
    healed = []
    for name, damage in DAMAGE.items():
        damage(index_dir)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="alma_graph"):
            alma = make_alma(agents=AGENTS, directory=directory, retrieval=LOCAL)  # opens: no exception
        if name in REBUILDS:
            assert "rebuild" in caplog.text, name
        assert_indexes_match_graph(alma)
        assert owners_seen(alma, "alice") == {"alice"}, name
        assert owners_seen(alma, "bob") == {"bob"}, name
        alma.close()  # saves a good cache again
        assert index_dir.is_dir() and not index_dir.is_symlink(), name
        healed.append(name)
    with capsys.disabled():
        print(f"\nindex damage[{backend}]: {len(healed)} cases opened, healed and kept visibility: "
              f"{', '.join(healed)}")

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="alma_graph"):
        alma = make_alma(agents=AGENTS, directory=directory, retrieval=LOCAL)
    assert "rebuild" not in caplog.text  # the healed cache is trusted again
    alma.close()


def test_a_cache_from_another_generation_is_not_trusted(make_alma, backend, tmp_path, caplog):
    """A cache file copied back from before later writes (or from another store) is rebuilt."""
    directory = tmp_path / "store"
    alma = make_alma(agents=AGENTS, directory=directory, retrieval=LOCAL)
    alma.add_knowledge("alice", "payments", "Alice's first payment note")
    alma.close()
    old = (directory / "index" / INDEX_FILE).read_bytes()
    alma = make_alma(agents=AGENTS, directory=directory, retrieval=LOCAL)
    alma.add_knowledge("bob", "payments", "Bob's first payment note")
    alma.close()
    (directory / "index" / INDEX_FILE).write_bytes(old)
    with caplog.at_level(logging.WARNING, logger="alma_graph"):
        alma = make_alma(agents=AGENTS, directory=directory, retrieval=LOCAL)
    assert "rebuild" in caplog.text
    assert assert_indexes_match_graph(alma) == 2


def test_a_rebuild_embeds_the_memories_the_graph_holds_no_vector_for(make_alma, tmp_path):
    """Memories stored without a vector (written by hand, or by an older version) are embedded
    when the index is rebuilt, written back to the graph, and found by their meaning."""
    directory = tmp_path / "store"
    alma = make_alma(agents=AGENTS, directory=directory, retrieval=LOCAL)
    fill(alma)
    bare = alma.add_knowledge("alice", "payments", "Card payments settle through the Adyen gateway")
    alma.store.update_memory(bare.id, {"embedding": None})
    alma.close()
    shutil.rmtree(directory / "index")

    alma = make_alma(agents=AGENTS, directory=directory, retrieval=LOCAL)
    rows, vectors = alma.store.memory_vectors()
    assert not np.isnan(vectors).any() and len(rows) == 13  # written back, every one
    assert assert_indexes_match_graph(alma) == 13
    found = alma.retrieve("Which gateway settles card payments?", "alice", top_k=1, recipe="similarity_only")
    assert [m.id for m in found.all()] == [bare.id]
    alma.close()
