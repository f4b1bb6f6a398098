"""Retrieve latency at 1,000 and 10,000 memories on a real on-disk store.

Memories are spread over 50 agents (each junior inherits from a senior) so every
query runs the visibility traversal and a restricted FAISS search, as in use.
Timings include embedding the query with MiniLM.

    .venv/bin/python benchmarks/retrieve_latency.py [--sizes 1000 10000] [--storage kuzu|neo4j]
    .venv/bin/python benchmarks/retrieve_latency.py --storage neo4j --indexes server local

With --storage neo4j the server comes from NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD
(e.g. as printed by `python -m alma_graph.neo4j_local`); each run uses a fresh project.
Each size is loaded by one ALMA instance and timed through a second one, opened on the
loaded store as another process would (its open time is reported), which also times a
retrieve right after the first instance wrote. ``--indexes`` times the same store and
queries once per ``retrieval.indexes`` value (the server's indexes, or FAISS + BM25 in
the process).
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
from _harness import ablation_recipes  # noqa: E402
from _synthetic import agents_config, server_settings, synthetic_facts, synthetic_questions  # noqa: E402

from alma_graph import ALMA  # noqa: E402
from alma_graph.retrieval.signals import graph_matrix  # noqa: E402
from alma_graph.retrieval.signals.graph import graph, query_nodes  # noqa: E402


def run(size: int, queries: int, storage: str, rng: random.Random, recipes: list[str],
        indexes: list[str | None]) -> dict:
    agents = agents_config(50)
    names = list(agents)
    with tempfile.TemporaryDirectory(prefix="alma-bench-") as directory:
        minus_graph = {"hybrid_minus_graph": ablation_recipes()["hybrid_minus_graph"]}
        settings = {"project_id": f"bench{size}", "storage": storage, "storage_dir": directory, "agents": agents,
                    **server_settings(storage)}

        def open_alma(mode: str | None) -> ALMA:
            return ALMA({**settings, "retrieval": {"recipes": minus_graph, **({"indexes": mode} if mode else {})}})

        alma = open_alma(indexes[0])
        facts = synthetic_facts(size, rng)
        started = time.perf_counter()
        for chunk in range(0, size, 2000):
            alma.add_knowledge_batch(
                [{"agent": rng.choice(names), "domain": "systems", "fact": fact} for fact in facts[chunk:chunk + 2000]])
        load_s = time.perf_counter() - started
        queries_text = synthetic_questions(queries, rng)
        readers = [rng.choice(names) for _ in range(queries)]
        by_indexes = {}
        for mode in indexes:
            # On a server, a second instance opens the loaded store as a new process would;
            # an embedded store has one handle per process, so the loader reads itself.
            t = time.perf_counter()
            reader_alma = open_alma(mode) if storage != "kuzu" else alma
            open_ms = round((time.perf_counter() - t) * 1000, 1) if reader_alma is not alma else None
            reader_alma.retrieve("warm up", "junior_0")
            per_recipe = {}
            for recipe in recipes:
                samples = []
                for query, reader in zip(queries_text, readers):
                    t = time.perf_counter()
                    reader_alma.retrieve(query, reader, top_k=5, recipe=recipe)
                    samples.append((time.perf_counter() - t) * 1000)
                per_recipe[recipe] = latency_summary(samples)
            entry: dict = {"open_ms": open_ms, "recipes": per_recipe, "after_other_write": None}
            if reader_alma is not alma:  # the loading instance writes, this one retrieves right after
                after = []
                for i, (query, reader) in enumerate(list(zip(queries_text, readers))[:5]):
                    alma.add_knowledge(reader, "systems", f"The audit log of run {i} is kept for a year")
                    t = time.perf_counter()
                    reader_alma.retrieve(query, reader, top_k=5)
                    after.append((time.perf_counter() - t) * 1000)
                entry["after_other_write"] = latency_summary(after)
                reader_alma.close()
            by_indexes[mode or "default"] = entry
        graph_cost = graph_signal_cost(alma, queries_text, readers)
        embed = []
        for query in queries_text[:50]:
            t = time.perf_counter()
            alma.embedder.embed(query)
            embed.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        alma.learn("junior_0", "Rotate the database credentials", True, "Use the vault rotation job")
        learn_ms = (time.perf_counter() - t) * 1000
        alma.close()
    return {"size": size, "storage": storage, "load_seconds": round(load_s, 1),
            "memories_per_second": round(size / load_s), "learn_ms": round(learn_ms, 1),
            "query_embedding": latency_summary(embed), "recipes": next(iter(by_indexes.values()))["recipes"],
            "by_indexes": by_indexes, "graph_signal": graph_cost}


def graph_signal_cost(alma: ALMA, queries: list[str], readers: list[str]) -> dict:
    """The graph signal alone: its matrix built once (after a write), then per query the
    lookup of the query's nodes and the PageRank over the reader's subgraph."""
    ctx = alma.context
    started = time.perf_counter()
    matrix = graph_matrix.build(ctx.store, ctx.indexes.generation, None)
    build_ms = (time.perf_counter() - started) * 1000
    samples = []
    for query, reader in zip(queries, readers):
        owners = set(ctx.store.visible_agents(reader, ctx.config.retrieval.max_inheritance_depth))
        t = time.perf_counter()
        graph(matrix, query_nodes(matrix, query), [], owners, "domain_knowledge", 50, None, {})
        samples.append((time.perf_counter() - t) * 1000)
    return {"matrix_build_ms": round(build_ms, 1), "nodes": len(matrix.labels), "edges": int(matrix.adjacency.nnz // 2),
            "per_retrieve": latency_summary(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--storage", choices=["kuzu", "neo4j"], default="kuzu")
    parser.add_argument("--recipes", nargs="+", default=["similarity_only", "hybrid", "hybrid_minus_graph"])
    parser.add_argument("--indexes", nargs="+", choices=["server", "local"], default=None,
                        help="retrieval.indexes values to time on the same store (default: the backend's own)")
    parser.add_argument("--out", type=Path, help="results JSON: a folder or a .json file (default: benchmarks/results/)")
    args = parser.parse_args()
    rng = random.Random(7)
    indexes: list[str | None] = list(args.indexes or [None])
    results = [run(size, args.queries, args.storage, rng, args.recipes, indexes) for size in args.sizes]
    rows = []
    for r in results:
        for mode, timed in r["by_indexes"].items():
            for recipe, timing in timed["recipes"].items():
                rows.append([r["size"], r["storage"], mode, recipe, timing["p50_ms"], timing["p95_ms"],
                             timing["mean_ms"], r["query_embedding"]["p50_ms"], timed["open_ms"] or "-",
                             (timed["after_other_write"] or {}).get("p50_ms", "-"),
                             r["memories_per_second"], r["learn_ms"]])
    print_table(["memories", "storage", "indexes", "recipe", "retrieve p50 ms", "p95 ms", "mean ms", "embed p50 ms",
                 "open ms", "after write ms", "load mem/s", "learn ms"], rows, title="retrieve latency (query embedding included)")
    print_table(["memories", "nodes", "edges", "matrix build ms", "graph signal p50 ms", "p95 ms"],
                [[r["size"], r["graph_signal"]["nodes"], r["graph_signal"]["edges"], r["graph_signal"]["matrix_build_ms"],
                  r["graph_signal"]["per_retrieve"]["p50_ms"], r["graph_signal"]["per_retrieve"]["p95_ms"]]
                 for r in results], title="the graph signal alone (matrix built once per write generation)")
    name = f"retrieve_latency_{args.storage}"
    out = args.out if args.out is None or args.out.suffix == ".json" else args.out / f"{name}.json"
    write_results(name, {"queries_per_size": args.queries, "results": results}, out)


if __name__ == "__main__":
    main()
