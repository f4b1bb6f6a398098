"""Retrieval on LoCoMo: turn-level recall, NDCG and an ablation over the ranker's recipes.

For each conversation (a fresh embedded Kuzu store in a temporary directory, or with
``--storage neo4j`` a fresh project on a Neo4j server):
every turn is stored once, through ``add_knowledge_batch``, as one memory
``"<speaker>: <text>"`` (plus ``" [shares a photo: <caption>]"`` when the turn
shares a photo) with the session's date as its timestamp and its ``dia_id`` in
the metadata. Each question is then asked of every recipe against that same
store (top 10 domain-knowledge results, mapped back to dia_ids):

    recall_any@1/5/10, recall_all@5/10   turn level, over the evidence turns
    session_recall_any@5                 any evidence session among the top 5 turns' sessions
    ndcg@10                              binary relevance, 1/log2(rank+1)

per category (1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop) and overall.
Category 5 (adversarial: nothing to retrieve) and questions whose evidence is empty
after normalisation are left out and counted. Evidence strings are normalised
('D8:6; D9:17', space-joined lists, 'D30:05', 'D:11:26'); ids naming no turn of
the conversation are dropped and listed in the results.

Data: ``../shared/data/locomo/conv-*.json`` by default — the development split, in the
folder ``shared/data/locomo`` beside this repository's checkout — or
any LoCoMo-format file or folder: one conversation per file, or the released
``locomo10.json`` (a list of samples with ``conversation`` and ``qa``). The data
is read in place, never copied; the results JSON holds ids and numbers, no text.

    .venv/bin/python benchmarks/locomo.py                         # all recipes, dev split
    .venv/bin/python benchmarks/locomo.py --data path/to/locomo10.json
    .venv/bin/python benchmarks/locomo.py --recipes similarity_only hybrid --limit-questions 20
    .venv/bin/python benchmarks/locomo.py --conversations conv-26 conv-30 --per-question
    .venv/bin/python benchmarks/locomo.py --ablation                # + the default recipe minus each signal
    NEO4J_URI=... NEO4J_PASSWORD=... .venv/bin/python benchmarks/locomo.py --storage neo4j [--indexes local]

Writes benchmarks/results/locomo.json (or --out).
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import latency_summary, print_table, write_results  # noqa: E402
from _harness import (  # noqa: E402
    RECIPES,
    ErrorLog,
    ablation_recipes,
    add_batch,
    api_description,
    guarded_retrieve,
    metadata_of,
    open_store,
    probe_recipes,
    resolve_recipes,
)
from _metrics import average, ndcg, recall_all, recall_any  # noqa: E402

# Beside the checkout, never inside it (LoCoMo is CC BY-NC: read in place, not copied).
DEFAULT_DATA = str(Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "locomo")
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
ADVERSARIAL = 5
TOP_K = 10
AGENT = "locomo"
DOMAIN = "conversation"
METRICS = ("recall_any@1", "recall_any@5", "recall_any@10", "recall_all@5", "recall_all@10",
           "session_recall_any@5", "ndcg@10")

_DIA_ID = re.compile(r"^D:?(\d+):(\d+)$", re.IGNORECASE)
_SESSION_KEY = re.compile(r"^session_(\d+)$")
_DATE_KEY = re.compile(r"^session_(\d+)_date_time$")
_SESSION_DATE = re.compile(
    r"(\d{1,2}):(\d{2})\s*([ap])\.?\s*m\.?\s+on\s+(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})", re.IGNORECASE)
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


# -- data -------------------------------------------------------------------------------------


@dataclass
class Turn:
    dia_id: str  # normalised: D<session>:<turn>
    session: int
    sequence: int  # position within the session, from 0
    speaker: str
    text: str
    caption: str | None = None
    raw_dia_id: str = ""

    @property
    def fact(self) -> str:
        fact = f"{self.speaker}: {self.text}".strip()
        if self.caption:
            fact += f" [shares a photo: {self.caption}]"
        return fact


@dataclass
class Session:
    number: int
    date_text: str | None
    timestamp: datetime | None
    turns: list[Turn]


@dataclass
class Question:
    index: int  # position in the conversation's qa list
    question: str
    category: int | None
    evidence: list[str]  # normalised dia_ids of turns that exist
    raw_evidence: Any = None
    problems: list[str] = field(default_factory=list)

    @property
    def excluded(self) -> str | None:
        """Why the question is not scored, or None."""
        if self.category == ADVERSARIAL:
            return "category 5"
        if self.category not in CATEGORIES:
            return "unknown category"
        if not self.evidence:
            return "empty evidence"
        return None


@dataclass
class Conversation:
    id: str
    source: str
    speakers: list[str]
    sessions: list[Session]
    questions: list[Question]
    quirks: list[str] = field(default_factory=list)

    @property
    def turns(self) -> list[Turn]:
        return [t for s in self.sessions for t in s.turns]


def normalize_dia_id(token: str) -> str | None:
    """'D30:05' → 'D30:5', 'D:11:26' → 'D11:26'; None when it is no dia_id."""
    match = _DIA_ID.match(token.strip())
    return f"D{int(match.group(1))}:{int(match.group(2))}" if match else None


def normalize_evidence(raw: Any) -> tuple[list[str], list[str]]:
    """LoCoMo ``evidence`` → (dia_ids in order, without repeats; what could not be read).

    Accepts a list of strings or one string; splits entries holding several ids
    ('D8:6; D9:17', 'D8:6 D9:17', 'D8:6,D9:17')."""
    if raw is None:
        return [], []
    entries = [raw] if isinstance(raw, str) else list(raw)
    ids: list[str] = []
    problems: list[str] = []
    for entry in entries:
        if not isinstance(entry, str):
            problems.append(f"not a string: {entry!r}")
            continue
        tokens = [t for t in re.split(r"[;,\s]+", re.sub(r":\s+", ":", entry.strip())) if t]
        found = []
        for token in tokens:
            dia_id = normalize_dia_id(token)
            if dia_id is None:
                problems.append(f"unreadable evidence {token!r} in {entry!r}; dropped")
                continue
            found.append(dia_id)
            if dia_id not in ids:
                ids.append(dia_id)
        if found and found != [entry]:
            problems.append(f"normalised {entry!r} → {', '.join(found)}")
    return ids, problems


def session_of(dia_id: str) -> int:
    return int(dia_id[1:].split(":")[0])


def parse_session_date(text: Any) -> datetime | None:
    """'1:56 pm on 8 May, 2023' → 2023-05-08 13:56 UTC; None when unreadable."""
    if not isinstance(text, str):
        return None
    match = _SESSION_DATE.search(text)
    if not match:
        return None
    hour, minute, half, day, month_name, year = match.groups()
    month = _MONTHS.get(month_name[:3].lower())
    hour = int(hour) % 12 + (12 if half.lower() == "p" else 0)
    if month is None or not 0 <= int(minute) < 60:
        return None
    try:
        return datetime(int(year), month, int(day), hour, int(minute), tzinfo=timezone.utc)
    except ValueError:
        return None


def _data_files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            found = sorted(p.glob("conv-*.json")) or sorted(p.glob("*.json"))
            if not found:
                raise SystemExit(f"no LoCoMo files (conv-*.json or *.json) in {p}")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            matches = sorted(Path(m) for m in glob.glob(path))
            if not matches:
                raise SystemExit(f"no such LoCoMo file or folder: {path}")
            files += matches
    return list(dict.fromkeys(files))


def parse_conversation(sample: dict, conv_id: str, source: str) -> Conversation:
    """One LoCoMo sample: either ``{conversation: {...}, qa: [...]}`` or the flat
    per-conversation form with the session keys and ``qa`` side by side."""
    conv = sample.get("conversation", sample)
    quirks: list[str] = []
    numbers = sorted(int(m.group(1)) for k in conv if (m := _SESSION_KEY.match(k)) and isinstance(conv[k], list))
    dated = sorted(int(m.group(1)) for k in conv if (m := _DATE_KEY.match(k)))
    orphans = sorted(set(dated) - set(numbers))
    if orphans:
        quirks.append(f"session_<n>_date_time for sessions that do not exist: {orphans}")
    sessions: list[Session] = []
    seen: set[str] = set()
    for n in numbers:
        date_text = conv.get(f"session_{n}_date_time")
        timestamp = parse_session_date(date_text)
        if timestamp is None:
            quirks.append(f"session {n}: unreadable or missing date {date_text!r}; stored without a timestamp")
        turns = []
        for sequence, raw in enumerate(conv[f"session_{n}"]):
            raw_id = str(raw.get("dia_id", ""))
            dia_id = normalize_dia_id(raw_id) or f"D{n}:{sequence + 1}"
            if dia_id != raw_id:
                quirks.append(f"turn dia_id {raw_id!r} read as {dia_id}")
            if session_of(dia_id) != n:
                quirks.append(f"turn {dia_id} is in session {n}")
            if dia_id in seen:
                quirks.append(f"duplicate dia_id {dia_id}")
            seen.add(dia_id)
            text = (raw.get("text") or "").strip()
            caption = (raw.get("blip_caption") or "").strip() or None
            if not text and not caption:
                quirks.append(f"turn {dia_id} has neither text nor a photo caption; not stored")
                continue
            turns.append(Turn(dia_id, n, sequence, str(raw.get("speaker", "")).strip() or "unknown",
                              text, caption, raw_id))
        sessions.append(Session(n, date_text, timestamp, turns))
    turn_ids = {t.dia_id for s in sessions for t in s.turns}
    questions = []
    for index, qa in enumerate(sample.get("qa", [])):
        evidence, problems = normalize_evidence(qa.get("evidence"))
        missing = [e for e in evidence if e not in turn_ids]
        problems += [f"evidence {e} names no turn of the conversation; dropped" for e in missing]
        try:
            category = int(qa.get("category"))
        except (TypeError, ValueError):
            category = None
        questions.append(Question(index, str(qa.get("question", "")), category,
                                  [e for e in evidence if e in turn_ids], qa.get("evidence"), problems))
    speakers = [conv[k] for k in ("speaker_a", "speaker_b") if conv.get(k)]
    return Conversation(conv_id, source, speakers, sessions, questions, quirks)


def load_locomo(paths: Sequence[str]) -> list[Conversation]:
    """Every conversation in the given files or folders, in file order."""
    conversations = []
    for path in _data_files(paths):
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
        samples = raw if isinstance(raw, list) else [raw]
        for i, sample in enumerate(samples):
            if not isinstance(sample, dict):
                raise SystemExit(f"{path}: item {i} is not a LoCoMo sample")
            conv_id = str(sample.get("sample_id") or (path.stem if len(samples) == 1 else f"{path.stem}-{i}"))
            conversations.append(parse_conversation(sample, conv_id, str(path)))
    return conversations


# -- scoring ------------------------------------------------------------------------------------


def score(ranked: Sequence[str], evidence: Sequence[str]) -> dict[str, float]:
    """The metrics of one question from the ranked dia_ids."""
    ranked = list(ranked)
    evidence_sessions = {session_of(e) for e in evidence}
    top5_sessions = {session_of(d) for d in ranked[:5] if normalize_dia_id(d)}
    return {
        "recall_any@1": recall_any(ranked, evidence, 1),
        "recall_any@5": recall_any(ranked, evidence, 5),
        "recall_any@10": recall_any(ranked, evidence, 10),
        "recall_all@5": recall_all(ranked, evidence, 5),
        "recall_all@10": recall_all(ranked, evidence, 10),
        "session_recall_any@5": 1.0 if evidence_sessions & top5_sessions else 0.0,
        "ndcg@10": ndcg(ranked, evidence, 10),
    }


def turn_items(conv: Conversation) -> list[dict[str, Any]]:
    """One add_knowledge_batch item per turn."""
    return [
        {"agent": AGENT, "domain": DOMAIN, "fact": t.fact, "timestamp": s.timestamp,
         "metadata": {"dia_id": t.raw_dia_id or t.dia_id, "session": s.number, "speaker": t.speaker},
         "session_id": f"session_{s.number}", "sequence": t.sequence, "speaker": t.speaker}
        for s in conv.sessions for t in s.turns
    ]


def _project_id(conv_id: str) -> str:
    return ("locomo-" + re.sub(r"[^A-Za-z0-9_.-]", "-", conv_id))[:64]


def run_conversation(conv: Conversation, recipes: Sequence[str], limit_questions: int | None = None,
                     as_of_last_session: bool = False, verbose: bool = True,
                     errors: ErrorLog | None = None, storage: str = "kuzu",
                     indexes: str | None = None, custom: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ingest once, then ask every scored question of every recipe."""
    scored = [q for q in conv.questions if q.excluded is None]
    if limit_questions is not None:
        scored = scored[:limit_questions]
    dates = [s.timestamp for s in conv.sessions if s.timestamp]
    as_of = max(dates) if as_of_last_session and dates else None
    errors = errors if errors is not None else ErrorLog()
    out: dict[str, Any] = {"records": [], "latency_ms": {r: [] for r in recipes}}
    with tempfile.TemporaryDirectory(prefix="alma-locomo-") as directory:
        alma = open_store(_project_id(conv.id), directory, storage, indexes, custom)
        try:
            items = turn_items(conv)
            started = time.perf_counter()
            kept_keys = add_batch(alma, items)
            out["ingest_s"] = round(time.perf_counter() - started, 2)
            out["item_keys"] = kept_keys
            ran, skipped, first_ms = probe_recipes(alma, AGENT, recipes, as_of=as_of)
            out.update(ran=ran, skipped=skipped, first_call_ms=first_ms)
            for recipe, why in skipped.items():
                print(f"  {conv.id}: recipe {recipe!r} skipped ({why})")
            out["latency_ms"] = {r: [] for r in ran}
            for q in scored:
                record = {"conversation": conv.id, "qa_index": q.index, "category": q.category,
                          "evidence": q.evidence, "metrics": {}, "evidence_ranks": {}}
                for recipe in ran:  # interleaved, so machine noise hits every recipe alike
                    results, elapsed, error = guarded_retrieve(alma, q.question, AGENT, TOP_K, recipe, as_of)
                    if error:
                        errors.add(recipe, f"{conv.id} qa {q.index}", error)
                    else:
                        out["latency_ms"][recipe].append(elapsed)
                    ranked = [str(metadata_of(m).get("dia_id", "")) for m in results]
                    ranked = [normalize_dia_id(d) or d for d in ranked]
                    record["metrics"][recipe] = score(ranked, q.evidence)
                    record["evidence_ranks"][recipe] = [ranked.index(e) + 1 if e in ranked else None
                                                        for e in q.evidence]
                out["records"].append(record)
        finally:
            alma.close()
    if verbose:
        print(f"  {conv.id}: {len(items)} turns stored in {out['ingest_s']} s, "
              f"{len(scored)} questions × {len(out['ran'])} recipes")
    return out


