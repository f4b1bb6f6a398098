"""Relations between entity mentions, read off spaCy's dependency parse.

Patterns (subject and object must both be entity mentions; "I"/"me" count
as the speaker's entity when one is given):

    subject - verb - object        "Alice uses Kafka"            -> uses
    subject - verb - prep - object "Bob works at Globex"         -> works_at
    copula + role noun + prep      "Dana is the CEO of Initech"  -> ceo_of
    apposition + role noun + prep  "Dana, the CEO of Initech,"   -> ceo_of
    person + from/at/of + object   "Alice from Acme Corp"        -> affiliated_with

Predicates are lemma-based snake_case identifiers; the frequent ones are
mapped onto a small closed vocabulary (see CANONICAL) so the graph does not
split "works at" / "worked for" / "is working at" into separate edge types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .coordination import clause_repairs

MAX_PREDICATE_LEN = 40

# lemma[_particle][_prep] -> canonical predicate.
CANONICAL: dict[str, str] = {
    "work_at": "works_at",
    "work_for": "works_at",
    "live_in": "lives_in",
    "live_at": "lives_in",
    "use": "uses",
    "own": "owns",
    "upgrade_to": "uses_version",
    "update_to": "uses_version",
    "migrate_to": "uses_version",
    "join": "joined",
    "move_to": "moved_to",
    "relocate_to": "moved_to",
    "member_of": "member_of",
    "manage": "manages",
    "report_to": "reports_to",
    "submit": "submitted",
    "review": "reviewed",
    "be": "is",
    "be_from": "from",
    "be_to": "visit",  # "I've been to Paris"
    "come_from": "from",
}

_SUBJ_DEPS = ("nsubj", "nsubjpass")
_OBJ_DEPS = ("dobj", "dative", "oprd")
_FIRST_PERSON = {"i", "me"}
_NOT_IDENT = re.compile(r"[^a-z]+")
_PLACE_APPOSITION = re.compile(
    r"^(town|city|village|country|state|region|island|suburb|neighbou?rhood)_(in|of|near)$"
)


def safe_predicate(text: str) -> str:
    """[a-z_]+ and at most MAX_PREDICATE_LEN chars ('' if nothing is left)."""
    ident = _NOT_IDENT.sub("_", text.lower()).strip("_")
    return ident[:MAX_PREDICATE_LEN].rstrip("_")


def canonical_predicate(key: str, subj_type: str, obj_type: str) -> str:
    """Map a raw lemma key onto the closed vocabulary where it is obvious."""
    if key in CANONICAL:
        return CANONICAL[key]
    if key in ("be_on", "be_in", "part_of", "serve_on") and obj_type == "ORG":
        return "member_of"  # "is on the Payments team", "part of Acme"
    if key in ("move_to", "switch_to") and obj_type == "TECH":
        return "uses_version"
    if key == "be_in" and obj_type == "PLACE":
        return "located_in"
    if _PLACE_APPOSITION.match(key):
        return "located_in"  # "Woodhaven, a small town in the Midwest"
    if key.startswith("be_"):
        return key[3:]  # "is at X" -> at, "is with X" -> with
    return key


class _Relations:
    def __init__(
        self,
        doc: Any,
        tok2key: Mapping[int, str],
        key_type: Mapping[str, str],
        speaker_key: str | None,
    ) -> None:
        self.doc = doc
        self.tok2key = tok2key
        self.key_type = key_type
        self.speaker_key = speaker_key
        self.found: dict[tuple[str, str, str], None] = {}  # ordered set
        self.repairs = clause_repairs(doc, tok2key)  # coordinated clauses the parser ran together

    # -- mapping tokens to entities

    def keys_of(self, tok: Any) -> list[str]:
        """Entities a token stands for, following coordination ("Alice and
        Bob"), relative pronouns ("Bob, who ...") and appositions ("my
        friend Alice")."""
        if self.vocative(tok):
            return []
        out = []
        conjuncts = () if tok.i in self.repairs.not_conjuncts else tok.conjuncts  # a clause's own subject
        for t in (tok, *(c for c in conjuncts if c.i not in self.repairs.not_conjuncts)):
            key = self.key_of(t)
            if key is not None and key not in out:
                out.append(key)
        return out

    def vocative(self, tok: Any) -> bool:
        """"I love the thought, Nate!": a person addressed at the end of a
        clause, which the parser often attaches as an object."""
        key = self.tok2key.get(tok.i)
        if key is None or self.key_type.get(key) != "PERSON":
            return False
        doc = tok.doc
        first = tok.i
        while first > 0 and self.tok2key.get(first - 1) == key:
            first -= 1  # start of the mention
        before = doc[first - 1] if first > 0 else None
        after = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        ends_clause = after is None or after.text in {"!", "?", ".", ",", "..."}
        return ends_clause and before is not None and (before.text == "," or before.pos_ in ("NOUN", "ADJ"))

    def key_of(self, tok: Any) -> str | None:
        key = self.tok2key.get(tok.i)
        if key is not None:
            return key
        if tok.lower_ in _FIRST_PERSON and self.speaker_key is not None:
            return self.speaker_key
        if tok.tag_ in ("WP", "WDT") and tok.head.dep_ == "relcl":
            return self.tok2key.get(tok.head.head.i)
        for child in tok.children:
            if child.dep_ == "appos" and child.i in self.tok2key:
                return self.tok2key[child.i]
        return None

    # -- emitting

    def add(self, subjects: list[str], raw: str, objects: list[str], negated: bool = False) -> None:
        for s in subjects:
            for o in objects:
                if s == o:
                    continue
                pred = canonical_predicate(
                    safe_predicate(raw), self.key_type.get(s, "OTHER"), self.key_type.get(o, "OTHER")
                )
                if negated:
                    pred = "not_" + pred
                pred = safe_predicate(pred)
                if pred:
                    self.found[(s, pred, o)] = None

    # -- patterns

    def verb(self, v: Any) -> None:
        subj_toks = self.repairs.subjects.get(v.i) or [c for c in v.children if c.dep_ in _SUBJ_DEPS]
        head = v
        # "Alice joined Acme and moved to Berlin" / "wants to join": the
        # second verb borrows the first one's subject.
        for _ in range(3):
            if subj_toks or head.dep_ not in ("conj", "xcomp") or head.head is head:
                break
            head = head.head
            subj_toks = [c for c in head.children if c.dep_ in _SUBJ_DEPS]
        passive = any(c.dep_ == "nsubjpass" for c in subj_toks)
        subjects = [k for t in subj_toks for k in self.keys_of(t)]
        base = v.lemma_.lower()
        particles = [c.lower_ for c in v.children if c.dep_ == "prt"]
        if particles:
            base += "_" + "_".join(particles)
        negated = any(c.dep_ == "neg" for c in v.children)

        if passive:
            # "The PR was reviewed by Alice" -> Alice reviewed PR.
            agents = [
                k for c in v.children if c.dep_ == "agent"
                for p in c.children if p.dep_ == "pobj" for k in self.keys_of(p)
            ]
            if agents:
                self.add(agents, base, subjects, negated)
                subjects = []
        if not subjects:
            return

        for c in self.repairs.objects.get(v.i, []):
            self.add(subjects, base, self.keys_of(c), negated)
        for c in v.children:
            if c.i in self.repairs.objects.get(v.i, []) or c.i in self.repairs.not_conjuncts and c.dep_ in _SUBJ_DEPS:
                continue
            if c.dep_ in _OBJ_DEPS:
                self.add(subjects, base, self.keys_of(c), negated)
            elif c.dep_ == "prep":
                self.add(subjects, f"{base}_{c.lower_}", self.pobjs(c), negated)
            elif c.dep_ in ("attr", "acomp"):
                objs = self.keys_of(c)
                if objs and c.dep_ == "attr":
                    self.add(subjects, base, objs, negated)  # "X is Y"
                # "X is the CEO of Y" / "X is interested in Y"
                for p in c.children:
                    if p.dep_ == "prep":
                        self.add(subjects, f"{c.lemma_}_{p.lower_}", self.pobjs(p), negated)

    def pobjs(self, prep: Any) -> list[str]:
        return [k for c in prep.children if c.dep_ == "pobj" for k in self.keys_of(c)]

    def noun_modifiers(self, tok: Any, key: str) -> None:
        """Prepositions and appositions hanging off an entity mention."""
        subj_type = self.key_type.get(key, "OTHER")
        for c in tok.children:
            if c.dep_ == "prep" and subj_type == "PERSON" and c.lower_ in ("from", "at", "of"):
                for obj in self.pobjs(c):
                    obj_type = self.key_type.get(obj, "OTHER")
                    if obj_type == "ORG":
                        self.add([key], "affiliated_with", [obj])  # "Alice from Acme"
                    elif obj_type == "PLACE":
                        self.add([key], "from" if c.lower_ != "at" else "located_at", [obj])
            elif c.dep_ == "appos" and c.i not in self.tok2key:
                # "Dana, the CEO of Initech," -> ceo_of
                for p in c.children:
                    if p.dep_ == "prep":
                        self.add([key], f"{c.lemma_}_{p.lower_}", self.pobjs(p))


def _is_predicate_head(tok: Any) -> bool:
    if tok.pos_ == "VERB" or (tok.pos_ == "AUX" and tok.dep_ in ("ROOT", "conj", "relcl", "ccomp")):
        return True
    # The small parser sometimes tags the verb as a noun ("Alice and Bob
    # work for ..."): a token with a subject is still the predicate.
    return tok.pos_ == "NOUN" and any(c.dep_ in _SUBJ_DEPS for c in tok.children)


def find_relations(
    doc: Any,
    tok2key: Mapping[int, str],
    key_type: Mapping[str, str],
    speaker_key: str | None = None,
) -> list[tuple[str, str, str]]:
    """(subject key, predicate, object key) triples in text order, unique."""
    rel = _Relations(doc, tok2key, key_type, speaker_key)
    if not tok2key or (len(set(tok2key.values())) < 2 and speaker_key is None):
        return []  # a relation needs two entities
    for tok in doc:
        if _is_predicate_head(tok) and tok.i not in tok2key:  # not "Becoming" in a title
            rel.verb(tok)
        key = tok2key.get(tok.i)
        if key is not None:
            rel.noun_modifiers(tok, key)
    return list(rel.found)
