"""The BM25 index over memory text, derived from the graph like the vectors.

A turn of a conversation is indexed together with the turn before it in its
session: a reply ("Yes, last Tuesday!") carries the words of the question it
answers. On LoCoMo this alone lifts BM25's recall_any@5 from 0.52 to 0.63.

It lives in memory, built from the graph's memory texts on open (cheap — no
embedding involved), and is incremental: an inverted index (term -> postings of
(slot, term frequency)) plus each document's length, owner and kind. A write
tokenises only what it adds (and re-indexes the turn after an added or removed
turn, whose context changed); a removal marks the document's slot dead, and the
postings are compacted once dead slots outnumber live ones. idf and the average
length are taken from the live counts at query time, so an add never rewrites
older postings, and a search touches only the postings of the query's terms.

Scores are those of ``bm25s`` (its default "lucene" method, k1 1.5, b 0.75, its
tokeniser with English stopwords and the Snowball stemmer), computed with the
same float32/float64 steps, so they match a from-scratch ``bm25s`` index of the
same texts. Equal scores are ordered by memory id, so every process and every
store holding the same memories orders them alike, whatever order they were indexed in.

Searches are restricted to the owners the reader may see (and to ``only_ids``)
before the top-k, never by filtering a global top-k.
"""

from __future__ import annotations

import math
import re
import threading
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from alma_graph.indexes.vectors import VectorEntry

K1 = 1.5  # bm25s's defaults
B = 0.75
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's token_pattern
_DEAD = -1  # kind code of a removed or superseded slot: never visible


@dataclass
class _Doc:
    entry: VectorEntry
    text: str
    tokens: list[str]  # its own text's terms, without the turn before it
    position: tuple[str, int] | None = None  # (session_id, sequence) for a conversation turn
    slot: int = -1  # its row in the postings; -1 while not indexed


class _Tokenizer:
    """``bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer("english"), return_ids=False)``,
    text by text: lower-case, the same regex, stopwords dropped before stemming. Stems are
    cached per word (a stem depends only on its word)."""

    def __init__(self) -> None:
        _bm25s()
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        self._stop = frozenset(STOPWORDS_EN)
        self._stemmer = Stemmer.Stemmer("english")
        self._stems: dict[str, str] = {}

    def __call__(self, texts: list[str]) -> list[list[str]]:
        words = [[w for w in _TOKEN.findall(t.lower()) if w not in self._stop] for t in texts]
        stems = self._stems
        if len(stems) > 500_000:  # a bound on memory, not expected in practice
            stems.clear()
        new = list({w for ws in words for w in ws if w not in stems})
        if new:
            stems.update(zip(new, self._stemmer.stemWords(new)))
        return [[stems[w] for w in ws] for ws in words]


