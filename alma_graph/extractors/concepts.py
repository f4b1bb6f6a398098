"""Concepts: the common-noun phrases a text is about ("pottery class", "adoption agency").

Chat facts are mostly about things that are not named entities, so the graph also
keeps concept nodes (HippoRAG's phrase nodes, without an LLM): each noun chunk of
the spaCy parse the entity extractor already made, normalised —

- determiners, pronouns, numbers and stop words out, lower case, nouns lemmatised
  ("my pottery classes" → "pottery class");
- at most ``MAX_WORDS`` words (the last ones: the head and its closest modifiers);
- a chunk made only of proper nouns is left to the entity extractor;
- generic heads ("thing", "lot", "time") are no concept on their own.

A multi-word phrase also yields each of its nouns alone ("pottery class" →
"pottery", "class"), so a query naming either reaches it. A chunk the speaker owns
("my dog") or is the object of the speaker's own verb ("I adopted a dog") records
the speaker, which is the first person resolved.
"""

from __future__ import annotations

from typing import Any

from .models import ExtractedConcept

MAX_WORDS = 4
CONTENT_POS = {"NOUN", "PROPN", "ADJ", "VERB"}
FIRST_PERSON = {"i", "me", "my", "mine", "we", "us", "our", "ours"}
# Heads too generic to single anything out (a phrase using them as a modifier still counts).
GENERIC = frozenset("""
thing things stuff lot lots bit way time times day days kind sort type one ones something anything
everything nothing someone anyone everyone people person guy guys yeah yes hey thanks thank wow lol
idea part place moment while week weeks month months year years today tomorrow yesterday tonight
morning night evening weekend question answer fun chance story news what who
""".split())
# Evaluative adjectives say how the speaker feels, not what the thing is ("awesome mom" is "mom").
EVALUATIVE = frozenset("""
good great awesome amazing nice cool lovely wonderful beautiful perfect fantastic incredible awful bad
terrible best better worst big little small huge tiny long short new old first last next other same
different own whole real special super sweet fun happy sad hard tough favorite favourite exciting
positive negative busy crazy true
""".split())


def concept_key(words: list[str]) -> str:
    return " ".join(words)


def find_concepts(doc: Any, speaker: str | None, stop_words: frozenset[str] | set[str]) -> tuple[ExtractedConcept, ...]:
    """The concepts of one parsed text, in first-seen order, one per key."""
    found: dict[str, ExtractedConcept] = {}

    def add(words: list[str], mention: str, owner: str | None) -> None:
        key = concept_key(words)
        if len(key) < 3 or (len(words) == 1 and words[0] in GENERIC) or key in found:
            return
        found[key] = ExtractedConcept(name=key, norm_name=key, mention=mention, speaker=owner)

    for chunk in doc.noun_chunks:
        tokens = [t for t in chunk if t.pos_ in CONTENT_POS and t.is_alpha and t.lower_ not in stop_words
                  and t.lower_ not in FIRST_PERSON and not (t.pos_ == "ADJ" and t.lower_ in EVALUATIVE)]
        tokens = tokens[-MAX_WORDS:]
        if not tokens or tokens[-1].pos_ not in ("NOUN", "PROPN"):
            continue
        if all(t.pos_ == "PROPN" for t in tokens):
            continue  # a name: the entity extractor's
        words = [_word(t) for t in tokens]
        owner = speaker if speaker and _first_person(chunk) else None
        mention = " ".join(t.lower_ for t in tokens)
        add(words, mention, owner)
        if len(tokens) > 1:
            for token, word in zip(tokens, words):
                if token.pos_ == "NOUN":
                    add([word], token.lower_, owner)
    return tuple(found.values())


def _word(token: Any) -> str:
    return (token.lemma_ if token.pos_ == "NOUN" else token.lower_).lower()


def _first_person(chunk: Any) -> bool:
    """"my dog", or "a dog" as the object of a verb whose subject is "I"/"we"."""
    if any(t.lower_ in FIRST_PERSON and t.dep_ == "poss" for t in chunk):
        return True
    head = chunk.root.head
    if chunk.root.dep_ in ("dobj", "pobj", "attr") and head.pos_ in ("VERB", "AUX", "ADP"):
        verb = head.head if head.pos_ == "ADP" else head
        return any(c.dep_ in ("nsubj", "nsubjpass") and c.lower_ in FIRST_PERSON for c in verb.children)
    return False
