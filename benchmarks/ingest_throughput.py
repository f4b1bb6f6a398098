"""Ingestion throughput (memories per second) on realistic inputs, each into a fresh on-disk store.

- ``directory``: this repository's own README, package and tests (Markdown, text and code).
- ``locomo-text`` / ``locomo-chatgpt``: about 1,000 real conversation turns (LoCoMo
  conversations 26 and 41, read from ../shared/data/locomo, never copied into the
  repository) written to a temporary folder as plain-text transcripts, one file per
  session, and as a ChatGPT ``conversations.json`` (one conversation per session,
  a parent chain through ``mapping``, ``current_node`` at its end).

Each is ingested twice: the second pass must add nothing (idempotency) and shows
what the duplicate check costs. Timings include everything ALMA does on a write
(embedding with MiniLM, entity extraction, the graph transaction, the vector index).

    .venv/bin/python benchmarks/ingest_throughput.py [--storage kuzu|neo4j] [--locomo ../shared/data/locomo]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, write_results  # noqa: E402

from alma_graph import ALMA  # noqa: E402
from alma_graph.ingest import ingest_conversations, ingest_directory  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CONVERSATIONS = ("conv-26.json", "conv-41.json")


def locomo_sessions(folder: Path) -> list[tuple[str, datetime | None, list[dict]]]:
    sessions = []
    for name in CONVERSATIONS:
        data = json.loads((folder / name).read_text())
        conversation = data.get("conversation", data)
        numbers = sorted(int(k.split("_")[1]) for k in conversation if k.startswith("session_") and k.count("_") == 1
                         and isinstance(conversation[k], list))
        for n in numbers:
            when = conversation.get(f"session_{n}_date_time")
            try:
                moment = datetime.strptime(when, "%I:%M %p on %d %B, %Y").replace(tzinfo=timezone.utc)
            except (TypeError, ValueError):
                moment = None
            sessions.append((f"{Path(name).stem}-s{n}", moment, conversation[f"session_{n}"]))
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
        alma = ALMA({"project_id": "bench", "storage": storage, "storage_dir": directory})
        alma.embedder.embed("warm up")  # load the model outside the timing
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", choices=["kuzu", "neo4j"], default="kuzu")
    parser.add_argument("--locomo", type=Path, default=REPO.parent / "shared" / "data" / "locomo")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="alma-ingest-src-") as scratch:
        tree = Path(scratch) / "repo"
        tree.mkdir()
        for part in ("README.md", "alma_graph", "tests"):  # a stable snapshot of the repository's docs and code
            source = REPO / part
            if source.is_dir():
                import shutil

                shutil.copytree(source, tree / part, ignore=shutil.ignore_patterns("__pycache__", "fixtures"))
            elif source.exists():
                (tree / part).write_text(source.read_text())
        results.append(measure("directory (repo docs + code)", args.storage, ingest_directory, tree))
        if args.locomo.is_dir():
            sessions = locomo_sessions(args.locomo)
            text_dir = Path(scratch) / "locomo-text"
            text_dir.mkdir()
            write_text_transcripts(sessions, text_dir)
            results.append(measure("LoCoMo ~1,000 turns, plain text", args.storage, ingest_conversations, text_dir))
            export = Path(scratch) / "conversations.json"
            write_chatgpt_export(sessions, export)
            results.append(measure("LoCoMo ~1,000 turns, ChatGPT export", args.storage, ingest_conversations, export))
        else:
            print(f"LoCoMo not found at {args.locomo}: conversation runs skipped")
    print_table(["input", "files", "turns", "memories", "seconds", "cpu s", "mem/s", "turns/s", "chars/s",
                 "2nd pass s", "2nd pass dups"],
                [[r["input"], r["files"], r["turns"], r["memories"], r["seconds"], r["cpu_seconds"],
                  r["memories_per_second"], r["turns_per_second"] or "-", r["characters_per_second"],
                  r["second_pass_seconds"], r["second_pass_duplicates"]] for r in results],
                title=f"ingestion throughput ({args.storage})")
    write_results(f"ingest_throughput_{args.storage}", {"results": results})


if __name__ == "__main__":
    main()
