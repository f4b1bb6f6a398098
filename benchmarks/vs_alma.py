"""alma_graph beside ALMA 0.11, same machine, same run: the same facts, queries and lessons.

    .venv/bin/python benchmarks/vs_alma.py                 # 10,000 facts, 100 queries, 3 rounds (~6 min quiet)
    .venv/bin/python benchmarks/vs_alma.py --memories 2000 --queries 50 --rounds 1

ALMA runs in its own venv (``benchmarks/.alma_venv``, created on the first run:
``alma-memory[local]==0.11.0`` from PyPI, with torch, sentence-transformers and FAISS
taken from this venv through a ``.pth`` file, so both sides run the same builds), as a
subprocess (``_vs_alma_side.py``), wired per its quickstart. Then alma_graph runs here
on a fresh embedded Kuzu store. Measured on both, in this order:

- add: ``--single-adds`` facts one call each (ALMA's ``add_domain_knowledge``, our
  ``add_knowledge``), then the rest in bulk (ours: ``add_knowledge_batch``, chunks of 500);
- retrieve p50/p95 over the queries, top 5 (ALMA: its retrieve, vector search only;
  ours: the default hybrid recipe, and ``similarity_only`` for reference), and how many
  of the 5 answer the question (same service and same condition);
- query embedding alone, and ``learn`` p50.

The pair runs ``--rounds`` times (3), ALMA then alma_graph in each: this machine's speed moves
from minute to minute, so a ratio is taken within a round and the median round's is reported;
the tables pool every round's samples. Each side keeps its defaults (ALMA: torch on every
core; alma_graph: ONNX Runtime on every core but one, up to 4, ``ALMA_GRAPH_EMBED_THREADS``,
and one thread for the int8 query model). The load average of each round is recorded: timings
on a busy machine are not comparable.
Writes benchmarks/results/vs_alma.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import site
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _vs_alma_workload as workload  # noqa: E402
from _common import latency_summary, print_table, write_results  # noqa: E402

ALMA_VENV = HERE / ".alma_venv"
ALMA_REQUIREMENT = "alma-memory[local]==0.11.0"


def alma_python() -> Path:
    """ALMA's venv, made on first use: its own alma-memory, this venv's torch and friends."""
    python = ALMA_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {ALMA_VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(ALMA_VENV)], check=True)
        purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 check=True, capture_output=True, text=True).stdout.strip()
        # After ALMA's own site-packages: its pins win, torch & co. come from here.
        Path(purelib, "_alma_graph_venv.pth").write_text(site.getsitepackages()[0] + "\n")
    installed = subprocess.run([str(python), "-m", "pip", "show", "alma-memory"], capture_output=True, text=True)
    if "Version: 0.11.0" not in installed.stdout:
        print(f"installing {ALMA_REQUIREMENT} into {ALMA_VENV} ...", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", ALMA_REQUIREMENT], check=True)
    return python


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_alma(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "alma.json"
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        subprocess.run([str(alma_python()), str(HERE / "_vs_alma_side.py"), "--memories", str(args.memories),
                        "--queries", str(args.queries), "--learns", str(args.learns),
                        "--single-adds", str(args.single_adds), "--out", str(out)], check=True, env=env)
        return json.loads(out.read_text())


def run_alma_graph(args: argparse.Namespace) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from alma_graph import ALMA
    from alma_graph.indexes.onnx_minilm import threads
    from alma_graph.indexes.model_loading import load_models

    facts, queries = workload.facts(args.memories), workload.queries(args.queries)
    with tempfile.TemporaryDirectory(prefix="alma-graph-vs-") as directory:
        started = time.perf_counter()
        alma = ALMA({"project_id": "vs", "storage": "kuzu", "storage_dir": directory})
        load_models(int8=True)  # both query paths are measured
        load_s = time.perf_counter() - started
        adds = []
        for fact in facts[:args.single_adds]:
            t = time.perf_counter()
            alma.add_knowledge(workload.AGENT, workload.DOMAIN, fact)
            adds.append(time.perf_counter() - t)
        rest = facts[args.single_adds:]
        t = time.perf_counter()
        for start in range(0, len(rest), 500):
            alma.add_knowledge_batch([{"agent": workload.AGENT, "domain": workload.DOMAIN, "fact": f}
                                      for f in rest[start:start + 500]])
        batch_s = time.perf_counter() - t
        alma.retrieve("warm up", workload.AGENT, top_k=5)
        per_recipe: dict[str, dict] = {}
        default_embedding = alma.config.retrieval.query_embedding
        other_embedding = "exact" if default_embedding == "int8" else "int8"
        # the default ranker, vectors only, and the default ranker with the other query embedding
        for recipe, embedding in ((None, default_embedding), ("similarity_only", default_embedding),
                                  (None, other_embedding)):
            alma.config.retrieval.query_embedding = embedding
            samples, answers = [], []
            alma.embedder.forget_queries()  # every recipe embeds its queries afresh
            for query in queries:
                t = time.perf_counter()
                result = alma.retrieve(query, workload.AGENT, top_k=5, recipe=recipe)
                samples.append(time.perf_counter() - t)
                answers.append([k.fact for k in result.domain_knowledge])
            name = recipe or alma.config.retrieval.recipe
            if embedding != default_embedding:
                name += f", {embedding} queries"
            per_recipe[name] = {"retrieve_ms": _ms(samples), "answers": answers}
        alma.config.retrieval.query_embedding = default_embedding
        embeds = []
        alma.embedder.forget_queries()
        for query in queries[:50]:  # the query path retrieve takes by default
            t = time.perf_counter()
            alma.embedder.embed_query(query, int8=default_embedding == "int8")
            embeds.append(time.perf_counter() - t)
        learns = []
        for task, strategy, success in workload.lessons(args.learns):
            t = time.perf_counter()
            alma.learn(workload.AGENT, task, success, strategy)
            learns.append(time.perf_counter() - t)
        alma.close()
    return {"system": "alma_graph", "model_threads": f"{threads()} (onnxruntime)", "load_s": round(load_s, 2),
            "single_add_ms": _ms(adds), "batch_add_per_s": round(len(rest) / batch_s, 1) if rest else None,
            "recipes": per_recipe, "query_embedding_ms": _ms(embeds), "learn_ms": _ms(learns)}


_QUESTION = re.compile(r"^Why does the (?P<service>.+) fail when (?P<condition>.+)\?$")


def relevant_at_5(queries: list[str], answers: list[list[str]]) -> float:
    """Share of the top 5 that name the asked service under the asked condition."""
    hits = 0
    for query, found in zip(queries, answers):
        asked = _QUESTION.match(query)
        assert asked is not None
        hits += sum(1 for fact in found[:5]
                    if fact.startswith(f"The {asked['service']} ") and f" when {asked['condition']} (" in fact)
    return round(hits / (5 * len(queries)), 3)


def _ms(samples: list[float]) -> list[float]:
    return [round(s * 1000, 3) for s in samples]


def _rate(samples_ms: list[float]) -> float | None:
    return round(1000 * len(samples_ms) / sum(samples_ms), 1) if samples_ms else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--learns", type=int, default=30)
    parser.add_argument("--single-adds", type=int, default=300, help="facts added one call each before the bulk load")
    parser.add_argument("--rounds", type=int, default=3,
                        help="ALMA then alma_graph, this many times: the ratio is the median round's")
    parser.add_argument("--out", type=Path, help="results JSON (default: benchmarks/results/vs_alma.json)")
    args = parser.parse_args()
    started, rounds = time.perf_counter(), []
    for number in range(1, args.rounds + 1):
        load_before = load_average()
        alma = run_alma(args)
        load_between = load_average()
        ours = run_alma_graph(args)
        rounds.append({"load_average": {"before": load_before, "between": load_between, "after": load_average()},
                       "ratios": _ratios(alma, ours), "alma": alma, "alma_graph": ours})
        print(f"round {number}/{args.rounds}: {rounds[-1]['ratios']} (load {load_before})", flush=True)
    queries = workload.queries(args.queries)

    # Pooled over the rounds: each round's samples are a minute of this machine's mood.
    alma = {key: _pooled(rounds, "alma", key) for key in ("retrieve_ms", "query_embedding_ms", "learn_ms",
                                                           "single_add_ms")}
    ours = {key: _pooled(rounds, "alma_graph", key) for key in ("query_embedding_ms", "learn_ms", "single_add_ms")}
    recipes = rounds[0]["alma_graph"]["recipes"]
    summary = {"ALMA 0.11 (vector)": {**latency_summary(alma["retrieve_ms"]),
                                      "relevant@5": relevant_at_5(queries, rounds[0]["alma"]["answers"])}}
    for recipe, measured in recipes.items():
        pooled = [ms for r in rounds for ms in r["alma_graph"]["recipes"][recipe]["retrieve_ms"]]
        summary[f"alma_graph {recipe}"] = {**latency_summary(pooled), "relevant@5": relevant_at_5(queries, measured["answers"])}
    ratios = {name: round(statistics.median(r["ratios"][name] for r in rounds), 2) for name in rounds[0]["ratios"]}
    rows = [[name, s["p50_ms"], s["p95_ms"], s["relevant@5"]] for name, s in summary.items()]
    print_table(["system", "retrieve p50 ms", "p95 ms", "relevant@5"], rows,
                title=f"retrieve at {args.memories:,} memories, {args.queries} queries x {args.rounds} rounds, top 5")
    bulk = statistics.median(r["alma_graph"]["batch_add_per_s"] or 0 for r in rounds)
    print_table(["system", "query embedding p50 ms", "learn p50 ms", "add one call /s", "bulk add /s", "model threads"], [
        ["ALMA 0.11", latency_summary(alma["query_embedding_ms"])["p50_ms"], latency_summary(alma["learn_ms"])["p50_ms"],
         _rate(alma["single_add_ms"]), "-", f"{rounds[0]['alma']['torch_threads']} (torch)"],
        ["alma_graph", latency_summary(ours["query_embedding_ms"])["p50_ms"], latency_summary(ours["learn_ms"])["p50_ms"],
         _rate(ours["single_add_ms"]), bulk, rounds[0]["alma_graph"]["model_threads"]],
    ])
    per_round = "; ".join(f"{r['ratios']['retrieve_p50_alma_over_ours']}x / {r['ratios']['learn_p50_alma_over_ours']}x"
                          for r in rounds)
    print(f"\nALMA p50 / alma_graph p50, median round: retrieve {ratios['retrieve_p50_alma_over_ours']}x, "
          f"learn {ratios['learn_p50_alma_over_ours']}x (rounds: {per_round})")
    for r in rounds:
        for side in (r["alma"], *r["alma_graph"]["recipes"].values()):
            side.pop("answers", None)
    write_results("vs_alma", {
        "memories": args.memories, "queries": args.queries, "learns": args.learns, "single_adds": args.single_adds,
        "elapsed_s": round(time.perf_counter() - started, 1), "summary": summary, "ratios": ratios,
        "bulk_add_per_s": bulk, "rounds": rounds,
    }, args.out)


def _ratios(alma: dict, ours: dict) -> dict[str, float]:
    """One round's ALMA p50 / alma_graph p50 (the default recipe: the first measured)."""
    default = next(iter(ours["recipes"].values()))
    return {
        "retrieve_p50_alma_over_ours": round(latency_summary(alma["retrieve_ms"])["p50_ms"]
                                             / latency_summary(default["retrieve_ms"])["p50_ms"], 2),
        "learn_p50_alma_over_ours": round(latency_summary(alma["learn_ms"])["p50_ms"]
                                          / latency_summary(ours["learn_ms"])["p50_ms"], 2),
    }


def _pooled(rounds: list[dict], side: str, key: str) -> list[float]:
    return [ms for r in rounds for ms in r[side][key]]


if __name__ == "__main__":
    main()
