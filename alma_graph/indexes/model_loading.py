"""Loading the models once, on purpose, so the time is reported as loading.

The embedding model (MiniLM, via ONNX Runtime) and the spaCy pipeline are loaded on first use
and cached per process. Their first use costs seconds; without this, that cost shows up
as the first retrieve's ``retrieval_time_ms`` or as an ingestion progress bar stuck at
0 %. Commands that need neither (stats, forget, restore, export, archived, audit) never
call this, and so never load the models or import spaCy.
"""

from __future__ import annotations

import time


def models_loaded(spacy: bool = True, int8: bool = False) -> bool:
    """Whether the models are already in this process (then loading costs nothing)."""
    from alma_graph.indexes import embeddings
    from alma_graph.extractors import spacy_model

    return (embeddings._model is not None and (not int8 or embeddings._int8_model is not None)
            and (not spacy or spacy_model.DEFAULT_MODEL in spacy_model._cache))


def load_models(spacy: bool = True, int8: bool = False) -> float:
    """Load what is not loaded yet; the milliseconds it took (0.0 when all were loaded).
    ``int8``: also the quantised query model (``retrieval.query_embedding: int8``)."""
    from alma_graph.indexes import embeddings
    from alma_graph.extractors import spacy_model

    if models_loaded(spacy, int8):
        return 0.0
    started = time.perf_counter()
    embeddings._load()
    if int8:
        embeddings._load(int8=True)
    if spacy and spacy_model.DEFAULT_MODEL not in spacy_model._cache:
        spacy_model.load_nlp()
    return (time.perf_counter() - started) * 1000
