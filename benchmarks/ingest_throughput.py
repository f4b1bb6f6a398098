"""Ingestion throughput (memories and messages per second) on realistic inputs, each into a fresh on-disk store.

- ``directory``: this repository's own README, package and tests (Markdown, text and code).
- ``locomo-text`` / ``locomo-chatgpt``: about 1,000 real conversation turns (LoCoMo
  conversations 26 and 41, read from ../shared/data/locomo, never copied into the
  repository) written to a temporary folder as plain-text transcripts, one file per
  session, and as a ChatGPT ``conversations.json`` (one conversation per session,
  a parent chain through ``mapping``, ``current_node`` at its end).
- ``chatgpt-1k`` / ``chatgpt-10k``: ChatGPT exports of the first 1,000 and 10,000
  messages of every LoCoMo conversation, repeated with the two speakers renamed
  (so every copy is new text with new people): is the rate per message flat as the
  export grows?
- ``text-file``: one plain-text transcript file of ``--text-mb`` megabytes made the same way.
- ``knowledge-batch``: ``add_knowledge_batch`` of single LoCoMo turns (speaker, session,
  sequence) in batches of 128, with extraction: memories per second, and the rate of the
  last 1,000 against the first 1,000.

Each ingestion runs twice: the second pass must add nothing (idempotency) and shows
what the duplicate check costs. Timings include everything ALMA does on a write
(embedding with MiniLM, entity extraction, the graph transaction, the vector index).

With --storage neo4j the server comes from NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD
(e.g. as printed by `python -m alma_graph.neo4j_local`), a fresh project per run.

    .venv/bin/python benchmarks/ingest_throughput.py [--storage kuzu|neo4j] [--locomo ../shared/data/locomo]
        [--only chatgpt-1k,chatgpt-10k,text-file,knowledge-batch] [--text-mb 10] [--batch-memories 10000]
        [--profile out.prof]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, write_results  # noqa: E402
from retrieve_latency import server_settings  # noqa: E402  (Neo4j from NEO4J_URI / _USER / _PASSWORD)

from alma_graph import ALMA  # noqa: E402
from alma_graph.indexes.model_loading import load_models  # noqa: E402
from alma_graph.ingest import ingest_conversations, ingest_directory  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CONVERSATIONS = ("conv-26.json", "conv-41.json")


def locomo_sessions(folder: Path) -> list[tuple[str, datetime | None, list[dict]]]:
    sessions = []
    for name in CONVERSATIONS:
        data = json.loads((folder / name).read_text())
        sessions += locomo_sessions_of(data.get("conversation", data), Path(name).stem)
    return sessions


def write_text_transcripts(sessions, folder: Path) -> int:
    turns = 0
    for name, moment, session in sessions:
        stamp = f"[{moment:%Y-%m-%d %H:%M}] " if moment else ""
        lines = [f"{stamp}{turn['speaker']}: {turn['text']}" for turn in session]
        (folder / f"{name}.txt").write_text("\n".join(lines) + "\n")
        turns += len(session)
    return turns


def write_chatgpt_export(sessions, path: Path) -> int:
    conversations, turns = [], 0
    for name, moment, session in sessions:
        first = session[0]["speaker"]
        base = moment.timestamp() if moment else 1.7e9
        mapping = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
        parent = "root"
        for i, turn in enumerate(session):
            node_id = f"{name}-{i}"
            role = "user" if turn["speaker"] == first else "assistant"
            mapping[parent]["children"].append(node_id)
            mapping[node_id] = {"id": node_id, "parent": parent, "children": [], "message": {
                "id": node_id, "author": {"role": role, "name": None, "metadata": {}}, "create_time": base + 30 * i,
                "content": {"content_type": "text", "parts": [turn["text"]]}, "status": "finished_successfully",
                "metadata": {}, "recipient": "all"}}
            parent = node_id
        conversations.append({"id": name, "conversation_id": name, "title": name, "create_time": base,
                              "update_time": base + 30 * len(session), "mapping": mapping, "current_node": parent})
        turns += len(session)
    path.write_text(json.dumps(conversations))
    return turns


def measure(label: str, storage: str, ingest, source: Path, **kwargs) -> dict:
    with tempfile.TemporaryDirectory(prefix="alma-ingest-bench-") as directory:
        alma = ALMA({"project_id": "bench", "storage": storage, "storage_dir": directory, **server_settings(storage)})
        alma.embedder.embed("warm up")  # load the models outside the timing: a small run would pay for them
        load_models(spacy=True)
        cpu = time.process_time()
        first = ingest(alma, source, "bench_agent", show_progress=False, **kwargs)
        cpu = time.process_time() - cpu
        characters = sum(len(row["text"]) for row in alma.store.find_memories())
        second = ingest(alma, source, "bench_agent", show_progress=False, **kwargs)
        alma.close()
    assert second.total_added == 0, f"{label}: the second pass added {second.total_added}"
    return {
        "input": label, "storage": storage, "files": first.files_ingested, "turns": first.turns,
        "chunks": first.chunks, "memories": first.total_added, "by_kind": dict(first.added),
        "seconds": round(first.elapsed_seconds, 1), "cpu_seconds": round(cpu, 1),
        "memories_per_second": round(first.memories_per_second, 1),
        "turns_per_second": round(first.turns / first.elapsed_seconds, 1) if first.turns else None,
        "characters_per_second": round(characters / first.elapsed_seconds),
        "second_pass_seconds": round(second.elapsed_seconds, 2), "second_pass_duplicates": second.total_duplicates,
    }


# Names swapped in for the two speakers of each repeated copy of the LoCoMo conversations.
NAMES = ["Avery", "Blake", "Carmen", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Keiko", "Luca",
         "Maya", "Nikolai", "Olga", "Pavel", "Quinn", "Rosa", "Sanjay", "Tamsin", "Umar", "Vera", "Wendell", "Ximena",
         "Yusuf", "Zora", "Anton", "Bianca", "Cyrus", "Delia", "Emil", "Freya", "Gideon", "Hana", "Ivo", "Juno",
         "Kofi", "Lena", "Marek", "Nadia"]


def renamed_sessions(folder: Path, messages: int) -> list[tuple[str, datetime | None, list[dict]]]:
    """Every LoCoMo session, again and again with its two speakers renamed, cut at ``messages`` turns."""
    names = sorted(p.name for p in folder.glob("conv-*.json"))
    out: list[tuple[str, datetime | None, list[dict]]] = []
    total, copy = 0, 0
    while total < messages:
        for name in names:
            data = json.loads((folder / name).read_text())
            conversation = data.get("conversation", data)
            a, b = conversation["speaker_a"], conversation["speaker_b"]
            pair = (NAMES[(2 * copy) % len(NAMES)], NAMES[(2 * copy + 1 + copy // 20) % len(NAMES)])
            swap = {a: pair[0], b: pair[1]} if copy else {}
            pattern = re.compile(r"\b(" + "|".join(map(re.escape, swap)) + r")\b") if swap else None

            def renamed(text: str) -> str:
                return pattern.sub(lambda m: swap[m.group(1)], text) if pattern else text

            for session_name, moment, session in locomo_sessions_of(conversation, f"{Path(name).stem}-c{copy}"):
                turns = [{"speaker": swap.get(t["speaker"], t["speaker"]), "text": renamed(t["text"])}
                         for t in session[:messages - total]]
                out.append((session_name, moment, turns))
                total += len(turns)
                if total >= messages:
                    return out
        copy += 1
    return out


def locomo_sessions_of(conversation: dict, stem: str) -> list[tuple[str, datetime | None, list[dict]]]:
    numbers = sorted(int(k.split("_")[1]) for k in conversation if k.startswith("session_") and k.count("_") == 1
                     and isinstance(conversation[k], list))
    sessions = []
    for n in numbers:
        when = conversation.get(f"session_{n}_date_time")
        try:
            moment = datetime.strptime(when, "%I:%M %p on %d %B, %Y").replace(tzinfo=timezone.utc)
        except (TypeError, ValueError):
            moment = None
        sessions.append((f"{stem}-s{n}", moment, conversation[f"session_{n}"]))
    return sessions


def text_file_of(folder: Path, megabytes: float, path: Path) -> int:
    """One plain-text transcript of about ``megabytes`` MB (renamed LoCoMo copies, each line dated)."""
    target, written, turns = int(megabytes * 1_000_000), 0, 0
    with path.open("w") as out:
        for _, moment, session in renamed_sessions(folder, target // 80):  # turns run to ~150 bytes
            for turn in session:
                stamp = f"[{moment:%Y-%m-%d %H:%M}] " if moment else ""
                line = f"{stamp}{turn['speaker']}: {turn['text']}\n"
                out.write(line)
                written, turns = written + len(line.encode()), turns + 1
                if written >= target:
                    return turns
    return turns


def knowledge_batches(folder: Path, memories: int, batch: int = 128) -> dict:
    """add_knowledge_batch of single turns: the overall rate and the rate of the first and last 1,000."""
    items = [{"agent": "bench_agent", "domain": "chat", "fact": f"{t['speaker']}: {t['text']}",
              "speaker": t["speaker"], "session_id": name, "sequence": i, "timestamp": moment}
             for name, moment, session in renamed_sessions(folder, memories) for i, t in enumerate(session)]
    with tempfile.TemporaryDirectory(prefix="alma-ingest-bench-") as directory:
        alma = ALMA({"project_id": "bench", "storage": STORAGE[0], "storage_dir": directory,
                     **server_settings(STORAGE[0])})
        alma.embedder.embed("warm up")
        load_models(spacy=True)
        cpu = time.process_time()
        marks = [(0, time.perf_counter())]
        for start in range(0, len(items), batch):
            alma.add_knowledge_batch(items[start:start + batch])
            marks.append((min(start + batch, len(items)), time.perf_counter()))
        cpu = time.process_time() - cpu
        alma.close()
    seconds = marks[-1][1] - marks[0][1]

    def rate(lo: int, hi: int) -> float:
        inside = [m for m in marks if lo <= m[0] <= hi]
        return (inside[-1][0] - inside[0][0]) / (inside[-1][1] - inside[0][1])

    first, last = rate(0, min(1_000, len(items))), rate(max(0, len(items) - 1_000), len(items))
    return {"input": f"add_knowledge_batch, {len(items):,} single turns", "storage": STORAGE[0],
            "memories": len(items), "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "memories_per_second": round(len(items) / seconds, 1), "first_1000_per_second": round(first, 1),
            "last_1000_per_second": round(last, 1), "last_over_first": round(last / first, 2)}


STORAGE = ["kuzu"]
RUNS = ("directory", "locomo", "chatgpt-1k", "chatgpt-10k", "text-file", "knowledge-batch")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", choices=["kuzu", "neo4j"], default="kuzu")
    parser.add_argument("--locomo", type=Path, default=REPO.parent / "shared" / "data" / "locomo")
    parser.add_argument("--only", default=",".join(RUNS), help=f"comma-separated runs among {', '.join(RUNS)}")
    parser.add_argument("--text-mb", type=float, default=10.0, help="size of the text-file run's transcript")
    parser.add_argument("--batch-memories", type=int, default=10_000, help="memories in the knowledge-batch run")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the whole run here")
    args = parser.parse_args()
    runs = [r.strip() for r in args.only.split(",") if r.strip()]
    unknown = set(runs) - set(RUNS)
    if unknown:
        parser.error(f"unknown run(s) {sorted(unknown)}; choose among {', '.join(RUNS)}")
    STORAGE[0] = args.storage
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    results, batches = [], []
    with tempfile.TemporaryDirectory(prefix="alma-ingest-src-") as scratch:
        if "directory" in runs:
            tree = Path(scratch) / "repo"
            tree.mkdir()
            for part in ("README.md", "alma_graph", "tests"):  # a stable snapshot of the repository's docs and code
                source = REPO / part
                if source.is_dir():
                    shutil.copytree(source, tree / part, ignore=shutil.ignore_patterns("__pycache__", "fixtures"))
                elif source.exists():
                    (tree / part).write_text(source.read_text())
            results.append(measure("directory (repo docs + code)", args.storage, ingest_directory, tree))
        if not args.locomo.is_dir():
            print(f"LoCoMo not found at {args.locomo}: conversation runs skipped")
            runs = [r for r in runs if r == "directory"]
        if "locomo" in runs:
            sessions = locomo_sessions(args.locomo)
            text_dir = Path(scratch) / "locomo-text"
            text_dir.mkdir()
            write_text_transcripts(sessions, text_dir)
            results.append(measure("LoCoMo ~1,000 turns, plain text", args.storage, ingest_conversations, text_dir))
            export = Path(scratch) / "conversations.json"
            write_chatgpt_export(sessions, export)
            results.append(measure("LoCoMo ~1,000 turns, ChatGPT export", args.storage, ingest_conversations, export))
        for run, messages in (("chatgpt-1k", 1_000), ("chatgpt-10k", 10_000)):
            if run in runs:
                export = Path(scratch) / f"{run}.json"
                write_chatgpt_export(renamed_sessions(args.locomo, messages), export)
                results.append(measure(f"ChatGPT export, {messages:,} messages", args.storage,
                                       ingest_conversations, export))
        if "text-file" in runs:
            path = Path(scratch) / "transcript.txt"
            text_file_of(args.locomo, args.text_mb, path)
            results.append(measure(f"text transcript, {path.stat().st_size / 1e6:.1f} MB", args.storage,
                                   ingest_conversations, path))
        if "knowledge-batch" in runs:
            batches.append(knowledge_batches(args.locomo, args.batch_memories))
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(args.profile))
    load = os.getloadavg()
    if results:
        print_table(["input", "files", "turns", "memories", "seconds", "cpu s", "mem/s", "turns/s", "chars/s",
                     "2nd pass s", "2nd pass dups"],
                    [[r["input"], r["files"], r["turns"], r["memories"], r["seconds"], r["cpu_seconds"],
                      r["memories_per_second"], r["turns_per_second"] or "-", r["characters_per_second"],
                      r["second_pass_seconds"], r["second_pass_duplicates"]] for r in results],
                    title=f"ingestion throughput ({args.storage})")
    by_input = {r["input"]: r for r in results}
    small, large = by_input.get("ChatGPT export, 1,000 messages"), by_input.get("ChatGPT export, 10,000 messages")
    linearity = None
    if small and large:
        linearity = round(large["turns_per_second"] / small["turns_per_second"], 2)
        print(f"\nmessages/s at 10,000 over messages/s at 1,000: {linearity} (target >= 0.7)")
    if batches:
        print_table(["input", "memories", "seconds", "cpu s", "mem/s", "first 1,000/s", "last 1,000/s", "last/first"],
                    [[b["input"], b["memories"], b["seconds"], b["cpu_seconds"], b["memories_per_second"],
                      b["first_1000_per_second"],
                      b["last_1000_per_second"], b["last_over_first"]] for b in batches],
                    title=f"add_knowledge_batch ({args.storage})")
    print(f"\nload average during the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    write_results(f"ingest_throughput_{args.storage}", {
        "results": results, "knowledge_batch": batches, "chatgpt_10k_over_1k": linearity,
        "load_average": [round(x, 2) for x in load], "cores": os.cpu_count()})


if __name__ == "__main__":
    main()