def data_summary(conv: Conversation) -> dict[str, Any]:
    reasons = Counter(q.excluded for q in conv.questions if q.excluded)
    return {
        "id": conv.id,
        "source": conv.source,
        "sessions": len(conv.sessions),
        "turns": len(conv.turns),
        "photo_turns": sum(1 for t in conv.turns if t.caption),
        "questions": len(conv.questions),
        "by_category": {str(c): n for c, n in sorted(Counter(q.category for q in conv.questions).items(),
                                                    key=lambda kv: (kv[0] is None, kv[0]))},
        "excluded": dict(reasons),
        "scored": sum(1 for q in conv.questions if q.excluded is None),
        "evidence_problems": [{"qa_index": q.index, "category": q.category, "evidence": q.raw_evidence,
                               "problems": q.problems} for q in conv.questions if q.problems],
        "quirks": conv.quirks,
    }


def summarize(records: list[dict], recipes: Sequence[str]) -> dict[str, Any]:
    """Per recipe: overall and per-category means."""
    summary = {}
    for recipe in recipes:
        rows = [r for r in records if recipe in r["metrics"]]
        by_cat = {}
        for cat in CATEGORIES:
            cat_rows = [r["metrics"][recipe] for r in rows if r["category"] == cat]
            by_cat[str(cat)] = average(cat_rows, METRICS)
        summary[recipe] = {"overall": average([r["metrics"][recipe] for r in rows], METRICS),
                           "by_category": by_cat}
    return summary


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def print_tables(payload: dict[str, Any]) -> None:
    results, recipes = payload["results"], payload["config"]["recipes_run"]
    print_table(["conversation", "sessions", "turns", "questions", "cat 5", "empty evidence", "scored",
                 "evidence fixes"],
                [[c["id"], c["sessions"], c["turns"], c["questions"], c["excluded"].get("category 5", 0),
                  c["excluded"].get("empty evidence", 0), c["scored"], len(c["evidence_problems"])]
                 for c in payload["data"]["conversations"]], title="Data")
    print_table(["recipe", "n", "R_any@1", "R_any@5", "R_any@10", "R_all@5", "R_all@10", "sess R@5", "NDCG@10",
                 "p50 ms", "p95 ms"],
                [[r, results[r]["overall"]["n"], *(_fmt(results[r]["overall"][m]) for m in METRICS),
                  results[r]["latency"]["p50_ms"], results[r]["latency"]["p95_ms"]] for r in recipes],
                title=f"Overall (categories 1-4, top {TOP_K})")
    print_table(["recipe", *(f"{CATEGORIES[c]} ({c})" for c in CATEGORIES), "overall"],
                [[r, *(f"{_fmt(results[r]['by_category'][str(c)]['recall_any@5'])} "
                       f"(n={results[r]['by_category'][str(c)]['n']})" for c in CATEGORIES),
                  _fmt(results[r]["overall"]["recall_any@5"])] for r in recipes],
                title="recall_any@5 per category")
    print_table(["recipe", "n", "recall_any@10", "recall_all@5", "recall_all@10"],
                [[r, results[r]["by_category"]["1"]["n"],
                  *(_fmt(results[r]["by_category"]["1"][m]) for m in ("recall_any@10", "recall_all@5", "recall_all@10"))]
                 for r in recipes], title="Multi-hop (category 1)")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="+", default=[DEFAULT_DATA],
                        help="LoCoMo files or folders (default: %(default)s)")
    parser.add_argument("--recipes", nargs="+", default=None,
                        help=f"recipes to compare (default: {' '.join(RECIPES)}; only 'default' "
                             "when retrieve has no recipe parameter)")
    parser.add_argument("--ablation", action="store_true",
                        help="also run the default recipe without each of its signals (hybrid_minus_<signal>)")
    parser.add_argument("--conversations", nargs="+", default=None,
                        help="only these conversations (ids such as conv-26, or just 26)")
    parser.add_argument("--limit-questions", type=int, default=None,
                        help="score only the first N scorable questions of each conversation")
    parser.add_argument("--as-of-last-session", action="store_true",
                        help="pass as_of = the last session's date (when retrieve accepts as_of)")
    parser.add_argument("--per-question", action="store_true",
                        help="also write each question's metrics and evidence ranks (ids only, no text)")
    parser.add_argument("--storage", choices=["kuzu", "neo4j"], default="kuzu",
                        help="kuzu (a fresh embedded store per conversation) or neo4j (a fresh project per "
                             "conversation on the server NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD name)")
    parser.add_argument("--indexes", choices=["server", "local"], default=None,
                        help="retrieval.indexes (default: the backend's: local on kuzu, server on neo4j)")
    parser.add_argument("--out", default=None, help="results JSON path (default: benchmarks/results/locomo.json)")
    return parser.parse_args(argv)


