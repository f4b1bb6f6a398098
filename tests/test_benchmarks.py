"""The retrieval benchmarks: metrics on hand-computed cases, the LoCoMo and
LongMemEval loaders on small fixtures, and both runners end to end through the
real stack (MiniLM, Kuzu) on those fixtures."""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import _harness  # noqa: E402
import locomo  # noqa: E402
import longmemeval  # noqa: E402
import scale  # noqa: E402
from _metrics import dcg, dedupe, ndcg, recall_all, recall_any  # noqa: E402

from alma_graph.errors import ValidationError  # noqa: E402
from alma_graph.memory.validation import MAX_TEXT_CHARS  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LOCOMO_TINY = FIXTURES / "locomo_tiny.json"
LME_FIXTURE = FIXTURES / "longmemeval_fixture.json"
LME_SAMPLE = Path("/work/shared/data/longmemeval/sample_s_2q.json")


# -- metrics ------------------------------------------------------------------------------------


def test_recall_any_and_all():
    ranked = ["a", "b", "c", "d"]
    assert recall_any(ranked, {"c"}, 2) == 0.0
    assert recall_any(ranked, {"c"}, 3) == 1.0
    assert recall_any(ranked, {"c", "z"}, 4) == 1.0
    assert recall_all(ranked, {"a", "c"}, 2) == 0.0
    assert recall_all(ranked, {"a", "c"}, 3) == 1.0
    assert recall_all(ranked, {"a", "z"}, 4) == 0.0
    assert recall_any([], {"a"}, 5) == 0.0  # nothing retrieved
    assert recall_all(ranked[:1], {"a"}, 10) == 1.0  # fewer results than k
    with pytest.raises(ValueError):
        recall_any(ranked, set(), 5)
    with pytest.raises(ValueError):
        recall_all(ranked, {"a"}, 0)


def test_ndcg_standard_discount_hand_computed():
    # relevant at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161
    # ideal (ranks 1, 2): 1 + 1/log2(3) = 1.63093  →  0.65092
    assert ndcg(["x", "r1", "y", "r2"], {"r1", "r2"}, 4) == pytest.approx(0.65092, abs=1e-5)
    assert ndcg(["x", "r1"], {"r1"}, 10) == pytest.approx(1 / math.log2(3))  # 0.63093
    assert ndcg(["r1", "x"], {"r1"}, 10) == 1.0
    assert ndcg(["x", "y", "r1"], {"r1"}, 2) == 0.0  # outside the cut-off
    # more relevant documents than k: the ideal holds only k of them
    assert ndcg(["a", "b"], {"a", "b", "c"}, 2) == 1.0
    # a document repeated (two chunks of one session) is relevant once
    assert ndcg(["r1", "r1", "r2"], {"r1", "r2"}, 3) == pytest.approx((1 + 1 / 2) / (1 + 1 / math.log2(3)))
    assert dcg([1, 0, 1], 3) == pytest.approx(1 + 0.5)


def test_ndcg_longmemeval_discount_hand_computed():
    # LongMemEval's eval_utils.dcg: rank 1 counts 1, rank p >= 2 counts 1/log2(p)
    assert ndcg(["x", "r1"], {"r1"}, 10, discount="longmemeval") == 1.0  # 1/log2(2) = 1
    assert ndcg(["x", "y", "r1"], {"r1"}, 10, discount="longmemeval") == pytest.approx(1 / math.log2(3))
    # ranks 2 and 4: (1/log2 2 + 1/log2 4) / (1 + 1/log2 2) = 1.5 / 2
    assert ndcg(["x", "r1", "y", "r2"], {"r1", "r2"}, 4, discount="longmemeval") == pytest.approx(0.75)
    with pytest.raises(ValueError):
        ndcg(["a"], {"a"}, 1, discount="other")


def _official_ndcg(ranked, relevant, corpus, k):
    """LongMemEval's formula, written out from its definition, for a cross-check."""
    def official_dcg(rels):
        rels = rels[:k]
        return (rels[0] + sum(r / math.log2(i) for i, r in enumerate(rels[1:], start=2))) if rels else 0.0
    rels = [1 if d in relevant else 0 for d in corpus]
    ideal = official_dcg(sorted(rels, reverse=True))
    return official_dcg([1 if d in relevant else 0 for d in ranked]) / ideal if ideal else 0.0