class LexicalIndex:
    def __init__(self) -> None:
        self._docs: dict[str, _Doc] = {}
        self._by_position: dict[tuple[str, int], list[str]] = {}  # ids at a position, latest last
        self._lock = threading.RLock()
        self._tokenizer: _Tokenizer | None = None
        self._codes: dict[str, int] = {}  # owner and kind names as small ints, for vectorised masks
        self._postings: dict[str, tuple[array, array]] = {}  # term -> (slots 'i', tfs 'f')
        self._df: dict[str, int] = {}  # live documents holding the term
        # per slot
        self._slot_ids: list[str] = []  # "" once dead
        self._slot_terms: list[dict[str, int] | None] = []  # term counts, to undo df and to compact
        self._lengths = np.zeros(0, dtype=np.int32)
        self._kinds = np.zeros(0, dtype=np.int32)
        self._owners = np.zeros(0, dtype=np.int32)
        self._live = 0
        self._total_length = 0
        # until the next write: each slot's length normalisation, and each queried term's
        # (slots, score part), so a run of searches does not recompute them
        self._norm: np.ndarray | None = None
        self._parts: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self._docs)

    def add(self, entries: list[VectorEntry], texts: list[str],
            positions: list[tuple[str, int] | None] | None = None) -> None:
        with self._lock:
            tokens = self._tokenize(list(texts))
            touched: dict[str, None] = {}  # ids to (re)index, in order, each once
            for i, (entry, text) in enumerate(zip(entries, texts)):
                self._forget(entry.memory_id, touched)
                position = positions[i] if positions else None
                self._docs[entry.memory_id] = _Doc(entry, text, tokens[i], position)
                touched[entry.memory_id] = None
                if position is not None:
                    self._by_position.setdefault(position, []).append(entry.memory_id)
                    self._touch_next(position, touched)
            for memory_id in touched:
                self._reindex(memory_id)
            self._written()

    def remove(self, memory_ids: Iterable[str]) -> None:
        with self._lock:
            touched: dict[str, None] = {}
            for memory_id in memory_ids:
                self._forget(memory_id, touched)
            for memory_id in touched:
                self._reindex(memory_id)
            self._written()

    def _tokenize(self, texts: list[str]) -> list[list[str]]:
        if self._tokenizer is None:
            self._tokenizer = _Tokenizer()
        return self._tokenizer(texts)

    def _forget(self, memory_id: str, touched: dict[str, None]) -> None:
        doc = self._docs.pop(memory_id, None)
        if doc is None:
            return
        self._unindex(doc)
        touched.pop(memory_id, None)
        if doc.position is not None:
            ids = self._by_position[doc.position]
            ids.remove(memory_id)
            if not ids:
                del self._by_position[doc.position]
            self._touch_next(doc.position, touched)

    def _touch_next(self, position: tuple[str, int], touched: dict[str, None]) -> None:
        """The turn after ``position`` carries its text: it is re-indexed."""
        for memory_id in self._by_position.get((position[0], position[1] + 1), ()):
            touched[memory_id] = None

    def _reindex(self, memory_id: str) -> None:
        doc = self._docs.get(memory_id)
        if doc is None:
            return
        self._unindex(doc)
        tokens = doc.tokens
        if doc.position is not None:  # with the text of the turn before it (the latest added there)
            previous = self._by_position.get((doc.position[0], doc.position[1] - 1))
            if previous:
                tokens = self._docs[previous[-1]].tokens + tokens
        self._append(doc, Counter(tokens), len(tokens))

    def _code(self, name: str) -> int:
        code = self._codes.get(name)
        if code is None:
            code = self._codes[name] = len(self._codes)
        return code

    def _append(self, doc: _Doc, counts: dict[str, int], length: int) -> None:
        slot = len(self._slot_ids)
        if slot == len(self._lengths):  # grow the per-slot arrays by doubling
            size = max(1024, 2 * slot)
            self._lengths = np.resize(self._lengths, size)
            self._kinds = np.resize(self._kinds, size)
            self._owners = np.resize(self._owners, size)
        self._slot_ids.append(doc.entry.memory_id)
        self._slot_terms.append(counts)
        self._lengths[slot] = length
        self._kinds[slot] = self._code(doc.entry.kind)
        self._owners[slot] = self._code(doc.entry.owner)
        postings, df = self._postings, self._df
        for term, tf in counts.items():
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = (array("i"), array("f"))
            entry[0].append(slot)
            entry[1].append(tf)
            df[term] = df.get(term, 0) + 1
        self._live += 1
        self._total_length += length
        doc.slot = slot

    def _unindex(self, doc: _Doc) -> None:
        slot = doc.slot
        if slot < 0:
            return
        counts = self._slot_terms[slot]
        assert counts is not None
        for term in counts:
            left = self._df[term] - 1
            if left:
                self._df[term] = left
            else:  # every posting of the term is dead now
                del self._df[term], self._postings[term]
        self._live -= 1
        self._total_length -= int(self._lengths[slot])
        self._kinds[slot] = _DEAD
        self._slot_ids[slot] = ""
        self._slot_terms[slot] = None
        doc.slot = -1

    def _written(self) -> None:
        self._norm = None  # N and the average length moved: every score part changes
        self._parts = {}
        self._maybe_compact()

    def _maybe_compact(self) -> None:
        """Drop dead slots once they outnumber the live ones (from the kept term counts,
        without tokenising again), so postings stay at most about twice what is live."""
        dead = len(self._slot_ids) - self._live
        if dead <= max(1024, self._live):
            return
        old = [(self._docs[memory_id], counts, int(self._lengths[slot]))
               for slot, (memory_id, counts) in enumerate(zip(self._slot_ids, self._slot_terms))
               if counts is not None]
        self._postings, self._df = {}, {}
        self._slot_ids, self._slot_terms = [], []
        self._lengths = np.zeros(0, dtype=np.int32)
        self._kinds = np.zeros(0, dtype=np.int32)
        self._owners = np.zeros(0, dtype=np.int32)
        self._live = self._total_length = 0
        for doc, counts, length in old:  # slot order kept, so ties keep their order
            self._append(doc, counts, length)

    def _scores(self, terms: list[str]) -> np.ndarray:
        """float32 score per slot, as bm25s computes it: per term, idf (float32) times the
        term part (float64), rounded to float32, then summed in float32 in query order
        (a repeated query term counts again)."""
        count = len(self._slot_ids)
        if self._norm is None:  # k1 * (1 - b + b * dl / avgdl), with bm25s's order of operations
            self._norm = K1 * ((1 - B) + B * self._lengths[:count] / (self._total_length / self._live))
        parts = self._parts
        if len(parts) > 4096:
            parts.clear()
        scores = np.zeros(count, dtype=np.float32)
        for term in terms:
            part = parts.get(term)
            if part is None:
                df = self._df[term]
                idf = np.float32(math.log(1 + (self._live - df + 0.5) / (df + 0.5)))
                slots_buf, tfs_buf = self._postings[term]
                slots = np.array(slots_buf, dtype=np.int32)  # copies: the arrays stay appendable
                tfs = np.array(tfs_buf, dtype=np.float32)
                part = parts[term] = (slots, (idf * (tfs / (self._norm[slots] + tfs))).astype(np.float32))
            scores[part[0]] += part[1]  # a term's slots are distinct
        return scores

    def search(self, query: str, owners: set[str], kind: str, n: int,
               only_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """Up to ``n`` (memory id, BM25 score) of ``kind`` among ``owners``' memories (and,
        when given, among ``only_ids``), score > 0, best first."""
        with self._lock:
            kind_code = self._codes.get(kind)
            owner_codes = [self._codes[o] for o in owners if o in self._codes]
            if n <= 0 or not self._live or kind_code is None or not owner_codes:
                return []
            terms = [t for t in self._tokenize([query])[0] if t in self._df]  # bm25s drops unknown terms
            if not terms:
                return []
            scores = self._scores(terms)
            slots = np.flatnonzero(scores > 0)
            # visibility on the matching slots only (dead slots have kind _DEAD)
            seen = np.zeros(len(self._codes), dtype=bool)
            seen[owner_codes] = True
            visible = (self._kinds[slots] == kind_code) & seen[self._owners[slots]]
            if only_ids is not None:
                allowed = np.zeros(len(scores), dtype=bool)
                allowed[[d.slot for d in map(self._docs.get, only_ids) if d is not None and d.slot >= 0]] = True
                visible &= allowed[slots]
            slots = slots[visible]
            top = scores[slots]
            if len(slots) > n:  # keep the n best, with every slot tied with the n-th
                keep = top >= np.partition(top, len(top) - n)[len(top) - n]
                slots, top = slots[keep], top[keep]
            ids = self._slot_ids
            ranked = sorted(zip(top.tolist(), slots.tolist()), key=lambda pair: (-pair[0], ids[pair[1]]))[:n]
            return [(ids[s], float(v)) for v, s in ranked]  # best first; ties: by memory id


def _bm25s():
    """bm25s, imported on first use. On import it sets its logger to DEBUG, which printed
    "DEBUG bm25s: Building index ..." at any log level; its records follow the root level instead."""
    global _bm25s_quieted
    import bm25s

    if not _bm25s_quieted:  # setLevel clears every logger's cache: once, not on every search
        import logging

        logging.getLogger("bm25s").setLevel(logging.NOTSET)
        _bm25s_quieted = True
    return bm25s


_bm25s_quieted = False