def _wanted(conv_id: str, wanted: Sequence[str] | None) -> bool:
    if not wanted:
        return True
    return any(conv_id == w or conv_id == f"conv-{w}" or conv_id.split("-")[-1] == w for w in wanted)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    conversations = [c for c in load_locomo(args.data) if _wanted(c.id, args.conversations)]
    if not conversations:
        raise SystemExit("no conversations selected")
    recipes = resolve_recipes(args.recipes)
    custom = ablation_recipes() if args.ablation else {}
    recipes += [name for name in custom if name not in recipes]
    print(f"LoCoMo retrieval: {len(conversations)} conversations, recipes {recipes}")
    records: list[dict] = []
    latency: dict[str, list[float]] = {}
    first_calls: dict[str, list[float]] = {}
    skipped: dict[str, dict[str, str]] = {}
    ingest: dict[str, float] = {}
    item_keys: list[str] | None = None
    errors = ErrorLog()
    started = time.perf_counter()
    for conv in conversations:
        out = run_conversation(conv, recipes, args.limit_questions, args.as_of_last_session, errors=errors,
                               storage=args.storage, indexes=args.indexes, custom=custom)
        records += out["records"]
        ingest[conv.id] = out["ingest_s"]
        item_keys = out["item_keys"]
        for recipe, samples in out["latency_ms"].items():
            latency.setdefault(recipe, []).extend(samples)
        for recipe, ms in out["first_call_ms"].items():
            first_calls.setdefault(recipe, []).append(ms)
        for recipe, why in out["skipped"].items():
            skipped.setdefault(recipe, {})[conv.id] = why
    ran = [r for r in recipes if r in latency and r not in skipped]
    partial = [r for r in recipes if r in latency and r in skipped]
    if partial:
        print(f"note: recipes {partial} failed on some conversations; their figures cover the rest only")
        ran += partial
    summary = summarize(records, ran)
    for recipe in ran:
        summary[recipe]["latency"] = latency_summary(latency[recipe])
        summary[recipe]["latency"]["first_call_ms"] = first_calls.get(recipe, [])
        summary[recipe]["errors"] = errors.by_recipe.get(recipe, {"count": 0, "examples": []})
        if errors.count(recipe):
            print(f"WARNING: {recipe}: {errors.count(recipe)} retrieve calls failed; "
                  "those questions count as nothing retrieved")
    data = [data_summary(c) for c in conversations]
    payload: dict[str, Any] = {
        "config": {"data": [str(p) for p in _data_files(args.data)],
                   "conversations": [c.id for c in conversations], "recipes_requested": args.recipes or list(RECIPES),
                   "recipes_run": ran, "recipes_skipped": skipped, "top_k": TOP_K, "agent": AGENT,
                   "limit_questions": args.limit_questions, "storage": args.storage, "indexes": args.indexes, "as_of_last_session": args.as_of_last_session,
                   "categories": {str(k): v for k, v in CATEGORIES.items()}, "api": api_description(item_keys)},
        "data": {"conversations": data,
                 "totals": {"turns": sum(d["turns"] for d in data), "questions": sum(d["questions"] for d in data),
                            "scored": sum(d["scored"] for d in data),
                            "questions_run": len(records),
                            "excluded": dict(sum((Counter(d["excluded"]) for d in data), Counter()))}},
        "ingest_s": ingest,
        "results": summary,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    if args.per_question:
        payload["per_question"] = records
    print_tables(payload)
    write_results("locomo", payload, path=args.out)
    return payload


if __name__ == "__main__":
    main()
