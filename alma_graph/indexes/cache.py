"""The FAISS index file beside an embedded store: a cache that is verified or rebuilt.

The graph is the source of truth. The cache file holds only vectors; who owns each
memory (and so who may see it) is read from the graph on every open, never from a
file. The cache is trusted only when the SHA-256 of ``vectors.faiss`` and the graph
generation it reflects match what the graph recorded when the file was written
(meta key ``vector_cache``), and when it holds exactly the graph's live memories.
Any damage — a missing, emptied, truncated, malformed or flipped file, an ``index``
path that is a file, a stale generation — logs a warning and means "rebuild from
the graph"; it never stops the store from opening.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from alma_graph.backends.base import GraphStore
from alma_graph.indexes.vectors import CATALOG_FILE, INDEX_FILE, VectorEntry, VectorIndex, label_of

log = logging.getLogger(__name__)

META_KEY = "vector_cache"


def _clear(directory: Path) -> None:
    """Make ``directory`` a usable folder: whatever else sits at that path goes."""
    if directory.is_symlink() or (directory.exists() and not directory.is_dir()):
        log.warning("index path %s is not a directory: removing it and rebuilding the index", directory)
        directory.unlink()


def load_vectors(directory: Path, store: GraphStore, dimension: int, generation: int,
                 entries: Sequence[VectorEntry]) -> VectorIndex | None:
    """The cached index with ``entries`` (owners and kinds from the graph), or None when it
    must be rebuilt (missing, damaged, stale or not matching the graph's live memories)."""
    try:
        _clear(directory)
        index_path = directory / INDEX_FILE
        recorded = json.loads(store.get_meta(META_KEY) or "{}")
        if not index_path.is_file():
            if recorded:  # the graph says one was saved
                log.warning("vector index at %s is missing: rebuilding it from the graph", directory)
            return None
        data = index_path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if recorded.get("sha256") != digest or recorded.get("generation") != generation \
                or recorded.get("dimension") != dimension:
            log.warning("vector index at %s does not match the graph (checksum or generation): rebuilding",
                        directory)
            return None
        import faiss

        raw = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        labels = set(faiss.vector_to_array(raw.id_map).tolist()) if hasattr(raw, "id_map") else None
        if raw.d != dimension or raw.ntotal != len(entries) or labels != {label_of(e.memory_id) for e in entries}:
            log.warning("vector index at %s holds other memories than the graph: rebuilding", directory)
            return None
    except Exception as exc:  # noqa: BLE001 - a damaged cache may fail anywhere; the graph can rebuild it
        log.warning("vector index at %s is unreadable (%s): rebuilding", directory, str(exc)[:200])
        return None
    return VectorIndex.from_faiss(raw, dimension, entries)


def save_vectors(index: VectorIndex, directory: Path, store: GraphStore, generation: int) -> None:
    """Write the index atomically and record its checksum and generation in the graph.
    A failure only costs a rebuild on the next open, so it is logged, not raised."""
    try:
        _clear(directory)
        directory.mkdir(parents=True, exist_ok=True)
        data = index.serialize()
        digest = hashlib.sha256(data).hexdigest()
        tmp = directory / (INDEX_FILE + ".tmp")
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, directory / INDEX_FILE)
        note = {"generation": generation, "dimension": index.dimension, "sha256": digest}
        store.set_meta(META_KEY, json.dumps(note))
        # For people only: the copy in the graph is the one trusted.
        (directory / CATALOG_FILE).write_text(json.dumps(note), encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - see above
        log.warning("could not save the vector index at %s (%s); it will be rebuilt on the next open",
                    directory, str(exc)[:200])

