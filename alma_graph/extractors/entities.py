"""Entity mentions in a parsed spaCy Doc.

spaCy's small NER is the backbone but misses plain first names, mislabels
tech ("Kubernetes" as LOC) and names groups only when they look like
companies.  So candidates come from several sources, tried in a fixed
priority order; a candidate is kept only if none of its tokens is already
taken by a higher-priority one:

    1. caller's known names    (they link to existing graph nodes)
    2. tech lexicon            ("PostgreSQL 15", "Kubernetes")
    3. quoted titles           ('"Becoming Nicole"', which NER splits or misses)
    4. group / component chunks ("the Payments team", "the auth service")
    5. spaCy NER               (with type fixes and junk filters)
    6. tech by word shape      ("GitHub", "EC2", "Vue.js")
    7. first-name lexicon      ("Caroline" that NER missed)
    8. runs of PROPN tokens    (anything else that is clearly a proper noun)

Only spaCy Doc/Token/Span objects are touched here; spaCy itself is never
imported, so this module is cheap to import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .coordination import split_coordinated
from .lexicon import (
    AMBIGUOUS_FIRST_NAMES,
    AMBIGUOUS_TECH_TERMS,
    FIRST_NAMES,
    MONTHS,
    NON_TECH_MODIFIERS,
    NOT_NAMES,
    ORG_HEAD_NOUNS,
    ORG_SUFFIXES,
    TECH_HEAD_NOUNS,
    TECH_TERMS,
    TITLE_FUNCTION_WORDS,
    WEEKDAYS,
)
from .models import SPACY_LABEL_TO_TYPE

# Candidate sources, lower = tried first.
KNOWN, TECH_LEXICON, QUOTED, CHUNK, NER, TECH_SHAPE, FIRST_NAME, PROPN_RUN = range(8)

_VERSION = re.compile(r"^v?\d+(?:\.\d+){0,3}[a-z]?$")
_HAS_DIGIT = re.compile(r"\d")
# Surname prefixes that make a mixed-case word a name, not a product.
_NAME_PREFIXES = ("Mc", "Mac", "O'", "De", "Di", "La", "Le", "Van", "Von")
_TRIM_DEPS = {"det", "poss", "case", "predet", "punct", "cc"}


@dataclass
class Mention:
    start: int  # token index, inclusive
    end: int  # token index, exclusive
    text: str
    type: str
    source: int
    canonical: str | None = None  # known name's own spelling, if matched


# ---------------------------------------------------------------- helpers


def _is_capitalised(tok: Any) -> bool:
    t = tok.text
    return bool(t) and (t[0].isupper() or tok.is_upper or _internal_upper(t))


def _internal_upper(word: str) -> bool:
    # "PostgreSQL", "GitHub", "iOS": an upper-case letter after a lower-case one,
    # far enough in to rule out "LeBron", "McDonald".
    if word.startswith(_NAME_PREFIXES) and not word.startswith(("Mac OS", "macOS")):
        return False
    for i in range(1, len(word)):
        if word[i].isupper() and word[i - 1].islower():
            # "iPhone"/"eBay" (one lower-case letter first), "GitHub"; not
            # "forMax" (a missing space) nor "LeBron".
            return i == 1 if word[0].islower() else i >= 3
    return False


_OPENERS = {'"', "'", "“", "‘", "(", "[", "*", "-", "—", "–"}
_ENDERS = {".", "!", "?", ":", ";", "…", "...", "\n"}


def _sentence_initial(tok: Any) -> bool:
    """First word of a sentence or of a chat fragment ("Yeah, Mel! Life's..."
    is one parser sentence but "Life" is capitalised as a sentence start)."""
    i = tok.i - 1
    while i >= tok.sent.start and tok.doc[i].text in _OPENERS:
        i -= 1
    return i < tok.sent.start or tok.doc[i].text in _ENDERS or "\n" in tok.doc[i].text


def _stopword(tok: Any) -> bool:
    if tok.lower_ in MONTHS and tok.ent_type_ in ("DATE", "TIME") and tok.text[0].isupper():
        return False  # "May" in "May 2023" is the date, not filler
    return tok.lower_ in NOT_NAMES or tok.pos_ in ("PRON", "DET", "INTJ", "PUNCT", "SYM")


def _trim(doc: Any, start: int, end: int) -> tuple[int, int]:
    """Drop determiners, possessive markers, punctuation and filler words
    ("Hey", "the") from both ends of a token span."""
    while start < end and (
        doc[start].dep_ in _TRIM_DEPS or doc[start].is_punct or _stopword(doc[start])
    ):
        start += 1
    while end > start and (
        doc[end - 1].dep_ in ("case", "punct") or doc[end - 1].is_punct or _stopword(doc[end - 1])
    ):
        end -= 1
    return start, end


def _text(doc: Any, start: int, end: int) -> str:
    return doc[start:end].text


def is_tech_word(tok: Any, *, shape: bool = True) -> bool:
    """Lexicon (and optionally word-shape) test for a technology name."""
    word = tok.text
    if word.lower() in TECH_TERMS:
        return True
    if word in AMBIGUOUS_TECH_TERMS:
        # "Rust"/"React" at the start of a sentence is as likely the word;
        # accept it there only when a version number follows ("Python 3.11").
        nxt = tok.doc[tok.i + 1] if tok.i + 1 < len(tok.doc) else None
        return not _sentence_initial(tok) or (nxt is not None and bool(_VERSION.match(nxt.text)))
    if not shape or word in FIRST_NAMES or word.lower() in NOT_NAMES:
        return False
    if _internal_upper(word):
        return True  # GitHub, PostgreSQL, iOS
    if word[:1].isalpha() and _HAS_DIGIT.search(word) and any(c.isupper() for c in word):
        return not word.upper().startswith("COVID")  # EC2, S3, GPT4
    lowered = word.lower()
    return lowered.endswith((".js", ".net", ".io", ".py")) and len(lowered) > 4


def _with_version(doc: Any, start: int, end: int) -> int:
    """Extend a tech span over a following version ("PostgreSQL 15")."""
    if end < len(doc) and doc[end].like_num and _VERSION.match(doc[end].text):
        # A 4-digit year is a date, not a version ("Python in 2019").
        if not re.fullmatch(r"(19|20)\d\d", doc[end].text):
            return end + 1
    return end


# ---------------------------------------------------------------- sources


def known_mentions(doc: Any, matcher: Any, known: Mapping[str, tuple[str, str | None]]) -> list[Mention]:
    """Spans matched by a PhraseMatcher(attr="LOWER") over the known names.
    `known` maps lower-cased name -> (canonical spelling, type or None)."""
    out = []
    for _, start, end in matcher(doc):
        span = doc[start:end]
        canonical, typ = known.get(span.text.lower(), (span.text, None))
        # Case-insensitive, except an all-lower-case hit on an ordinary word
        # ("will" for a known "Will") which is far more often the word.
        if span.text.islower() and not canonical.islower():
            if any(t.is_stop or t.text.title() in AMBIGUOUS_FIRST_NAMES for t in span):
                continue
        out.append(Mention(start, end, span.text, typ or _guess_type(doc, start, end), KNOWN, canonical))
    return out


def tech_lexicon_mentions(doc: Any) -> list[Mention]:
    out = []
    for tok in doc:
        if is_tech_word(tok, shape=False):
            if tok.text in AMBIGUOUS_TECH_TERMS and _in_longer_ner_entity(tok):
                continue  # "Taylor Swift", "Oracle Park": NER knows better
            end = _with_version(doc, tok.i, tok.i + 1)
            out.append(Mention(tok.i, end, _text(doc, tok.i, end), "TECH", TECH_LEXICON))
    return out


def _in_longer_ner_entity(tok: Any) -> bool:
    return any(ent.start <= tok.i < ent.end and len(ent) > 1 for ent in tok.doc.ents)


def tech_shape_mentions(doc: Any) -> list[Mention]:
    out = []
    for tok in doc:
        if tok.pos_ in ("PROPN", "NOUN", "X") and is_tech_word(tok):
            end = _with_version(doc, tok.i, tok.i + 1)
            out.append(Mention(tok.i, end, _text(doc, tok.i, end), "TECH", TECH_SHAPE))
    return out


_QUOTES = {'"', "“", "”", "'", "‘", "’", "``", "''"}


def quoted_title_mentions(doc: Any) -> list[Mention]:
    """Title-cased text in quotes: book, film, song and game titles
    ('I loved "Becoming Nicole"'), which NER splits ("Stone") or misses."""
    out = []
    open_at = None
    for tok in doc:
        if tok.text not in _QUOTES:
            continue
        if open_at is None or tok.i - open_at > 13:
            open_at = tok.i
            continue
        start, end = open_at + 1, tok.i
        open_at = None
        while start < end and doc[start].is_punct:
            start += 1
        while end > start and doc[end - 1].is_punct:
            end -= 1
        words = [t for t in doc[start:end] if t.is_alpha]
        if not words or not words[0].text[0].isupper():
            continue
        if not all(t.text[0].isupper() or t.lower_ in TITLE_FUNCTION_WORDS for t in words):
            continue
        if len(words) == 1 and (words[0].lower_ in NOT_NAMES or len(words[0].text) < 3):
            continue
        out.append(Mention(start, end, _text(doc, start, end), "PRODUCT", QUOTED))
    return out


def chunk_mentions(doc: Any) -> list[Mention]:
    """Named groups ("the Payments team" -> ORG) and software components
    ("the auth service" -> TECH) that NER does not see as entities."""
    out = []
    for chunk in doc.noun_chunks:
        root = chunk.root
        lemma = root.lemma_.lower()
        start, end = _trim(doc, chunk.start, chunk.end)
        # Keep only what follows a possessive ("Mel's book club" -> "book club").
        for tok in doc[start:end]:
            if tok.dep_ == "case" or tok.tag_ == "POS":
                start = tok.i + 1
        if end - start < 2 or root.i != end - 1:
            continue
        modifiers = doc[start : end - 1]
        if lemma in ORG_HEAD_NOUNS:
            caps = [
                t for t in modifiers
                if _is_capitalised(t) and t.lower_ not in NOT_NAMES and len(t.text) > 1
                and t.text[0].isalpha() and (t.pos_ == "PROPN" or not _sentence_initial(t))
            ]
            if caps:
                first = caps[0].i
                out.append(Mention(first, end, _text(doc, first, end), "ORG", CHUNK))
        elif lemma in TECH_HEAD_NOUNS:
            # "auth service", "payments API": noun modifiers only, so not
            # "stable services" or "great server".
            if all(
                t.dep_ == "compound" and t.pos_ in ("NOUN", "PROPN") and t.is_alpha
                and t.lower_ not in NON_TECH_MODIFIERS and t.lower_ not in NOT_NAMES
                for t in modifiers
            ):
                out.append(Mention(start, end, _text(doc, start, end), "TECH", CHUNK))
    return out


def ner_mentions(doc: Any, common_words: frozenset[str] = frozenset()) -> list[Mention]:
    out = []
    for ent in doc.ents:
        typ = SPACY_LABEL_TO_TYPE.get(ent.label_)
        if typ is None:
            continue
        start, end = _trim(doc, ent.start, ent.end)
        if start >= end:
            continue
        toks = doc[start:end]
        if typ not in ("PLACE", "DATE") and _junk_initial(toks[0], common_words):
            # "Glad Max is ok", "Nature's amazing", "Learning German": a
            # capitalised ordinary word that NER took for (part of) a name.
            # Any real name left over is picked up by the later sources.
            continue
        if typ == "DATE":
            if not _absolute_date(toks):
                continue
        else:
            if not any(_is_capitalised(t) or _HAS_DIGIT.search(t.text) for t in toks):
                continue  # lower-case "entities" from chat are nearly always noise
            # "Iron" of "Iron Man", "Spider" of "Spider-Man": take the whole name.
            start, end = _extend_proper(doc, start, end)
            toks = doc[start:end]
        if len(toks) == 1:
            tok = toks[0]
            word = tok.text
            if word.lower() in NOT_NAMES and typ != "DATE":
                continue
            if word in FIRST_NAMES and (typ == "PERSON" or word not in AMBIGUOUS_FIRST_NAMES):
                typ = "PERSON"  # NER often calls a lone first name ORG/GPE
            elif is_tech_word(tok, shape=False):
                typ = "TECH"  # "Kubernetes" as LOC, "React" as GPE
        out.append(Mention(start, end, toks.text, typ, NER))
    return out


_RELATIVE_DATE_WORDS = (NOT_NAMES - MONTHS) | WEEKDAYS | {"spring", "summer", "fall", "autumn", "winter"}


def _absolute_date(toks: Any) -> bool:
    # Relative dates ("yesterday", "last Fri", "in May", "3 years") mean
    # nothing once stored; keep years, month + day, and named holidays.
    has_digit = any(_HAS_DIGIT.search(t.text) for t in toks)
    for t in toks:
        if re.search(r"(?<!\d)(1[5-9]|20)\d\d(?!\d)", t.text):
            return True
        if t.text[:1].isupper() and t.lower_ in MONTHS and has_digit:
            return True
        if t.text[:1].isupper() and t.lower_ not in _RELATIVE_DATE_WORDS and t.lower_ not in MONTHS:
            return True  # "Thanksgiving", "Christmas Eve"
    return False


def _junk_initial(tok: Any, common_words: frozenset[str], require_propn: bool = True) -> bool:
    """A capitalised ordinary word opening a sentence ("Glad", "Nature"),
    not a name: no first name, tech name or "Spider" of "Spider-Man"."""
    if not _sentence_initial(tok) or tok.text in FIRST_NAMES or is_tech_word(tok, shape=False):
        return False
    if tok.i + 1 < len(tok.doc) and _glued_hyphen(tok.doc, tok.i + 1):
        return False
    if require_propn:
        return _common_word(tok, common_words)
    return tok.lower_ in common_words or tok.lemma_.lower() in common_words


def _common_word(tok: Any, common_words: frozenset[str]) -> bool:
    return (
        tok.pos_ != "PROPN"
        or tok.lower_ in common_words
        or tok.lemma_.lower() in common_words
        or tok.lower_.endswith("ing")
    )


def _proper_word(tok: Any) -> bool:
    return (
        tok.pos_ == "PROPN" and _is_capitalised(tok) and tok.lower_ not in NOT_NAMES
        and tok.text[:1].isalnum()
    )


def _glued_hyphen(doc: Any, i: int) -> bool:
    # doc[i] is a hyphen written without spaces between two words: "Spider-Man".
    return (
        doc[i].text == "-" and 0 < i < len(doc) - 1
        and not doc[i - 1].whitespace_ and not doc[i].whitespace_
    )


def _extend_proper(doc: Any, start: int, end: int) -> tuple[int, int]:
    """Grow a span over adjacent proper nouns, glued hyphens and "of (the)"
    links: "Iron" -> "Iron Man", "Rings" -> "Lord of the Rings"."""
    sent = doc[start].sent
    while step := _link_before(doc, start, sent.start):
        start -= step
    while step := _link_after(doc, end, sent.end):
        end += step
    return start, end


_LINKS: tuple[tuple[str, ...], ...] = ((), ("-",), ("of",), ("of", "the"))


def _link_before(doc: Any, start: int, lo: int) -> int:
    """How many tokens before `start` continue the name (0 if none)."""
    for link in _LINKS:
        k = start - len(link) - 1
        if k < lo or not _proper_word(doc[k]) or [t.lower_ for t in doc[k + 1 : start]] != list(link):
            continue
        if link == ("-",) and not _glued_hyphen(doc, start - 1):
            continue
        return len(link) + 1
    return 0


def _link_after(doc: Any, end: int, hi: int) -> int:
    """How many tokens from `end` on continue the name (0 if none)."""
    for link in _LINKS:
        k = end + len(link)
        if k >= hi or not _proper_word(doc[k]) or [t.lower_ for t in doc[end:k]] != list(link):
            continue
        if link == ("-",) and not _glued_hyphen(doc, end):
            continue
        return len(link) + 1
    return 0


def first_name_mentions(doc: Any) -> list[Mention]:
    out = []
    for tok in doc:
        word = tok.text
        if word in FIRST_NAMES and word not in AMBIGUOUS_FIRST_NAMES and tok.pos_ not in ("VERB", "AUX", "ADP"):
            end = tok.i + 1
            # A following capitalised proper noun is taken as the surname.
            if end < len(doc) and doc[end].pos_ == "PROPN" and doc[end].is_title and not _stopword(doc[end]):
                end += 1
            out.append(Mention(tok.i, end, _text(doc, tok.i, end), "PERSON", FIRST_NAME))
    return out


def propn_run_mentions(doc: Any, common_words: frozenset[str] = frozenset()) -> list[Mention]:
    out = []
    i, n = 0, len(doc)
    while i < n:
        if not _proper_word(doc[i]):
            i += 1
            continue
        sent_end = doc[i].sent.end
        j = i + 1
        while step := _link_after(doc, j, sent_end):
            j += step  # "Spider-Man", "Lord of the Rings"
        if _junk_initial(doc[i], common_words, require_propn=False):
            i += 1  # "Glad Max is ok": the sentence's first word is not part of the name
            if i == j:
                continue
        text = _text(doc, i, j)
        single = j - i == 1
        if len(text) >= 2 and not (single and (_sentence_initial(doc[i]) or _ROMAN.match(text))):
            out.append(Mention(i, j, text, _guess_type(doc, i, j), PROPN_RUN))
        i = j
    return out


_ROMAN = re.compile(r"^[IVX]+$")


def _guess_type(doc: Any, start: int, end: int) -> str:
    """Type of a span no NER label vouches for."""
    toks = doc[start:end]
    for ent in doc.ents:
        if ent.start == start and ent.end == end and ent.label_ in SPACY_LABEL_TO_TYPE:
            typ = SPACY_LABEL_TO_TYPE[ent.label_]
            if typ != "PERSON" or toks[0].text not in NOT_NAMES:
                return typ
    if any(is_tech_word(t) for t in toks):
        return "TECH"
    if toks[-1].lower_ in ORG_SUFFIXES and len(toks) > 1:
        return "ORG"
    first = toks[0].text
    if first in FIRST_NAMES and first not in AMBIGUOUS_FIRST_NAMES and len(toks) <= 2 and all(t.is_title for t in toks):
        return "PERSON"
    return "OTHER"


# ---------------------------------------------------------------- selection


def find_mentions(
    doc: Any,
    matcher: Any = None,
    known: Mapping[str, tuple[str, str | None]] | None = None,
    common_words: frozenset[str] = frozenset(),
) -> list[Mention]:
    """Non-overlapping mentions in `doc`, in text order.  `common_words`
    (lower-case English vocabulary) lets sentence-initial capitalised words
    that NER mistakes for names be dropped."""
    candidates: list[Mention] = []
    if matcher is not None and known:
        candidates += known_mentions(doc, matcher, known)
    candidates += tech_lexicon_mentions(doc)
    candidates += quoted_title_mentions(doc)
    candidates += chunk_mentions(doc)
    candidates += ner_mentions(doc, common_words)
    candidates += tech_shape_mentions(doc)
    candidates += first_name_mentions(doc)
    candidates += propn_run_mentions(doc, common_words)
    # "Acme and Globex" / "Alice manages Bob" as one NER span: their parts.
    candidates = [part for m in candidates for part in
                  (split_coordinated(doc, m) if m.source in (NER, PROPN_RUN) else [m])]
    # Within a source, longer spans first ("Acme Corp" over "Acme").
    candidates.sort(key=lambda m: (m.source, -(m.end - m.start), m.start))
    taken: set[int] = set()
    chosen: list[Mention] = []
    for m in candidates:
        span = range(m.start, m.end)
        if any(i in taken for i in span):
            continue
        taken.update(span)
        chosen.append(m)
    chosen.sort(key=lambda m: m.start)
    return chosen


def known_table(
    names: Iterable[str] | Mapping[str, str | None] | None,
) -> dict[str, tuple[str, str | None]]:
    """lower-cased name -> (name, type or None) from a list of names or a
    mapping name -> type."""
    if not names:
        return {}
    items: Iterable[tuple[str, str | None]] = names.items() if isinstance(names, Mapping) else ((n, None) for n in names)
    return {n.strip().lower(): (n.strip(), t) for n, t in items if n and n.strip()}
