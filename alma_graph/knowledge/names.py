"""Known names found in a short text without parsing it: the query side of the graph.

A query can only lead into the graph through names the graph already holds, so
instead of running spaCy over every query (≈10 ms), its word n-grams are looked up
in a table of the known names' normalised keys (``extractors.norm_name``, aliases
applied) — the same matching as the extractor's known-name PhraseMatcher, which
takes precedence over every other source there: longest match first, no overlaps,
and an all-lower-case hit on an ordinary word ("will" for a known "Will") skipped.

Any table of names works (entities today; concepts may reuse it): ``add`` names as
key -> display name, ``find`` returns the keys a text names.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

from alma_graph.extractors.lexicon import AMBIGUOUS_FIRST_NAMES
from alma_graph.extractors.normalize import build_alias_map, norm_name

# Words, keeping "Vue.js", "C++", "C#", "Caroline's" whole; hyphens and slashes separate
# words, but a match is read from the original text, so "blue-green deploy" still matches.
_WORD = re.compile(r"\w+(?:[.'’+#]+\w+)*[+#]*")
MAX_WORDS = 8


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # the extractor's notion of a stop word

    return frozenset(STOP_WORDS)


class NameMatcher:
    """A table of known names and the lookup of a text's n-grams in it."""

    def __init__(self, aliases: Mapping[str, str] | None = None):
        self._aliases = build_alias_map(aliases)
        self._names: dict[str, str] = {}  # normalised key -> display name
        self._first_words: set[str] = set()
        self._longest = 1
        self._stop: frozenset[str] | None = None
        self._lock = threading.Lock()
        for alias in self._aliases:  # "Mel" leads to Melanie's key
            self._first_words.update(_WORD.findall(alias)[:1])

    def __len__(self) -> int:
        return len(self._names)

    def add(self, names: Mapping[str, str]) -> None:
        """Names as normalised key -> display name."""
        with self._lock:
            for key, name in names.items():
                words = _WORD.findall(key)
                if not key or not words:
                    continue
                self._names.setdefault(key, name)
                self._first_words.add(words[0])
                self._longest = min(MAX_WORDS, max(self._longest, len(words)))

    def find(self, text: str) -> dict[str, str]:
        """The known names ``text`` mentions, as key -> display name, in text order."""
        words = list(_WORD.finditer(text))
        found: list[tuple[int, int, str]] = []  # (start word, end word, key)
        with self._lock:
            for i, first in enumerate(words):
                if norm_name(first.group()) not in self._first_words and first.group().casefold() not in self._first_words:
                    continue
                for j in range(min(len(words), i + self._longest), i, -1):
                    span = text[first.start():words[j - 1].end()]
                    key = norm_name(span, self._aliases or None)
                    if key in self._names and not self._ordinary_word(span, self._names[key], words[i:j]):
                        found.append((i, j, key))
            names = dict(self._names)
        # longest first, then leftmost; a word belongs to one name
        found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
        taken: set[int] = set()
        chosen: list[tuple[int, str]] = []
        for start, end, key in found:
            if taken.isdisjoint(range(start, end)):
                taken.update(range(start, end))
                chosen.append((start, key))
        return {key: names[key] for _, key in sorted(chosen)}

    def _ordinary_word(self, span: str, name: str, words: list[re.Match]) -> bool:
        """An all-lower-case hit on a capitalised name that is a stop word or a first name
        that is also a word ("will", "may"): far more often the word."""
        if not span.islower() or name.islower():
            return False
        if self._stop is None:
            self._stop = _stop_words()
        return any(w.group().lower() in self._stop or w.group().title() in AMBIGUOUS_FIRST_NAMES for w in words)
