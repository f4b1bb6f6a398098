"""delete (archive / hard erase) and erase_user on both backends, and the erasure
guarantee: after a hard delete or a user's erasure the text is nowhere — not in a
full export, not in any file of the storage folder (the Kuzu database and the
vector index files), not in retrieval, not in entity names only it mentioned — and
an audit record names the ids without the content."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from alma_graph.errors import EntityNotFoundError, MemoryNotFoundError, ScopeViolationError, ValidationError
from alma_graph.interfaces.transfer import export_jsonl
from tests.conftest import snapshot

AGENTS = {
    "dev": {"can_learn": ["infra", "style", "general"], "share_with": ["qa"]},
    "qa": {"can_learn": ["testing"]},
    "other": {},
}


@pytest.fixture
def alma(make_alma):
    return make_alma(AGENTS)


def traces(alma, tmp_path: Path, words: list[str]) -> dict[str, list[str]]:
    """Where each word still appears: the export, the storage folder's files, retrieval, entity names."""
    export = tmp_path / f"export-{len(list(tmp_path.glob('export-*')))}.jsonl"
    export_jsonl(alma, export)
    exported = export.read_text(encoding="utf-8")
    files = {path: path.read_bytes() for path in Path(alma.config.storage_dir).rglob("*") if path.is_file()}
    names = " ".join(row["name"] or "" for row in alma.store.entity_names())
    found: dict[str, list[str]] = {}
    for word in words:
        places = []
        if word in exported:
            places.append("export")
        places += [str(path) for path, data in files.items() if word.encode() in data]
        for agent in ("dev", "qa"):
            if any(word in m.text for m in alma.retrieve(word, agent, top_k=20, user_id="dana").all()):
                places.append(f"retrieve:{agent}")
        if word in names:
            places.append("entity names")
        if places:
            found[word] = places
    return found


def test_soft_delete_archives_and_restore_brings_it_back(alma):
    fact = alma.add_knowledge("dev", "infra", "The search cluster runs Elasticsearch 8.")
    assert alma.delete(fact.id, "dev") == {"id": fact.id, "hard": False, "archived": 1}
    assert alma.get(fact.id, "dev").archived is True
    assert not alma.retrieve("Which search engine do we run?", "dev").domain_knowledge
    assert alma.delete(fact.id, "dev") == {"id": fact.id, "hard": False, "archived": 0}  # again: nothing to do
    assert [r.action for r in alma.audit_log(action="forget")] == ["forget"]
    alma.restore([fact.id])
    assert [m.id for m in alma.retrieve("Which search engine do we run?", "dev").domain_knowledge] == [fact.id]


def test_hard_delete_erases_every_version_and_leaves_no_trace(alma, tmp_path):
    first = alma.add_knowledge("dev", "infra", "Quillfeather Dynamics signed the Vexmoor contract in Zanzibar.")
    kept = alma.add_knowledge("dev", "infra", "The backup data centre is in Zanzibar.")
    assert {m["id"] for m in alma.entity_context("Zanzibar", "dev").memories} == {first.id, kept.id}
    second = alma.update(first.id, "dev", text="Quillfeather Dynamics signed the Brambleton contract in Zanzibar.")
    words = ["Quillfeather", "Vexmoor", "Brambleton"]
    assert set(traces(alma, tmp_path, words)) == set(words)  # the check finds them while they exist
    alma.close()
    alma = type(alma)(alma.config, embedder=alma.embedder)  # the files on disk hold them now too
    try:
        assert {w for w, places in traces(alma, tmp_path, words).items()
                if any(p.endswith("graph.kuzu") or "/index/" in p for p in places)} == \
            (set(words) if alma.config.storage == "kuzu" else set())

        counts = alma.delete(first.id[:8] if alma.config.storage == "kuzu" else first.id, "dev", hard=True)
        assert counts["memories"] == 2 and counts["hard"] is True and counts["entities"] >= 1
        assert traces(alma, tmp_path, words) == {}
        for version in (first.id, second.id):
            with pytest.raises(MemoryNotFoundError):
                alma.get(version, "dev")
        with pytest.raises(EntityNotFoundError):
            alma.related("Quillfeather Dynamics", "dev")
        # an entity another memory still mentions stays, with that memory
        assert {m["id"] for m in alma.entity_context("Zanzibar", "dev").memories} == {kept.id}
        assert alma.get(kept.id, "dev").fact == kept.fact
        [audit] = alma.audit_log(action="erase")
        assert set(audit.memory_ids) == {first.id, second.id} and audit.agent == "dev"
        assert not any(w in repr(audit) for w in words)
        assert len(alma.context.indexes.vectors) == 1 and alma.stats()["total_memories"] == 1 and alma.stats()["archived"] == 0
    finally:
        alma.close()
    reopened = type(alma)(alma.config, embedder=alma.embedder)  # the rewritten store opens and reads as before
    try:
        assert reopened.get(kept.id, "dev").fact == kept.fact and len(reopened.context.indexes.vectors) == 1
        assert traces(reopened, tmp_path, words) == {}
    finally:
        reopened.close()


