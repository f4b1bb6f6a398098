"""Cost of the single-memory operations on a store of N memories: get, a list page,
update (a new version: embed, extract, one transaction, both indexes), a soft delete,
and a hard delete — which on embedded Kuzu also rewrites the database file so the
erased bytes are gone (export the live data, import it into a fresh file, swap).

    .venv/bin/python benchmarks/memory_admin.py [--storage kuzu|neo4j] [--sizes 1000 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import latency_summary, print_table, write_results  # noqa: E402

from alma_graph import ALMA  # noqa: E402

TOPICS = ["billing", "search", "deploys", "queues", "auth", "caching", "logging", "alerts"]


def facts(n: int) -> list[dict]:
    return [{"agent": "dev", "domain": "infra",
             "fact": f"The {TOPICS[i % len(TOPICS)]} service number {i} runs in region eu-{i % 7} on port {8000 + i}."}
            for i in range(n)]


def timed(fn, repeat: int) -> dict[str, float]:
    samples = []
    for i in range(repeat):
        started = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
    return latency_summary(samples)


def run(storage: str, size: int, repeat: int, neo4j: dict | None) -> dict[str, dict[str, float]]:
    settings = {"storage": storage, "storage_dir": tempfile.mkdtemp(prefix="alma-admin-"),
                "project_id": f"bench{uuid.uuid4().hex[:8]}"}
    if neo4j:
        settings["neo4j"] = neo4j
    with ALMA(settings) as alma:
        ids = [m.id for m in alma.add_knowledge_batch(facts(size))]
        center = next(n["id"] for n in alma.graph("dev", limit=50)["nodes"] if n["kind"] == "entity")
        results = {
            "get": timed(lambda i: alma.get(ids[i], "dev"), repeat * 4),
            "get (8-char prefix)": timed(lambda i: alma.get(ids[i][:8], "dev"), repeat * 4),
            "list (50)": timed(lambda i: alma.list_memories("dev", limit=50), repeat * 4),
            "update": timed(lambda i: alma.update(ids[i], "dev", text=f"Corrected statement {i} about port 1{i}."),
                            repeat),
            "delete (archive)": timed(lambda i: alma.delete(ids[repeat + i], "dev"), repeat),
            "delete (hard)": timed(lambda i: alma.delete(ids[2 * repeat + i], "dev", hard=True), repeat),
            "graph (top entity, 2 hops)": timed(lambda i: alma.graph("dev", center=center, hops=2), repeat),
        }
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", choices=["kuzu", "neo4j"], default="kuzu")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--neo4j-uri"), parser.add_argument("--neo4j-password")
    args = parser.parse_args(argv)
    neo4j = {"uri": args.neo4j_uri, "password": args.neo4j_password} if args.storage == "neo4j" else None
    rows, payload = [], {}
    for size in args.sizes:
        results = run(args.storage, size, args.repeat, neo4j)
        payload[str(size)] = results
        rows += [[size, name, r["n"], r["p50_ms"], r["p95_ms"]] for name, r in results.items()]
    print_table(["MEMORIES", "OPERATION", "N", "P50 MS", "P95 MS"], rows, f"memory administration on {args.storage}")
    write_results(f"memory_admin_{args.storage}", {"storage": args.storage, "sizes": payload})


if __name__ == "__main__":
    main()
