"""Retrieval on LongMemEval (the ``longmemeval_s_cleaned.json`` format), scored as
LongMemEval's own retrieval script scores it (src/retrieval in xiaowu0162/LongMemEval).

For each question, a fresh embedded Kuzu store per granularity holds that
question's haystack, USER turns only (as the official script indexes it):

    session   one memory per session: its user turns joined by spaces (chunked when
              longer than alma_graph.memory.validation.MAX_TEXT_CHARS; a session counts
              as retrieved at the rank of its first chunk)
    turn      one memory per user turn, id "<session id>_<turn number from 1>"

with the session's date as the timestamp. The raw question is the query, with
``as_of`` = question_date when retrieve accepts it. A document is relevant when
it holds a user turn marked ``has_answer: true``. Reported for k in 1, 3, 5, 10,
30, 50 at session and turn level (and, as the official script also does,
session level derived from the turn ranking, ``turn2session``):

    recall_any@k   any relevant document in the top k
    recall_all@k   all of them (the paper's "Recall@k" is most likely this one)
    ndcg_any@k     binary relevance, the official discount (rank 1 → 1, rank p → 1/log2 p)

Abstention questions (``_abs`` in the id) and questions with no ``has_answer``
user turn are left out of the averages and counted (the official script keeps the
latter, scoring them 0; here they are excluded as the data README prescribes).

    .venv/bin/python benchmarks/longmemeval.py path/to/longmemeval_s_cleaned.json --check-sha256
    .venv/bin/python benchmarks/longmemeval.py FILE --limit 50 --granularity session --recipes similarity_only hybrid

Writes benchmarks/results/longmemeval.json (or --out): ids and numbers, no text.
"""

from __future__ import annotations

import argparse
import hashlib
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
    add_batch,
    api_description,
    guarded_retrieve,
    metadata_of,
    open_store,
    probe_recipes,
    resolve_recipes,
    supports_as_of,
)
from _metrics import average, dedupe, ndcg, recall_all, recall_any  # noqa: E402

from alma_graph.memory.validation import MAX_TEXT_CHARS  # noqa: E402

OFFICIAL_SHA256 = "d6f21ea9d60a0d56f34a05b609c79c88a451d2ae03597821ea3d5a9678c3a442"
KS = (1, 3, 5, 10, 30, 50)
GRANULARITIES = ("session", "turn")
LEVELS = ("session", "turn", "turn2session")
AGENT = "longmemeval"
DOMAIN = "chat history"
METRICS = tuple(f"{m}@{k}" for k in KS for m in ("recall_any", "recall_all", "ndcg_any"))
_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:\s*\([A-Za-z]+\))?\s*(?:(\d{1,2}):(\d{2}))?")


@dataclass
class Document:
    id: str  # session id, or "<session id>_<turn number>"
    session_id: str
    text: str
    timestamp: datetime | None
    sequence: int  # the turn's position in the session (0 for a session document)


@dataclass
class Entry:
    question_id: str
    question_type: str
    question: str
    question_date: datetime | None
    sessions: list[tuple[str, datetime | None, list[dict]]]  # (session id, date, turns)
    evidence_turns: list[str] = field(default_factory=list)  # "<session id>_<turn number>"
    quirks: list[str] = field(default_factory=list)

    @property
    def evidence_sessions(self) -> list[str]:
        return dedupe(t.rsplit("_", 1)[0] for t in self.evidence_turns)

    @property
    def excluded(self) -> str | None:
        if "_abs" in self.question_id:
            return "abstention (_abs)"
        if not self.evidence_turns:
            return "no has_answer user turn"
        return None


def parse_date(text: Any) -> datetime | None:
    """'2023/05/30 (Tue) 23:40' → 2023-05-30 23:40 UTC; None when unreadable."""
    if not isinstance(text, str):
        return None
    match = _DATE.search(text)
    if not match:
        return None
    year, month, day, hour, minute = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=timezone.utc)
    except ValueError:
        return None


