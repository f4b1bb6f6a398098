"""Neo4j's own indexes against the in-process ones, signal by signal, on one project.

One project of N synthetic memories over 50 agents (as ``retrieve_latency.py``) on a
Neo4j server; readers that see 1, 2, 5, 10, 25 and 50 agents' memories. Per visible-set
size it times a dense top-50 three ways — exact over the visible set
(``vector.similarity.cosine``), through the HNSW index (over-fetch and widen) and
FAISS in the process — with HNSW's recall@50 against the exact answer, and a BM25
top-50 through Lucene against bm25s. This is what sets ``EXACT_LIMIT`` in
``alma_graph/indexes/server.py`` (exact below it, HNSW above).

    NEO4J_URI=... NEO4J_PASSWORD=... .venv/bin/python benchmarks/neo4j_indexes.py [--size 10000]

Writes benchmarks/results/neo4j_indexes.json (or --out).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import latency_summary, print_table, write_results  # noqa: E402
from retrieve_latency import OBJECTS, SUBJECTS, agents_config, server_settings, synthetic_facts  # noqa: E402

from alma_graph import ALMA  # noqa: E402
from alma_graph.indexes.server import ServerLexicalIndex, ServerVectorIndex, owner_filter  # noqa: E402

KIND = "domain_knowledge"
K = 50
VISIBLE_AGENTS = (1, 2, 5, 10, 25, 50)


def timed(call, repeat: int) -> tuple[list, list[float]]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - started) * 1000)
    return result, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--out", type=Path, help="results JSON (default: benchmarks/results/neo4j_indexes.json)")
    args = parser.parse_args()
    rng = random.Random(7)
    agents = agents_config(50)
    names = list(agents)
    settings = {"storage": "neo4j", "agents": agents, "extraction": {"enabled": False}, **server_settings("neo4j")}
    with tempfile.TemporaryDirectory(prefix="alma-bench-") as directory:
        server = ALMA({**settings, "storage_dir": directory, "retrieval": {"indexes": "server"}})
        facts = synthetic_facts(args.size, rng)
        for start in range(0, args.size, 2000):
            server.add_knowledge_batch([{"agent": names[(start + i) % len(names)], "domain": "systems", "fact": fact}
                                        for i, fact in enumerate(facts[start:start + 2000])])
        local = ALMA({**settings, "storage_dir": directory, "retrieval": {"indexes": "local"}})
        vectors, text = server.context.indexes.vectors, server.context.indexes.lexical
        assert isinstance(vectors, ServerVectorIndex) and isinstance(text, ServerLexicalIndex)
        queries = [f"What does {rng.choice(SUBJECTS).lower()} use for {rng.choice(OBJECTS)}?"
                   for _ in range(args.queries)]
        embedded = [server.embedder.embed(q) for q in queries]
        rows, results = [], []
        for count in VISIBLE_AGENTS:
            owners = names[:count]
            field, values = owner_filter(KIND, owners)
            timings: dict[str, list[float]] = {"exact": [], "hnsw": [], "faiss": [], "lucene": [], "bm25s": []}
            recalls = []
            visible = server.store.count_visible(KIND, field, values, 10**9)  # type: ignore[attr-defined]
            for query, vector in zip(queries, embedded):
                spec = vectors.query(vector, KIND, field, values, K, None)
                exact, t = timed(lambda: vectors.exact(spec), 3)
                timings["exact"] += t
                nearest, t = timed(lambda: vectors.nearest(spec) or [], 3)
                timings["hnsw"] += t
                timings["faiss"] += timed(lambda: local.context.indexes.vectors.search(vector, owners, KIND, K), 3)[1]
                timings["lucene"] += timed(lambda: text.search(query, set(owners), KIND, K), 3)[1]
                timings["bm25s"] += timed(lambda: local.context.indexes.lexical.search(query, set(owners), KIND, K),
                                          3)[1]
                truth = {i for i, _ in exact}
                recalls.append(len(truth & {i for i, _ in nearest}) / max(1, len(truth)))
            summary = {name: latency_summary(samples) for name, samples in timings.items()}
            recall = round(sum(recalls) / len(recalls), 4)
            results.append({"visible_agents": count, "visible_memories": visible, "hnsw_recall_at_50": recall,
                             "timings": summary})
            rows.append([count, visible, *(summary[n]["p50_ms"] for n in timings), recall])
        local.close()
        server.close()
    print_table(["agents", "visible", "exact p50 ms", "hnsw p50 ms", "faiss p50 ms", "lucene p50 ms",
                 "bm25s p50 ms", "hnsw recall@50"], rows,
                title=f"dense and BM25 top-{K} on Neo4j vs in-process, {args.size} memories")
    write_results("neo4j_indexes", {"size": args.size, "k": K, "queries": args.queries, "results": results}, args.out)


if __name__ == "__main__":
    main()