def test_erasing_a_newer_fact_lets_the_older_one_hold_again(alma):
    alma.add_knowledge("dev", "infra", "Bob Smith works at Initech.", timestamp=datetime(2024, 1, 1, tzinfo=timezone.utc))
    newer = alma.add_knowledge("dev", "infra", "Bob Smith works at Globex.",
                               timestamp=datetime(2024, 6, 1, tzinfo=timezone.utc))
    assert {f.object for f in alma.related("Bob Smith", "dev", predicate="works_at")} == {"Globex"}
    alma.delete(newer.id, "dev", hard=True)
    facts = alma.related("Bob Smith", "dev", predicate="works_at", include_history=True)
    assert [(f.object, f.valid_to) for f in facts] == [("Initech", None)]


def test_hard_delete_takes_heuristics_derived_only_from_the_erased_outcome(make_alma):
    alma = make_alma({"dev": {"min_occurrences_for_heuristic": 1}})
    outcome = alma.learn("dev", "Rotate the Kestrelgate API keys", True, "Use the vault rotation job", task_type="ops")
    [heuristic] = alma.store.find_memories(kind="heuristic")
    assert "Kestrelgate" in heuristic["text"]
    counts = alma.delete(outcome.id, "dev", hard=True)
    assert counts["memories"] == 2 and counts["tasks"] == 1
    assert alma.store.find_memories() == [] and alma.store.node_counts()["Task"] == 0


def test_others_cannot_delete_and_bad_input_changes_nothing(alma):
    fact = alma.add_knowledge("dev", "infra", "Backups run at 02:00 UTC.")
    before = snapshot(alma)
    with pytest.raises(ScopeViolationError):
        alma.delete(fact.id, "qa", hard=True)  # qa sees it (shared) but does not own it
    with pytest.raises(MemoryNotFoundError):
        alma.delete(fact.id, "other")
    with pytest.raises(MemoryNotFoundError):
        alma.delete(fact.id, "other", hard=True)
    with pytest.raises(ValidationError, match="hard"):
        alma.delete(fact.id, "dev", hard="yes")
    with pytest.raises(ValidationError):
        alma.erase_user("dana smith")  # not an id
    assert snapshot(alma) == before
    assert alma.erase_user("nobody") == {"user_id": "nobody", "memories": 0, "facts": 0, "entities": 0, "tasks": 0,
                                         "concepts": 0, "users": 0}
    assert snapshot(alma) == before


def test_erase_user_removes_everything_stated_by_or_about_the_user(alma, tmp_path):
    alma.add_preference("dana", "style", "Dana wants Marrowind colour themes")
    alma.add_preference("dana", "style", "Dana formats dates as Thistlecombe style", agent="dev")
    alma.add_knowledge("dev", "infra", "The Hollowmere report was requested by her.", metadata={"user_id": "dana"})
    alma.add_knowledge_batch([{"agent": "dev", "domain": "infra", "fact": "Dana: my Pellucid laptop is slow.",
                               "speaker": "Dana", "session_id": "s1", "sequence": 1}])
    chat = tmp_path / "chat.txt"
    chat.write_text("[2025-02-10 09:30] Dana: The Gorsemoor dashboard takes forty seconds to load.\n"
                    "[2025-02-10 09:31] Marco: I will profile the Gorsemoor queries today.\n")
    report = alma.ingest_conversations(chat, "dev", user_id="dana", domain="infra")
    assert report.ok and report.memory_ids
    erin = alma.add_preference("erin", "style", "Erin wants dark mode")
    words = ["Marrowind", "Thistlecombe", "Hollowmere", "Pellucid", "Gorsemoor"]
    assert set(traces(alma, tmp_path, words)) == set(words)

    counts = alma.erase_user("dana")
    assert counts["memories"] == 4 + len(report.memory_ids) and counts["users"] == 1
    assert traces(alma, tmp_path, words) == {}
    assert [p.id for p in alma.retrieve("colour themes", "dev", user_id="erin").preferences] == [erin.id]
    assert not alma.retrieve("colour themes", "dev", user_id="dana").preferences
    assert alma.store.node_counts()["User"] == 1  # erin's
    [audit] = alma.audit_log(action="erase_user")
    assert audit.criteria == {"user_id": "dana"} and audit.count == counts["memories"]
    assert not any(w in repr(audit) for w in words)
    assert alma.erase_user("dana")["memories"] == 0  # again: nothing left