def parse_entry(raw: dict) -> Entry:
    quirks = []
    ids, dates, sessions = raw.get("haystack_session_ids", []), raw.get("haystack_dates", []), raw.get("haystack_sessions", [])
    if not (len(ids) == len(dates) == len(sessions)):
        quirks.append(f"haystack lengths differ: {len(ids)} ids, {len(dates)} dates, {len(sessions)} sessions")
    parsed, evidence = [], []
    seen: Counter = Counter()
    for position, (sid, date, turns) in enumerate(zip(ids, dates, sessions)):
        sid = str(sid)
        seen[sid] += 1
        if seen[sid] > 1:  # keep ids unique so a repeated session cannot alias another's documents
            quirks.append(f"session id {sid} repeats in the haystack")
            sid = f"{sid}.dup{seen[sid]}"
        when = parse_date(date)
        if when is None:
            quirks.append(f"session {sid}: unreadable date {date!r}")
        for i, turn in enumerate(turns):
            if turn.get("role") == "user" and turn.get("has_answer") is True:
                evidence.append(f"{sid}_{i + 1}")
        parsed.append((sid, when, turns))
    question_date = parse_date(raw.get("question_date"))
    return Entry(str(raw["question_id"]), str(raw.get("question_type", "")), str(raw["question"]),
                 question_date, parsed, evidence, quirks)


def load_longmemeval(path: str | Path) -> list[Entry]:
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(e, dict) and "question_id" in e for e in raw):
        raise SystemExit(f"{path}: not LongMemEval data (a list of questions with question_id)")
    return [parse_entry(e) for e in raw]


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def chunk_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at whitespace where there is some."""
    text = text.strip()
    chunks = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit + 1)
        cut = cut if cut > 0 else limit
        chunks.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        chunks.append(text)
    return chunks


def documents(entry: Entry, granularity: str) -> list[Document]:
    """The question's corpus: user turns only, per session or per turn."""
    docs = []
    for sid, when, turns in entry.sessions:
        user = [(i, str(t.get("content") or "").strip()) for i, t in enumerate(turns) if t.get("role") == "user"]
        if granularity == "session":
            text = " ".join(content for _, content in user if content)
            if text:
                docs.append(Document(sid, sid, text, when, 0))
        else:
            docs += [Document(f"{sid}_{i + 1}", sid, content, when, i) for i, content in user if content]
    return docs


def memory_items(docs: Sequence[Document], chunk_chars: int) -> tuple[list[dict[str, Any]], int]:
    """add_knowledge_batch items (a document's chunks share its doc_id) and how many documents were chunked."""
    items, chunked = [], 0
    for doc in docs:
        chunks = chunk_text(doc.text, chunk_chars)
        chunked += len(chunks) > 1
        for part, text in enumerate(chunks):
            items.append({"agent": AGENT, "domain": DOMAIN, "fact": text, "timestamp": doc.timestamp,
                          "metadata": {"doc_id": doc.id, "session_id": doc.session_id, "chunk": part},
                          "session_id": _store_label(doc.session_id), "sequence": doc.sequence,
                          "speaker": "user"})
    return items, chunked


def _store_label(value: str) -> str:
    """A session id as the store's session_id label accepts it (the exact id stays in the metadata)."""
    label = re.sub(r"[^A-Za-z0-9_ .:/\-]", "_", value).strip()
    return (label if re.match(r"[A-Za-z0-9]", label) else f"s{label}")[:100]


def score(ranked: Sequence[str], relevant: Sequence[str]) -> dict[str, float]:
    """Official metrics over a ranking of unique document ids."""
    out = {}
    for k in KS:
        out[f"recall_any@{k}"] = recall_any(ranked, relevant, k)
        out[f"recall_all@{k}"] = recall_all(ranked, relevant, k)
        out[f"ndcg_any@{k}"] = ndcg(ranked, relevant, k, discount="longmemeval")
    return out


def _project_id(question_id: str, granularity: str) -> str:
    return ("lme-" + re.sub(r"[^A-Za-z0-9_.-]", "-", question_id) + f"-{granularity}")[:64]


