"""Retrieve latency at 1,000 and 10,000 memories on a real on-disk store.

Memories are spread over 50 agents (each junior inherits from a senior) so every
query runs the visibility traversal and a restricted FAISS search, as in use.
Timings include embedding the query with MiniLM.

    .venv/bin/python benchmarks/retrieve_latency.py [--sizes 1000 10000] [--storage kuzu|neo4j]

With --storage neo4j the server comes from NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD
(e.g. as printed by `python -m alma_graph.neo4j_local`); each run uses a fresh project.
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
from _synthetic import agents_config, server_settings, synthetic_facts, synthetic_questions  # noqa: E402

from alma_graph import ALMA  # noqa: E402


def run(size: int, queries: int, storage: str, rng: random.Random, recipes: list[str]) -> dict:
    agents = agents_config(50)
    names = list(agents)
    with tempfile.TemporaryDirectory(prefix="alma-bench-") as directory:
        alma = ALMA({"project_id": f"bench{size}", "storage": storage, "storage_dir": directory, "agents": agents,
                     **server_settings(storage)})
        facts = synthetic_facts(size, rng)
        started = time.perf_counter()
        for chunk in range(0, size, 2000):
            alma.add_knowledge_batch(
                [{"agent": rng.choice(names), "domain": "systems", "fact": fact} for fact in facts[chunk:chunk + 2000]])
        load_s = time.perf_counter() - started
        alma.retrieve("warm up", "junior_0")
        queries_text = synthetic_questions(queries, rng)
        readers = [rng.choice(names) for _ in range(queries)]
        per_recipe = {}
        for recipe in recipes:
            samples = []
            for query, reader in zip(queries_text, readers):
                t = time.perf_counter()
                alma.retrieve(query, reader, top_k=5, recipe=recipe)
                samples.append((time.perf_counter() - t) * 1000)
            per_recipe[recipe] = latency_summary(samples)
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
            "query_embedding": latency_summary(embed), "recipes": per_recipe}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--storage", choices=["kuzu", "neo4j"], default="kuzu")
    parser.add_argument("--recipes", nargs="+", default=["similarity_only", "hybrid"])
    parser.add_argument("--out", type=Path, help="results JSON: a folder or a .json file (default: benchmarks/results/)")
    args = parser.parse_args()
    rng = random.Random(7)
    results = [run(size, args.queries, args.storage, rng, args.recipes) for size in args.sizes]
    rows = []
    for r in results:
        for recipe, timing in r["recipes"].items():
            rows.append([r["size"], r["storage"], recipe, timing["p50_ms"], timing["p95_ms"], timing["mean_ms"],
                         r["query_embedding"]["p50_ms"], r["memories_per_second"], r["learn_ms"]])
    print_table(["memories", "storage", "recipe", "retrieve p50 ms", "p95 ms", "mean ms", "embed p50 ms",
                 "load mem/s", "learn ms"], rows, title="retrieve latency (query embedding included)")
    name = f"retrieve_latency_{args.storage}"
    out = args.out if args.out is None or args.out.suffix == ".json" else args.out / f"{name}.json"
    write_results(name, {"queries_per_size": args.queries, "results": results}, out)


if __name__ == "__main__":
    main()