@pytest.mark.parametrize("ranked,relevant,k", [
    (["d3", "d1", "d7", "d2", "d5", "d4", "d6", "d0"], {"d1", "d2"}, 3),
    (["d3", "d1", "d7", "d2", "d5", "d4", "d6", "d0"], {"d1", "d2"}, 5),
    (["d3", "d1", "d7", "d2", "d5", "d4", "d6", "d0"], {"d0", "d6", "d4"}, 8),
    (["d0", "d1", "d2", "d3"], {"d0"}, 1),
])
def test_ndcg_matches_longmemeval_formula(ranked, relevant, k):
    assert ndcg(ranked, relevant, k, discount="longmemeval") == pytest.approx(
        _official_ndcg(ranked, relevant, sorted(ranked), k))


def test_dedupe_keeps_first_rank():
    assert dedupe(["s2", "s1", "s2", "s3", "s1"]) == ["s2", "s1", "s3"]


# -- LoCoMo data --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw,expected", [
    (["D8:6; D9:17"], ["D8:6", "D9:17"]),
    (["D8:6 D9:17 D10:2"], ["D8:6", "D9:17", "D10:2"]),
    (["D30:05"], ["D30:5"]),
    (["D:11:26"], ["D11:26"]),
    (["D1:14", "D2:7", "D:11:26"], ["D1:14", "D2:7", "D11:26"]),
    (["D3:1", "D3:1"], ["D3:1"]),
    ("D2:4", ["D2:4"]),
    ([], []),
    (None, []),
])
def test_evidence_normalisation(raw, expected):
    ids, _ = locomo.normalize_evidence(raw)
    assert ids == expected


def test_evidence_normalisation_reports_what_it_changed_or_dropped():
    ids, problems = locomo.normalize_evidence(["D1:18", "D", "D1:20"])
    assert ids == ["D1:18", "D1:20"]
    assert any("'D'" in p and "dropped" in p for p in problems)
    assert locomo.normalize_evidence(["D1:3", "D2:4"])[1] == []  # clean evidence: nothing to report
    assert locomo.normalize_evidence(["D30:05"])[1] == ["normalised 'D30:05' → D30:5"]


def test_session_date_parsing():
    utc = timezone.utc
    assert locomo.parse_session_date("1:56 pm on 8 May, 2023") == datetime(2023, 5, 8, 13, 56, tzinfo=utc)
    assert locomo.parse_session_date("12:48 am on 1 February, 2023") == datetime(2023, 2, 1, 0, 48, tzinfo=utc)
    assert locomo.parse_session_date("12:05 pm on 3 Sept 2023") == datetime(2023, 9, 3, 12, 5, tzinfo=utc)
    assert locomo.parse_session_date("sometime in May") is None
    assert locomo.parse_session_date(None) is None


def test_locomo_loader_on_the_tiny_fixture():
    [conv] = locomo.load_locomo([str(LOCOMO_TINY)])
    assert conv.id == "locomo_tiny" and conv.speakers == ["Alice", "Bob"]
    assert [s.number for s in conv.sessions] == [1, 2]  # session_3_date_time has no session
    assert any("do not exist: [3]" in q for q in conv.quirks)
    assert [len(s.turns) for s in conv.sessions] == [6, 5]
    assert conv.sessions[1].timestamp == datetime(2023, 6, 21, 19, 31, tzinfo=timezone.utc)
    photo = conv.sessions[0].turns[2]
    assert photo.fact == ("Alice: Nice! Big news here too: we adopted a corgi puppy named Biscuit last weekend."
                          " [shares a photo: a photo of a small corgi puppy lying on a blue blanket]")
    assert conv.sessions[0].turns[0].fact == "Alice: Hey Bob! Long time no see. How have you been?"

    q = conv.questions
    assert [x.category for x in q] == [4, 1, 2, 5]
    assert q[0].evidence == ["D1:3"]  # 'D1:03'
    assert q[1].evidence == ["D1:5", "D2:2"]  # 'D1:5; D2:2'
    assert q[2].evidence == ["D2:1", "D2:5"]  # 'D:2:1 D2:5' and a bare 'D'
    assert any("'D'" in p for p in q[2].problems)
    assert [x.excluded for x in q] == [None, None, None, "category 5"]

    items = locomo.turn_items(conv)
    assert len(items) == 11
    assert items[6] == {
        "agent": "locomo", "domain": "conversation",
        "fact": "Bob: Alice, guess what, I finished the Lisbon marathon last Sunday!",
        "timestamp": datetime(2023, 6, 21, 19, 31, tzinfo=timezone.utc),
        "metadata": {"dia_id": "D2:1", "session": 2, "speaker": "Bob"},
        "session_id": "session_2", "sequence": 0, "speaker": "Bob",
    }


