"""Coordination ("and") in spaCy's parse, where the small model gets it wrong.

Two repairs, both read off the dependency parse:

* **Mentions that swallow a coordination or a verb.** NER often labels "Acme and
  Globex" as one ORG, or "Alice manages Bob" as one PERSON. Such a mention is split
  into its parts, so "Alice works at Acme and Globex" relates Alice to both.
* **Coordinated clauses parsed as one.** "Dave works at Tyrell and Tyrell uses Redis"
  comes out as "works at [Tyrell and Tyrell]" plus a subjectless "uses Redis"; the
  entity right before the subjectless verb is that verb's subject, not a conjunct.
  "Bob joined Initech and Alice left Globex" comes out as "joined" with no object and
  "[Initech and Alice] left Globex": Initech is the object of "joined", Alice alone
  the subject of "left".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

_AND = {"and", "or", "&", "but"}
_CLAUSE_DEPS = {"conj", "advcl", "ccomp", "relcl", "xcomp", "acl"}


def split_coordinated(doc: Any, mention: Any) -> list[Any]:
    """The parts of a mention that spans "X and Y" (two conjoined names) or "X verbs Y"."""
    tokens = doc[mention.start:mention.end]
    for tok in tokens:
        inside = mention.start < tok.i < mention.end - 1
        if not inside:
            continue
        joins_names = (tok.lower_ in _AND and tok.dep_ == "cc"
                       and doc[tok.i - 1].pos_ == "PROPN" and doc[tok.i + 1].pos_ == "PROPN"
                       and any(t.dep_ == "conj" for t in doc[tok.i + 1:mention.end]))
        is_verb = tok.pos_ in ("VERB", "AUX") and tok.dep_ not in ("compound", "amod")
        if joins_names or is_verb:
            left = replace(mention, end=tok.i, text=doc[mention.start:tok.i].text)
            right_type = mention.type if joins_names else "OTHER"
            right = replace(mention, start=tok.i + 1, text=doc[tok.i + 1:mention.end].text, type=right_type)
            return [m for part in (left, right) for m in split_coordinated(doc, part)]
    return [mention]


@dataclass
class ClauseRepairs:
    """What the relation patterns read differently from the raw parse."""

    subjects: dict[int, list[Any]] = field(default_factory=dict)  # verb index -> its subject tokens
    objects: dict[int, list[Any]] = field(default_factory=dict)  # verb index -> extra object tokens
    not_conjuncts: set[int] = field(default_factory=set)  # tokens that start a new clause


def _mention_end(tok: Any, tok2key: Mapping[int, str]) -> int:
    """Index of the last token of the mention ``tok`` belongs to."""
    key, i = tok2key[tok.i], tok.i
    while i + 1 < len(tok.doc) and tok2key.get(i + 1) == key:
        i += 1
    return i


def _has_subject(verb: Any) -> bool:
    return any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in verb.children)


def _cc_between(a: Any, b: Any) -> bool:
    return any(t.lower_ in _AND for t in a.doc[min(a.i, b.i) + 1:max(a.i, b.i)])


def clause_repairs(doc: Any, tok2key: Mapping[int, str]) -> ClauseRepairs:
    repairs = ClauseRepairs()
    for tok in doc:
        if tok.i not in tok2key:
            continue
        # "works at Tyrell and Tyrell uses Redis": a conjoined name right before a verb
        # that has no subject is that verb's subject.
        if tok.dep_ == "conj" and _cc_between(tok.head, tok):
            after = _mention_end(tok, tok2key) + 1
            verb = doc[after] if after < len(doc) else None
            if (verb is not None and verb.pos_ in ("VERB", "AUX") and verb.dep_ in _CLAUSE_DEPS | {"ROOT"}
                    and not _has_subject(verb)):
                repairs.subjects[verb.i] = [tok]
                repairs.not_conjuncts.add(tok.i)
        # "joined Initech and Alice left Globex": the subject of a clause that hangs off a
        # verb without an object, right after that verb, is the verb's object, and its
        # conjunct alone is the clause's subject.
        if tok.dep_ == "nsubj" and tok.head.dep_ in _CLAUSE_DEPS and tok.head.i > tok.i:
            outer = tok.head.head
            first = tok.i
            while first > 0 and tok2key.get(first - 1) == tok2key[tok.i]:
                first -= 1
            gap = [t for t in doc[outer.i + 1:first] if t.dep_ not in ("det", "poss")]
            conjuncts = [c for c in tok.conjuncts if c.i > tok.i and c.i in tok2key and _cc_between(tok, c)]
            if (outer.pos_ == "VERB" and outer.i < tok.i and not gap and conjuncts
                    and not any(c.dep_ in ("dobj", "attr", "prep") for c in outer.children)):
                repairs.objects.setdefault(outer.i, []).append(tok)
                repairs.subjects[tok.head.i] = conjuncts
                repairs.not_conjuncts.update(c.i for c in conjuncts)
                repairs.not_conjuncts.add(tok.i)
    return repairs
