"""The lifecycle on both backends: consolidation keeps one survivor and loses nothing, forgetting
archives, audits and restores, decay and the forget policy run on demand and on a schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alma_graph import ConfigError, UnknownAgentError, ValidationError
from alma_graph.config import parse_config
from alma_graph.graph_model import Edge
from alma_graph.memory.records import utcnow

from conftest import snapshot

DEPLOY = "Deploy the billing service on a Friday evening"
DEPLOY_2 = "Deploy the billing service on Friday evening before the weekend"


def live_ids(alma, agent, kind):
    return {r["id"] for r in alma.store.find_memories(agents=[agent], kind=kind, archived=False)}


def test_consolidation_keeps_one_survivor_with_provenance_and_loses_nothing(make_alma):
    # similarity_threshold 0.99: only identical failures group, so two near-duplicate anti-patterns appear
    alma = make_alma({"ops": {}}, learning={"similarity_threshold": 0.99})
    first = [alma.learn("ops", DEPLOY, False, "Friday deploy", task_type="deploys", error_message="Nobody on call")
             for _ in range(2)]
    second = [alma.learn("ops", DEPLOY_2, False, "Friday deploy", task_type="deploys", error_message="Nobody on call",
                         workflow_id="release-7") for _ in range(2)]
    alma.add_knowledge("ops", "deploys", "Billing deploys need the on-call engineer online")
    patterns = alma.store.find_memories(agents=["ops"], kind="anti_pattern", archived=False)
    assert len(patterns) == 2 and all(p["occurrence_count"] == 2 for p in patterns)
    sources = {p["id"]: set(alma.store.targets(Edge.DERIVED_FROM, p["id"])) for p in patterns}
    older = next(i for i, ids in sources.items() if ids == {o.id for o in first})
    newer = next(i for i, ids in sources.items() if ids == {o.id for o in second})
    before = snapshot(alma)

    preview = alma.consolidate("ops", kind="anti_pattern", similarity_threshold=0.85, dry_run=True)
    assert [(g.survivor_id, g.merged_ids) for g in preview.groups] == [(older, [newer])]
    assert snapshot(alma) == before  # a dry run writes nothing

    confidence_before = {r["id"]: r["confidence"] for r in alma.store.get_memories([older, newer])}
    report = alma.consolidate("ops", kind="anti_pattern", similarity_threshold=0.85)
    assert report.merged == 1 and report.groups[0].survivor_id == older and report.groups[0].occurrence_count == 4
    [survivor] = alma.store.get_memories([older])
    [merged] = alma.store.get_memories([newer])
    assert not survivor["archived"] and merged["archived"]  # the survivor is never the one archived
    assert survivor["occurrence_count"] == 4  # 2 + 2 failures
    assert max(confidence_before.values()) < survivor["confidence"] < 1  # more evidence, more confidence
    assert alma.store.targets(Edge.MERGED_INTO, newer) == [older]
    assert set(alma.store.targets(Edge.DERIVED_FROM, older)) == {o.id for o in first + second}  # provenance moved over
    assert alma.store.targets(Edge.IN_WORKFLOW, older)  # ... and so did the workflow the duplicate came from
    assert live_ids(alma, "ops", "anti_pattern") == {older}
    assert len(alma.store.find_memories()) == len(before["memories"])  # nothing deleted
    [audit] = alma.audit_log("consolidate")
    assert set(audit.memory_ids) == {older, newer} and audit.criteria["groups"] == {older: [newer]}

    found = alma.retrieve(DEPLOY, "ops", top_k=5).anti_patterns
    assert [a.id for a in found] == [older]
    scoped = alma.retrieve_scoped(DEPLOY, "ops", "workflow_only", workflow_id="release-7")
    assert [a.id for a in scoped.anti_patterns] == [older]
    assert alma.consolidate("ops", similarity_threshold=0.85).groups == []  # nothing left to merge

    # the next similar failure reinforces the survivor instead of growing a new anti-pattern
    alma.learn("ops", DEPLOY_2, False, "Friday deploy", task_type="deploys", error_message="Paged at 2am")
    [survivor] = alma.store.get_memories([older])
    assert survivor["occurrence_count"] == 5 and live_ids(alma, "ops", "anti_pattern") == {older}

    assert alma.restore([newer]) == 1  # and a merged memory can come back
    assert live_ids(alma, "ops", "anti_pattern") == {older, newer}


def test_consolidation_of_knowledge_sums_use(alma):
    facts = [alma.add_knowledge("qa", "forms", text) for text in (
        "The login form locks after five failed attempts",
        "The login form locks after 5 failed attempts",
        "The login form locks the account after five failed attempts",
        "The signup form needs a phone number")]
    alma.record_usage([f.id for f in facts], [facts[1].id], agent="qa")
    report = alma.consolidate("qa", similarity_threshold=0.85)
    [group] = report.groups
    assert group.survivor_id == facts[1].id  # the one used most
    assert set(group.merged_ids) == {facts[0].id, facts[2].id}
    [survivor] = alma.store.get_memories([facts[1].id])
    assert (survivor["occurrence_count"], survivor["use_count"], survivor["archived"]) == (3, 1, False)
    assert live_ids(alma, "qa", "domain_knowledge") == {facts[1].id, facts[3].id}


BAD_INPUT = [
    (lambda a: a.consolidate("ghost"), UnknownAgentError, "ghost"),
    (lambda a: a.consolidate("qa", kind="outcome"), ValidationError, "not consolidated"),
    (lambda a: a.consolidate("qa", kind="memo"), ValidationError, "kind"),
    (lambda a: a.consolidate("qa", similarity_threshold=1.5), ValidationError, "similarity_threshold"),
    (lambda a: a.consolidate("qa", similarity_threshold=0), ValidationError, "above 0"),
    (lambda a: a.prune(), ValidationError, "at least one of"),
    (lambda a: a.prune(below_confidence=2), ValidationError, "below_confidence"),
    (lambda a: a.prune(max_per_agent=0), ValidationError, "max_per_agent"),
    (lambda a: a.prune(below_confidence=0.5, kinds=["memo"]), ValidationError, "memo"),
    (lambda a: a.audit_log(action="delete"), ValidationError, "action"),
]


def test_bad_lifecycle_input_is_a_typed_error_and_changes_nothing(alma):
    alma.add_knowledge("qa", "forms", "The login form locks after five failed attempts")
    for call, error, message in BAD_INPUT:
        before = snapshot(alma)
        with pytest.raises(error, match=message):
            call(alma)
        assert snapshot(alma) == before, message


def test_forget_archives_audits_and_restores(alma):
    facts = [alma.add_knowledge("qa", "forms", f"The login form rule number {i} holds", confidence=c)
             for i, c in enumerate((0.9, 0.4, 0.7))]
    assert alma.forget(memory_ids=[facts[0].id]) == 1
    assert facts[0].id not in {m.id for m in alma.retrieve("login form rule", "qa", top_k=10).all()}
    [audit] = alma.audit_log("forget")
    assert audit.memory_ids == [facts[0].id] and audit.reason == "forget() called"
    assert alma.restore([facts[0].id]) == 1
    assert facts[0].id in {m.id for m in alma.retrieve("login form rule", "qa", top_k=10).all()}
    assert alma.audit_log("restore")[0].memory_ids == [facts[0].id]

    preview = alma.prune(max_per_agent=1, kinds=["domain_knowledge"], dry_run=True)
    assert preview.reasons == {"max_per_agent": [facts[2].id, facts[1].id]} and live_ids(alma, "qa", "domain_knowledge") \
        == {f.id for f in facts}
    report = alma.prune(max_per_agent=1, below_confidence=0.5, kinds=["domain_knowledge"])
    assert sorted(report.archived_ids) == sorted([facts[1].id, facts[2].id])
    assert live_ids(alma, "qa", "domain_knowledge") == {facts[0].id}  # the most trusted is kept
    audit = alma.audit_log("forget")[0]
    assert set(audit.memory_ids) == {facts[1].id, facts[2].id} and audit.reason == "forget policy"
    assert audit.criteria["max_per_agent"] == 1 and audit.criteria["selected"] == {"max_per_agent": 2,
                                                                                   "below_confidence": 1}
    assert alma.restore(audit.memory_ids) == 2  # the audit record is enough to undo it
    assert live_ids(alma, "qa", "domain_knowledge") == {f.id for f in facts}
    assert [a.action for a in alma.audit_log()][:2] == ["restore", "forget"]


def test_the_lifecycle_decays_reinforces_and_forgets(make_alma):
    alma = make_alma(lifecycle={"decay": {"half_life_days": 10, "grace_days": 0, "reinforce_on_use": 0.1},
                                "forget": {"below_confidence": 0.3}})
    pattern = alma.add_anti_pattern("qa", "Fixed sleep() waits in UI tests", "Flaky on slow CI", task_type="ui")
    fact = alma.add_knowledge("qa", "ui", "The checkout page loads its scripts lazily")
    unused = alma.add_knowledge("qa", "ui", "The checkout page is served from the edge cache")
    first = alma.run_lifecycle()  # sets the clock; seconds have passed, so almost nothing decays
    assert first.decay.since is None and first.prune.archived == 0
    alma.record_usage([fact.id, pattern.id, unused.id], [fact.id], agent="qa")

    report = alma.run_lifecycle(now=utcnow() + timedelta(days=10))
    assert (report.decay.decayed, report.decay.reinforced) == (3, 1)
    [p] = alma.store.get_memories([pattern.id])
    [f] = alma.store.get_memories([fact.id])
    [u] = alma.store.get_memories([unused.id])
    # one half-life: an unused fact (confidence 1) is at one half; the used one decays as much, then
    # regains a tenth of the gap to 1 (hand-computed: 0.5 + 0.1 * 0.5)
    assert u["confidence"] == pytest.approx(0.5, abs=1e-3)
    assert f["confidence"] == pytest.approx(0.55, abs=1e-3)
    assert p["archived"] and report.prune.archived_ids == [pattern.id]  # 0.5 -> 0.25 < 0.3: forgotten
    assert not f["archived"]
    decay_audit = alma.audit_log("decay")[0]
    assert set(decay_audit.memory_ids) == {pattern.id, fact.id, unused.id}
    assert alma.audit_log("forget")[0].reason == "lifecycle run (manual)"
    assert alma.restore([pattern.id]) == 1

    again = alma.run_lifecycle(now=utcnow() + timedelta(days=20))  # runs compose: 10 more days halve it again
    before = f["confidence"]
    [f] = alma.store.get_memories([fact.id])
    assert f["confidence"] == pytest.approx(before / 2, abs=1e-3) and fact.id in again.prune.archived_ids


def test_the_schedule_runs_every_n_writes_and_on_open(make_alma, tmp_path):
    directory = tmp_path / "store"
    policy = {"forget": {"below_confidence": 0.6}}  # a fresh anti-pattern starts at 0.5
    alma = make_alma(directory=directory, lifecycle={**policy, "schedule": {"every_n_writes": 2}})
    pattern = alma.add_anti_pattern("qa", "Fixed sleep() waits in UI tests", "Flaky on slow CI")
    assert live_ids(alma, "qa", "anti_pattern") == {pattern.id}  # one write: not yet
    alma.add_knowledge("qa", "ui", "The checkout page loads its scripts lazily")
    assert live_ids(alma, "qa", "anti_pattern") == set()  # the second write ran the lifecycle
    assert alma.audit_log("forget")[0].reason == "lifecycle run (every 2 writes)"
    assert alma.lifecycle_schedule.last_report.prune.archived_ids == [pattern.id]
    alma.restore([pattern.id])
    alma.close()

    reopened = make_alma(directory=directory, lifecycle={**policy, "schedule": {"on_open": True}})
    assert live_ids(reopened, "qa", "anti_pattern") == set()
    assert reopened.audit_log("forget")[0].reason == "lifecycle run (on open)"


def test_lifecycle_config_is_strict():
    config = parse_config({"lifecycle": {"schedule": {"every_n_writes": 100}, "consolidate": {"enabled": True}}})
    assert config.lifecycle.schedule.every_n_writes == 100 and config.lifecycle.decay.half_life_days == 90
    with pytest.raises(ConfigError, match="did you mean 'half_life_days'"):
        parse_config({"lifecycle": {"decay": {"half_lif_days": 3}}})
    with pytest.raises(ConfigError, match="every_n_writes"):
        parse_config({"lifecycle": {"schedule": {"every_n_writes": 0}}})
    with pytest.raises(ConfigError, match="kinds"):
        parse_config({"lifecycle": {"forget": {"kinds": ["memo"]}}})