def test_locomo_loader_reads_the_released_list_format_and_drops_evidence_for_missing_turns(tmp_path):
    flat = json.loads(LOCOMO_TINY.read_text())
    qa = flat.pop("qa")
    qa.append({"question": "Q?", "answer": "A", "evidence": ["D2:9"], "category": 4})  # no such turn
    path = tmp_path / "locomo10.json"
    path.write_text(json.dumps([{"sample_id": "conv-99", "conversation": flat, "qa": qa}]))
    [conv] = locomo.load_locomo([str(path)])
    assert conv.id == "conv-99" and len(conv.turns) == 11 and len(conv.questions) == 5
    assert conv.questions[4].evidence == [] and conv.questions[4].excluded == "empty evidence"
    assert "names no turn" in conv.questions[4].problems[0]


# -- the harness ------------------------------------------------------------------------------------


class _OldStore:
    """add_knowledge_batch as it was before the conversation keys existed."""

    def __init__(self):
        self.calls = []

    def add_knowledge_batch(self, items):
        allowed = {"agent", "domain", "fact", "source", "confidence", "timestamp", "metadata", "id"}
        for position, item in enumerate(items):
            unknown = set(item) - allowed
            if unknown:
                raise ValidationError(f"item {position}: unknown field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        self.calls.append(items)


def test_add_batch_drops_item_keys_the_store_does_not_know():
    store = _OldStore()
    items = [{"agent": "a", "domain": "d", "fact": f"f{i}", "session_id": "s1", "sequence": i, "speaker": "x"}
             for i in range(3)]
    assert _harness.add_batch(store, items, batch_size=2) == []
    assert [len(c) for c in store.calls] == [2, 1]
    assert store.calls[0][0] == {"agent": "a", "domain": "d", "fact": "f0"}


def test_add_batch_reraises_other_validation_errors():
    store = _OldStore()
    with pytest.raises(ValidationError, match="unknown field"):
        _harness.add_batch(store, [{"agent": "a", "domain": "d", "fact": "f", "colour": "red"}])


def test_recipes_follow_the_retrieve_signature(monkeypatch):
    monkeypatch.setattr(_harness, "retrieve_parameters", lambda: {"self", "task", "agent", "top_k"})
    assert _harness.resolve_recipes(None) == ["default"]
    assert _harness.resolve_recipes(["hybrid"]) == ["default"]
    monkeypatch.setattr(_harness, "retrieve_parameters", lambda: {"self", "task", "agent", "top_k", "recipe"})
    assert _harness.resolve_recipes(None) == list(_harness.RECIPES)
    assert _harness.resolve_recipes(["hybrid", "bm25_only"]) == ["hybrid", "bm25_only"]


# -- LongMemEval data -------------------------------------------------------------------------------


def test_longmemeval_loader_on_the_fixture():
    entries = {e.question_id: e for e in longmemeval.load_longmemeval(LME_FIXTURE)}
    assert len(entries) == 4
    single = entries["f1a2b3c4"]
    assert single.question_date == datetime(2023, 5, 30, 23, 40, tzinfo=timezone.utc)
    assert single.evidence_turns == ["answer_d3e1f0a2_1"] and single.evidence_sessions == ["answer_d3e1f0a2"]
    assert entries["a9b8c7d6"].evidence_sessions == ["answer_5b6c7d8e_1", "answer_5b6c7d8e_2"]
    assert entries["0c1d2e3f"].evidence_turns == ["answer_0e9d8c7b_1_1", "answer_0e9d8c7b_2_3"]
    assert entries["e5f6a7b8_abs"].excluded == "abstention (_abs)"
    assert [e.excluded for e in entries.values()].count(None) == 3

    sessions = longmemeval.documents(single, "session")
    turns = longmemeval.documents(single, "turn")
    assert [d.id for d in sessions] == single_ids(single)
    answer = [d for d in sessions if d.id == "answer_d3e1f0a2"][0]
    assert answer.text.startswith("I graduated last year") and "Hakai" not in answer.text  # user turns only
    assert answer.text.endswith("Which magazines accept pitches from new writers?")
    # turn ids number every turn of the session from 1, as the official script does
    assert [d.id for d in turns if d.session_id == "answer_d3e1f0a2"] == ["answer_d3e1f0a2_1", "answer_d3e1f0a2_3"]


def single_ids(entry):
    return [sid for sid, _, _ in entry.sessions]


def test_longmemeval_dates_and_chunks():
    assert longmemeval.parse_date("2023/05/20 (Sat) 02:21") == datetime(2023, 5, 20, 2, 21, tzinfo=timezone.utc)
    assert longmemeval.parse_date("2023/05/20") == datetime(2023, 5, 20, tzinfo=timezone.utc)
    assert longmemeval.parse_date("May 20") is None
    text = " ".join(f"word{i}" for i in range(60))
    chunks = longmemeval.chunk_text(text, 100)
    assert all(len(c) <= 100 for c in chunks) and " ".join(chunks) == text
    assert longmemeval.chunk_text("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]
    doc = longmemeval.Document("s1", "s1", ("lorem ipsum " * 2000).strip(), None, 0)  # 23,999 characters
    items, chunked = longmemeval.memory_items([doc], MAX_TEXT_CHARS)
    assert chunked == 1 and len(items) == 2
    assert {i["metadata"]["doc_id"] for i in items} == {"s1"} and all(len(i["fact"]) <= MAX_TEXT_CHARS for i in items)


def test_longmemeval_odd_session_ids_stay_apart_and_valid():
    turn = {"role": "user", "content": "hello there"}
    entry = longmemeval.parse_entry({
        "question_id": "q1", "question": "hi?", "question_date": "2023/05/30 (Tue) 23:40",
        "haystack_session_ids": ["s#1", "s#1"], "haystack_dates": ["2023/05/01 (Mon) 10:00"] * 2,
        "haystack_sessions": [[turn], [dict(turn, has_answer=True)]]})
    assert [sid for sid, _, _ in entry.sessions] == ["s#1", "s#1.dup2"]
    assert entry.evidence_turns == ["s#1.dup2_1"] and any("repeats" in q for q in entry.quirks)
    items, _ = longmemeval.memory_items(longmemeval.documents(entry, "session"), MAX_TEXT_CHARS)
    assert [i["metadata"]["doc_id"] for i in items] == ["s#1", "s#1.dup2"]
    assert [i["session_id"] for i in items] == ["s_1", "s_1.dup2"]  # what the store's labels accept


# -- end to end through the real stack ---------------------------------------------------------------


def test_locomo_runner_end_to_end(tmp_path, capsys):
    out = tmp_path / "locomo.json"
    payload = locomo.main(["--data", str(LOCOMO_TINY), "--out", str(out), "--per-question"])
    written = json.loads(out.read_text())
    assert written["benchmark"] == "locomo" and written["results"] == json.loads(json.dumps(payload["results"]))
    recipes = written["config"]["recipes_run"]
    assert recipes == ["similarity_only", "bm25_only", "dense_bm25", "dense_bm25_graph", "hybrid"]
    conv = written["data"]["conversations"][0]
    assert conv["excluded"] == {"category 5": 1} and conv["scored"] == 3 and conv["turns"] == 11
    for recipe in recipes:
        result = written["results"][recipe]
        assert set(result["overall"]) == {"n", *locomo.METRICS} and result["overall"]["n"] == 3
        assert set(result["by_category"]) == {"1", "2", "3", "4"}
        assert result["by_category"]["3"]["n"] == 0 and result["by_category"]["3"]["recall_any@5"] is None
        assert {"p50_ms", "p95_ms"} <= set(result["latency"]) and result["latency"]["n"] == 3
        assert result["errors"]["count"] == 0, result["errors"]
    records = {r["qa_index"]: r for r in written["per_question"]}
    assert set(records) == {0, 1, 2}
    assert records[0]["evidence"] == ["D1:3"] and records[1]["evidence"] == ["D1:5", "D2:2"]  # from the fixture
    ranks_seen = set()
    for record in records.values():  # each metric agrees with where the evidence actually ranked
        for recipe in recipes:
            ranks = [r or math.inf for r in record["evidence_ranks"][recipe]]
            ranks_seen.update(ranks)
            metrics = record["metrics"][recipe]
            for k in (1, 5, 10):
                assert metrics[f"recall_any@{k}"] == float(min(ranks) <= k), (record["qa_index"], recipe, k)
            assert metrics["recall_all@5"] == float(max(ranks) <= 5)
    assert ranks_seen - {1}  # not every evidence turn ranks first: the checks above can fail
    for recipe in recipes:  # "What breed is Alice's puppy Biscuit?" — the corgi turn
        assert records[0]["metrics"][recipe]["recall_any@5"] == 1.0, recipe
    printed = capsys.readouterr().out
    assert "recall_any@5 per category" in printed and "Multi-hop (category 1)" in printed


def test_locomo_ablation_runs_the_default_recipe_without_each_signal(tmp_path):
    out = tmp_path / "locomo.json"
    locomo.main(["--data", str(LOCOMO_TINY), "--out", str(out), "--recipes", "hybrid", "--ablation"])
    written = json.loads(out.read_text())
    signals = ["dense", "bm25", "graph", "time", "neighbors"]
    assert written["config"]["recipes_run"] == ["hybrid", *(f"hybrid_minus_{s}" for s in signals)]
    for signal in signals:
        result = written["results"][f"hybrid_minus_{signal}"]
        assert result["overall"]["n"] == 3 and result["errors"]["count"] == 0
    # without BM25 and dense nothing but the graph, time and neighbours rank: a different result
    assert written["results"]["hybrid_minus_bm25"]["overall"] != written["results"]["hybrid"]["overall"] or \
        written["results"]["hybrid_minus_dense"]["overall"] != written["results"]["hybrid"]["overall"]


@pytest.mark.parametrize("ranked, evidence, expected", [
    # evidence at rank 3 of 12, in session 2 (which also holds rank 1)
    (["D2:7", "D1:1", "D2:1", "D3:1", "D3:2", "D3:3", "D3:4", "D3:5", "D3:6", "D3:7", "D3:8", "D3:9"], ["D2:1"],
     {"recall_any@1": 0.0, "recall_any@5": 1.0, "recall_any@10": 1.0, "recall_all@5": 1.0, "recall_all@10": 1.0,
      "session_recall_any@5": 1.0, "ndcg@10": 0.5}),  # 1/log2(3+1) over the ideal 1
    # two evidence turns at ranks 1 and 7: any@1 yes, all@5 no, all@10 yes
    (["D1:1", "D4:1", "D4:2", "D4:3", "D4:4", "D4:5", "D2:2"], ["D1:1", "D2:2"],
     {"recall_any@1": 1.0, "recall_any@5": 1.0, "recall_any@10": 1.0, "recall_all@5": 0.0, "recall_all@10": 1.0,
      "session_recall_any@5": 1.0, "ndcg@10": (1 + 1 / 3) / (1 + 1 / math.log2(3))}),
    # nothing relevant retrieved, not even from its session
    (["D4:1", "D4:2"], ["D2:2"],
     {"recall_any@1": 0.0, "recall_any@5": 0.0, "recall_any@10": 0.0, "recall_all@5": 0.0, "recall_all@10": 0.0,
      "session_recall_any@5": 0.0, "ndcg@10": 0.0}),
])
def test_locomo_scores_hand_computed_cases(ranked, evidence, expected):
    assert locomo.score(ranked, evidence) == pytest.approx(expected)


def test_longmemeval_runner_end_to_end(tmp_path):
    out = tmp_path / "lme.json"
    longmemeval.main([str(LME_FIXTURE), "--out", str(out), "--per-question"])
    written = json.loads(out.read_text())
    assert written["data"]["questions"] == 4 and written["data"]["scored"] == 3
    assert written["data"]["excluded_ids"] == {"abstention (_abs)": ["e5f6a7b8_abs"]}
    recipes = written["config"]["recipes_run"]
    assert recipes
    for recipe in recipes:
        assert written["results"][recipe]["errors"]["count"] == 0, written["results"][recipe]["errors"]
        for level in ("session", "turn", "turn2session"):
            overall = written["results"][recipe][level]["overall"]
            assert set(overall) == {"n", *longmemeval.METRICS} and overall["n"] == 3
            assert set(written["results"][recipe][level]["by_question_type"]) == {
                "single-session-user", "multi-session", "temporal-reasoning"}
    record = next(r for r in written["per_question"] if r["question_id"] == "f1a2b3c4")
    for recipe in recipes:  # "What degree did I graduate with?"
        assert record["metrics"][recipe]["session"]["recall_any@5"] == 1.0, recipe
        assert record["metrics"][recipe]["turn"]["recall_any@5"] == 1.0, recipe


def test_longmemeval_runner_excludes_questions_without_marked_evidence(tmp_path, capsys):
    """The shared sample (or, without it, the fixture with its marks removed) has no
    has_answer turn: every question is excluded, said so, and nothing crashes."""
    source = LME_SAMPLE
    if not source.exists():
        data = json.loads(LME_FIXTURE.read_text())
        for entry in data:
            for session in entry["haystack_sessions"]:
                for turn in session:
                    turn.pop("has_answer", None)
        source = tmp_path / "no_marks.json"
        source.write_text(json.dumps(data))
    out = tmp_path / "sample.json"
    payload = longmemeval.main([str(source), "--out", str(out), "--check-sha256"])
    printed = capsys.readouterr().out
    assert payload["data"]["scored"] == 0 and payload["results"] == {}
    assert payload["data"]["excluded"].get("no has_answer user turn", 0) >= 2
    assert "no has_answer user turn" in printed and "no question can be scored" in printed
    assert "WARNING" in printed and payload["config"]["sha256"]["matches_official"] is False
    assert json.loads(out.read_text())["data"]["scored"] == 0


def test_scale_runner_grows_one_store_and_reports_consistent_numbers(backend, request, tmp_path, monkeypatch):
    if backend == "neo4j":  # the session's server, as a user would pass theirs
        server = request.getfixturevalue("neo4j_server")
        monkeypatch.setenv("NEO4J_URI", server.uri)
        monkeypatch.setenv("NEO4J_USER", server.user)
        monkeypatch.setenv("NEO4J_PASSWORD", server.password)
    out = tmp_path / "scale.json"
    scale.main(["--storage", backend, "--sizes", "40", "15", "--batch", "10", "--queries", "3", "--out", str(out)])
    written = json.loads(out.read_text())
    assert written["benchmark"] == "scale" and written["config"]["sizes"] == [15, 40]
    [result] = written["results"]
    assert result["storage"] == backend
    steps = result["steps"]
    assert [s["size"] for s in steps] == [15, 40]
    # one store grown in place: the second step adds only the difference, in batches of 10
    assert [[b["end"] for b in s["batches"]] for s in steps] == [[10, 15], [25, 35, 40]]
    assert [s["added"] for s in steps] == [15, 25]
    assert [s["stored"] for s in steps] == [15, 40]
    for step in steps:
        assert step["write_per_second"] == pytest.approx(step["added"] / step["write_seconds"], rel=0.05)
        assert set(step["recipes"]) == set(scale.DEFAULT_RECIPES)
        for timing in step["recipes"].values():
            assert timing["n"] == 3 and 0 < timing["p50_ms"] <= timing["p95_ms"] and timing["first_ms"] > 0
            assert 0 <= timing["answered"] <= 3
        assert step["rss_mb"]["python"] > 0
        if backend == "kuzu":  # the graph is on disk here (on Neo4j, in the server)
            assert step["disk_mb"]["storage_dir"] > 0
    if backend == "kuzu":  # closing writes the vector cache beside the graph
        assert (Path(out).parent / "scale.json").exists() and steps[-1]["disk_mb"]["storage_dir_closed"] > 0
    # the growth checks are the ratios of the numbers above
    p95, rate = result["growth_checks"]
    hybrid = [s["recipes"]["hybrid"]["p95_ms"] for s in steps]
    assert p95["ratio"] == pytest.approx(hybrid[1] / hybrid[0], abs=0.01)
    assert p95["passed"] == (p95["ratio"] <= scale.P95_GROWTH_LIMIT)
    batches = [b for s in steps for b in s["batches"]]
    assert rate["ratio"] == pytest.approx(batches[-1]["per_second"] / batches[0]["per_second"], abs=0.01)
    assert rate["passed"] == (rate["ratio"] >= scale.WRITE_RATE_FLOOR)
    assert (tmp_path / "scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # --combine runs nothing: the same results again, in one table and plot
    combined = scale.main(["--combine", str(out), "--out", str(tmp_path / "combined.json")])
    assert combined["results"] == written["results"] and combined["combined_from"][0]["file"] == "scale.json"
    assert (tmp_path / "combined.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