def run_question(entry: Entry, granularity: str, recipes: Sequence[str], chunk_chars: int,
                 errors: ErrorLog | None = None) -> dict[str, Any]:
    """A fresh store with the question's corpus; the question asked of every recipe."""
    docs = documents(entry, granularity)
    items, chunked = memory_items(docs, chunk_chars)
    relevant = entry.evidence_sessions if granularity == "session" else entry.evidence_turns
    # Rank (nearly) everything, as the official script does; chunks need room to reach 50 documents.
    top_k = min(1000, max(max(KS), len(items)))
    out: dict[str, Any] = {"documents": len(docs), "memories": len(items), "chunked_documents": chunked,
                           "metrics": {}, "latency_ms": {}, "evidence_ranks": {}}
    with tempfile.TemporaryDirectory(prefix="alma-lme-") as directory:
        alma = open_store(_project_id(entry.question_id, granularity), directory)
        try:
            started = time.perf_counter()
            out["item_keys"] = add_batch(alma, items) if items else []
            out["ingest_s"] = round(time.perf_counter() - started, 2)
            ran, skipped, _ = probe_recipes(alma, AGENT, recipes, as_of=entry.question_date)
            out["skipped"] = skipped
            for recipe in ran:
                results, elapsed, error = guarded_retrieve(alma, entry.question, AGENT, top_k, recipe,
                                                           entry.question_date)
                if error:
                    (errors if errors is not None else ErrorLog()).add(
                        recipe, f"{entry.question_id} ({granularity})", error)
                else:
                    out["latency_ms"][recipe] = elapsed
                ranked = dedupe(str(metadata_of(m).get("doc_id", "")) for m in results)
                metrics = {granularity: score(ranked, relevant)}
                if granularity == "turn":
                    metrics["turn2session"] = score(dedupe(d.rsplit("_", 1)[0] for d in ranked),
                                                    entry.evidence_sessions)
                out["metrics"][recipe] = metrics
                out["evidence_ranks"][recipe] = [ranked.index(d) + 1 if d in ranked else None for d in relevant]
        finally:
            alma.close()
    return out


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", help="a LongMemEval file, e.g. longmemeval_s_cleaned.json")
    parser.add_argument("--recipes", nargs="+", default=None,
                        help=f"recipes to compare (default: {' '.join(RECIPES)}; only 'default' "
                             "when retrieve has no recipe parameter)")
    parser.add_argument("--granularity", choices=(*GRANULARITIES, "both"), default="both")
    parser.add_argument("--limit", type=int, default=None, help="only the first N scorable questions")
    parser.add_argument("--question-types", nargs="+", default=None, help="only these question types")
    parser.add_argument("--chunk-chars", type=int, default=MAX_TEXT_CHARS,
                        help="longest memory text; longer documents are chunked (default: %(default)s)")
    parser.add_argument("--check-sha256", action="store_true",
                        help=f"compare the file's sha256 with longmemeval_s_cleaned.json's ({OFFICIAL_SHA256[:12]}…); "
                             "a mismatch is a warning")
    parser.add_argument("--per-question", action="store_true",
                        help="also write each question's metrics and evidence ranks (ids only, no text)")
    parser.add_argument("--out", default=None, help="results JSON path (default: benchmarks/results/longmemeval.json)")
    args = parser.parse_args(argv)
    if not 100 <= args.chunk_chars <= MAX_TEXT_CHARS:
        parser.error(f"--chunk-chars must be between 100 and {MAX_TEXT_CHARS}")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    path = Path(args.data)
    if not path.is_file():
        raise SystemExit(f"no such file: {path} (see docs/benchmarks.md for where to download it)")
    check: dict[str, Any] = {"checked": False}
    if args.check_sha256:
        digest = sha256_of(path)
        check = {"checked": True, "sha256": digest, "matches_official": digest == OFFICIAL_SHA256}
        if digest != OFFICIAL_SHA256:
            print(f"WARNING: {path.name} sha256 {digest} differs from longmemeval_s_cleaned.json's "
                  f"{OFFICIAL_SHA256}: figures are not comparable with published ones")
        else:
            print(f"{path.name}: sha256 matches longmemeval_s_cleaned.json")
    entries = load_longmemeval(path)
    if args.question_types:
        entries = [e for e in entries if e.question_type in args.question_types]
    excluded = [(e.question_id, e.excluded) for e in entries if e.excluded]
    scored = [e for e in entries if not e.excluded]
    if args.limit is not None:
        scored = scored[:args.limit]
    reasons = Counter(why for _, why in excluded)
    print(f"LongMemEval retrieval: {len(entries)} questions in {path.name}; {len(scored)} scored; "
          f"excluded: {dict(reasons) or 'none'}")
    for qid, why in excluded:
        print(f"  excluded {qid}: {why}")
    recipes = resolve_recipes(args.recipes)
    granularities = GRANULARITIES if args.granularity == "both" else (args.granularity,)
    records, latency, skipped, item_keys = [], {}, {}, None
    errors = ErrorLog()
    ingest: dict[str, list[float]] = {g: [] for g in granularities}
    chunked = Counter()
    started = time.perf_counter()
    for n, entry in enumerate(scored, start=1):
        record: dict[str, Any] = {"question_id": entry.question_id, "question_type": entry.question_type,
                                  "evidence_sessions": entry.evidence_sessions, "evidence_turns": entry.evidence_turns,
                                  "metrics": {}, "evidence_ranks": {}}
        for granularity in granularities:
            out = run_question(entry, granularity, recipes, args.chunk_chars, errors)
            ingest[granularity].append(out["ingest_s"])
            chunked[granularity] += out["chunked_documents"]
            item_keys = out["item_keys"]
            for recipe, why in out["skipped"].items():
                skipped.setdefault(recipe, {})[entry.question_id] = why
            for recipe, metrics in out["metrics"].items():
                record["metrics"].setdefault(recipe, {}).update(metrics)
                if recipe in out["latency_ms"]:
                    latency.setdefault((recipe, granularity), []).append(out["latency_ms"][recipe])
                record["evidence_ranks"].setdefault(recipe, {})[granularity] = out["evidence_ranks"][recipe]
        records.append(record)
        if n % 10 == 0 or n == len(scored):
            print(f"  {n}/{len(scored)} questions, {time.perf_counter() - started:.0f} s")
    ran = [r for r in recipes if any(r in rec["metrics"] for rec in records)]
    for recipe, where in skipped.items():
        print(f"note: recipe {recipe!r} skipped on {len(where)} questions: {next(iter(where.values()))}")
    levels = [lvl for lvl in LEVELS if lvl in granularities or (lvl == "turn2session" and "turn" in granularities)]
    results: dict[str, Any] = {}
    for recipe in ran:
        rows = [r["metrics"][recipe] for r in records if recipe in r["metrics"]]
        types = sorted({r["question_type"] for r in records})
        results[recipe] = {
            level: {"overall": average([m[level] for m in rows if level in m], METRICS),
                    "by_question_type": {t: average([r["metrics"][recipe][level] for r in records
                                                     if r["question_type"] == t and recipe in r["metrics"]
                                                     and level in r["metrics"][recipe]], METRICS)
                                         for t in types}}
            for level in levels
        }
        results[recipe]["latency"] = {g: latency_summary(latency.get((recipe, g), [])) for g in granularities}
        results[recipe]["errors"] = errors.by_recipe.get(recipe, {"count": 0, "examples": []})
        if errors.count(recipe):
            print(f"WARNING: {recipe}: {errors.count(recipe)} retrieve calls failed; "
                  "those questions count as nothing retrieved")
    payload: dict[str, Any] = {
        "config": {"data": str(path), "sha256": check, "recipes_requested": args.recipes or list(RECIPES),
                   "recipes_run": ran, "recipes_skipped": skipped, "granularities": list(granularities),
                   "ks": list(KS), "limit": args.limit, "chunk_chars": args.chunk_chars,
                   "as_of": "question_date" if supports_as_of() else "not supported by retrieve",
                   "api": api_description(item_keys)},
        "data": {"questions": len(entries), "scored": len(scored), "excluded": dict(reasons),
                 "excluded_ids": {why: [q for q, w in excluded if w == why] for why in reasons},
                 "by_question_type": dict(Counter(e.question_type for e in scored)),
                 "chunked_documents": dict(chunked),
                 "quirks": {e.question_id: e.quirks for e in entries if e.quirks}},
        "ingest_ms": {g: latency_summary([s * 1000 for s in v]) for g, v in ingest.items()},
        "results": results,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    if args.per_question:
        payload["per_question"] = records
    if not scored:
        print("\nno question can be scored (every one is an abstention question or has no has_answer "
              "user turn); nothing to average")
    for level in levels:
        if not ran or not scored:
            break
        print_table(["recipe", "n", *(f"R_any@{k}" for k in KS), *(f"R_all@{k}" for k in (5, 10)),
                     *(f"NDCG@{k}" for k in (5, 10))],
                    [[r, results[r][level]["overall"]["n"],
                      *(_fmt(results[r][level]["overall"][f"recall_any@{k}"]) for k in KS),
                      *(_fmt(results[r][level]["overall"][f"recall_all@{k}"]) for k in (5, 10)),
                      *(_fmt(results[r][level]["overall"][f"ndcg_any@{k}"]) for k in (5, 10))] for r in ran],
                    title=f"{level} level")
    if ran and scored:
        print_table(["recipe", *(f"{g} p50 ms" for g in granularities), *(f"{g} p95 ms" for g in granularities)],
                    [[r, *(results[r]["latency"][g]["p50_ms"] for g in granularities),
                      *(results[r]["latency"][g]["p95_ms"] for g in granularities)] for r in ran],
                    title="retrieve latency")
    write_results("longmemeval", payload, path=args.out)
    return payload


if __name__ == "__main__":
    main()
