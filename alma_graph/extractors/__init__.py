"""Entity and relation extraction for the memory graph (spaCy-based).

Importing this package is cheap: spaCy and its model load on the first
extract() call, once per process.

    >>> from alma_graph.extractors import EntityExtractor
    >>> ex = EntityExtractor(known_names={"Caroline": "PERSON"})
    >>> ex.extract("Bob works at Globex.").relations[0].predicate
    'works_at'
"""

from .models import ENTITY_TYPES, ExtractedConcept, ExtractedEntity, ExtractedRelation, Extraction
from .normalize import build_alias_map, canonical_name, norm_name
from .pipeline import EntityExtractor
from .relations import CANONICAL as CANONICAL_PREDICATES
from .relations import safe_predicate
from .spacy_model import DEFAULT_MODEL, load_nlp

__all__ = [
    "CANONICAL_PREDICATES",
    "DEFAULT_MODEL",
    "ENTITY_TYPES",
    "ExtractedConcept",
    "EntityExtractor",
    "ExtractedEntity",
    "ExtractedRelation",
    "Extraction",
    "build_alias_map",
    "canonical_name",
    "load_nlp",
    "norm_name",
    "safe_predicate",
]
