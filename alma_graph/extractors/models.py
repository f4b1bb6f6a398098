"""Plain result types of the extractors (no spaCy objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass

# Closed set of entity types; the graph layer stores these as-is.
ENTITY_TYPES: frozenset[str] = frozenset(
    {"PERSON", "ORG", "PRODUCT", "TECH", "PLACE", "EVENT", "DATE", "OTHER"}
)

# spaCy (OntoNotes) label -> our type.  Labels missing here (CARDINAL,
# ORDINAL, QUANTITY, PERCENT, MONEY, LAW, LANGUAGE) are dropped: numbers and
# amounts are attributes, not nodes worth linking.
SPACY_LABEL_TO_TYPE: dict[str, str] = {
    "PERSON": "PERSON",
    "ORG": "ORG",
    "GPE": "PLACE",
    "LOC": "PLACE",
    "FAC": "PLACE",
    "PRODUCT": "PRODUCT",
    "WORK_OF_ART": "PRODUCT",
    "EVENT": "EVENT",
    "DATE": "DATE",
    "TIME": "DATE",
    "NORP": "OTHER",
}


@dataclass(frozen=True)
class ExtractedEntity:
    name: str  # surface form (or the alias target), for display
    norm_name: str  # key for linking/de-duplication, see normalize.norm_name
    type: str  # one of ENTITY_TYPES

    def __post_init__(self) -> None:
        if self.type not in ENTITY_TYPES:
            raise ValueError(f"unknown entity type {self.type!r}")


@dataclass(frozen=True)
class ExtractedRelation:
    subject: ExtractedEntity
    predicate: str  # safe identifier: [a-z_]+, at most 40 chars
    object: ExtractedEntity


@dataclass(frozen=True)
class ExtractedConcept:
    """A normalised common-noun phrase (see extractors.concepts)."""

    name: str  # the normalised phrase, shown as is
    norm_name: str  # key for linking
    mention: str  # the words as the text wrote them (lower case), for matching queries
    speaker: str | None = None  # the speaker, when the text says it is theirs ("my dog", "I adopted a dog")


@dataclass(frozen=True)
class Extraction:
    entities: tuple[ExtractedEntity, ...] = ()
    relations: tuple[ExtractedRelation, ...] = ()
    concepts: tuple[ExtractedConcept, ...] = ()
