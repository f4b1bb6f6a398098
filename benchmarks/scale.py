"""Scale: write rate, retrieve latency per recipe, store size and memory as one store grows.

One store per backend grows through the sizes (1,000 → 10,000 → 100,000 by default), so
a run builds each store once. Facts go in with ``add_knowledge_batch`` in batches of
``--batch`` (embedding and entity extraction included, the default), spread over 50
agents (juniors inherit from seniors); at each size every recipe answers the same kinds
of question, one question at a time across recipes, so machine noise hits them alike.
Each question text is asked once in a run (numbered), so a cache of queries cannot
answer it; timings include embedding the query with MiniLM.

    .venv/bin/python benchmarks/scale.py [--storage kuzu neo4j] [--sizes 1000 10000 100000]
    .venv/bin/python benchmarks/scale.py --sizes 5000 50000      # the flat-growth check (issue #15, target 2)
    .venv/bin/python benchmarks/scale.py --combine kuzu.json neo4j.json   # one table and plot from two runs

With more than one size it checks that growth is flat between the first and the last:
retrieve p95 (default recipe) at the last size ≤ 1.5× the first, and the rate of the last
write batch ≥ 0.7× the first batch's; it prints PASS/FAIL with the ratios.

Neo4j comes from NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD (e.g. as printed by
``python -m alma_graph.neo4j_local``), each run in a fresh project; without NEO4J_URI
the benchmark starts its own local server (``alma_graph.neo4j_local``, 2 GB heap) in a
temporary folder and stops it at the end. Results: ``benchmarks/results/scale.json``
and the plot ``benchmarks/results/scale.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import latency_summary, print_table, write_results  # noqa: E402
from _synthetic import agents_config, server_settings, synthetic_facts, synthetic_questions  # noqa: E402

from alma_graph import ALMA  # noqa: E402

DEFAULT_SIZES = [1000, 10000, 100000]
DEFAULT_RECIPES = ["similarity_only", "dense_bm25", "hybrid"]
DEFAULT_RECIPE = "hybrid"  # what retrieve uses when no recipe is named
P95_GROWTH_LIMIT = 1.5  # issue #15, target 2
WRITE_RATE_FLOOR = 0.7
NEO4J_HEAP = "-Xmx2g"


def rss_mb(pid: int | str = "self") -> float | None:
    """Resident memory of a process now, in MB (Linux /proc; None elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # kB on Linux


def disk_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


@contextlib.contextmanager
def neo4j_server() -> Iterator[dict]:
    """The Neo4j server of the environment, or a local one started for this run."""
    if os.environ.get("NEO4J_URI"):
        yield {"source": "NEO4J_URI", "pid": None, "data_dir": None}
        return
    from alma_graph.neo4j_local import start_local_neo4j

    with tempfile.TemporaryDirectory(prefix="alma-scale-neo4j-") as data_dir:
        print("starting a local Neo4j server (alma_graph.neo4j_local)...", flush=True)
        server = start_local_neo4j(data_dir, java_opts=(NEO4J_HEAP,), timeout=300)
        saved = {k: os.environ.get(k) for k in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD")}
        os.environ.update(NEO4J_URI=server.uri, NEO4J_USER=server.user, NEO4J_PASSWORD=server.password)
        try:
            yield {"source": f"alma_graph.neo4j_local ({NEO4J_HEAP})", "pid": server.pid, "data_dir": Path(data_dir)}
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            server.stop()


def warm_up() -> None:
    """Load MiniLM and spaCy once, outside every timing (a throwaway embedded store)."""
    with tempfile.TemporaryDirectory(prefix="alma-scale-warm-") as directory:
        with ALMA({"project_id": "warm", "storage": "kuzu", "storage_dir": directory}) as alma:
            alma.add_knowledge_batch([{"agent": "a", "domain": "d", "fact": "The auth service depends on Redis"}])
            alma.retrieve("What does the auth service use?", "a")


class Profiler:
    """cProfile of the last write batch and of the retrieves at each size (``--profile DIR``)."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    @contextlib.contextmanager
    def section(self, name: str, enabled: bool = True) -> Iterator[None]:
        if self.folder is None or not enabled:
            yield
            return
        profile = cProfile.Profile()
        profile.enable()
        try:
            yield
        finally:
            profile.disable()
            self.folder.mkdir(parents=True, exist_ok=True)
            profile.dump_stats(self.folder / f"{name}.pstats")


def grow(alma: ALMA, start: int, target: int, batch: int, rng: random.Random, agents: list[str],
         profiler: Profiler, label: str) -> list[dict]:
    """Add facts ``start``..``target`` in batches; each batch's size and seconds."""
    batches = []
    for begin in range(start, target, batch):
        count = min(batch, target - begin)
        items = [{"agent": rng.choice(agents), "domain": "systems", "fact": fact}
                 for fact in synthetic_facts(count, rng, start=begin)]
        last = begin + count == target
        with profiler.section(f"{label}_write", enabled=last):
            started = time.perf_counter()
            alma.add_knowledge_batch(items)
            seconds = time.perf_counter() - started
        batches.append({"end": begin + count, "memories": count, "seconds": round(seconds, 3),
                        "per_second": round(count / seconds, 1)})
        if len(batches) % 10 == 0:
            print(f"    {label}: {begin + count:,} memories, last batch {count / seconds:.0f}/s", flush=True)
    return batches


def time_retrieves(alma: ALMA, questions: dict[str, list[str]], readers: list[str]) -> dict:
    """Each recipe's questions (its own, never asked before), one at a time across recipes.
    The first retrieve of each recipe follows the writes: it pays any index rebuilt lazily
    after a write (``first_ms``)."""
    samples: dict[str, list[float]] = {recipe: [] for recipe in questions}
    found: dict[str, int] = {recipe: 0 for recipe in questions}
    for i, reader in enumerate(readers):
        for recipe, texts in questions.items():
            started = time.perf_counter()
            result = alma.retrieve(texts[i], reader, top_k=5, recipe=recipe)
            samples[recipe].append((time.perf_counter() - started) * 1000)
            found[recipe] += bool(result.all())
    return {recipe: {**latency_summary(samples[recipe]), "first_ms": round(samples[recipe][0], 1),
                     "answered": found[recipe]} for recipe in questions}


def fresh_questions(args: argparse.Namespace, step: int) -> dict[str, list[str]]:
    """The same kinds of question at every size and for every recipe, numbered apart."""
    asked = {}
    for r, recipe in enumerate(args.recipes):
        rng = random.Random(args.seed)
        asked[recipe] = synthetic_questions(args.queries, rng, numbered_from=(step * len(args.recipes) + r)
                                            * args.queries)
    return asked


def run_backend(storage: str, args: argparse.Namespace, server: dict | None) -> dict:
    agents = agents_config(50)
    names = list(agents)
    rng = random.Random(args.seed)
    readers = [rng.choice(names) for _ in range(args.queries)]
    profiler = Profiler(args.profile)
    steps = []
    with tempfile.TemporaryDirectory(prefix="alma-scale-") as directory:
        store = Path(directory)
        alma = ALMA({"project_id": "scale", "storage": storage, "storage_dir": directory, "agents": agents,
                     **server_settings(storage)})
        count = 0
        for step_number, size in enumerate(sorted(args.sizes)):
            label = f"{storage}_{size}"
            batches = grow(alma, count, size, args.batch, rng, names, profiler, label)
            count = size
            write_seconds = sum(b["seconds"] for b in batches)
            stats = alma.stats()
            with profiler.section(f"{label}_retrieve"):
                recipes = time_retrieves(alma, fresh_questions(args, step_number), readers)
            graph_dir = server["data_dir"] if server and server["data_dir"] else None
            step = {
                "size": size, "stored": stats["by_kind"]["domain_knowledge"], "graph": stats["graph"],
                "indexed_vectors": stats["indexed_vectors"], "added": sum(b["memories"] for b in batches),
                "write_seconds": round(write_seconds, 3),
                "write_per_second": round(sum(b["memories"] for b in batches) / write_seconds, 1),
                "batches": batches, "recipes": recipes,
                "disk_mb": {"storage_dir": disk_mb(store),
                            "neo4j_data_dir": disk_mb(graph_dir) if graph_dir else None},
                "rss_mb": {"python": rss_mb(), "python_peak": peak_rss_mb(),
                           "neo4j": rss_mb(server["pid"]) if server and server["pid"] else None},
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
            steps.append(step)
            print(f"  {storage} {size:>7,}: {step['write_per_second']} memories/s, "
                  f"{DEFAULT_RECIPE if DEFAULT_RECIPE in recipes else args.recipes[0]} p95 "
                  f"{recipes.get(DEFAULT_RECIPE, recipes[args.recipes[0]])['p95_ms']} ms, "
                  f"load {step['load_average'][0]}", flush=True)
        alma.close()
        # the vector cache is written on close: the store's full size on disk
        steps[-1]["disk_mb"]["storage_dir_closed"] = disk_mb(store)
    return {"storage": storage, "neo4j_server": server["source"] if server else None, "steps": steps}


def growth_checks(result: dict, recipe: str) -> list[dict]:
    """Flat growth between the first and last sizes: retrieve p95 and the write rate per batch."""
    first, last = result["steps"][0], result["steps"][-1]
    if first is last:
        return []
    all_batches = [b for step in result["steps"] for b in step["batches"]]
    # judged on the ratios as printed, two decimals
    p95 = round(last["recipes"][recipe]["p95_ms"] / first["recipes"][recipe]["p95_ms"], 2)
    rate = round(all_batches[-1]["per_second"] / all_batches[0]["per_second"], 2)
    return [
        {"check": f"retrieve p95 ({recipe}) at {last['size']:,} / at {first['size']:,}", "ratio": p95,
         "limit": f"<= {P95_GROWTH_LIMIT}", "passed": p95 <= P95_GROWTH_LIMIT},
        {"check": f"write rate of the batch ending at {all_batches[-1]['end']:,} / the first "
                  f"({all_batches[0]['memories']:,})", "ratio": rate,
         "limit": f">= {WRITE_RATE_FLOOR}", "passed": rate >= WRITE_RATE_FLOOR},
    ]


def plot(results: list[dict], recipes: list[str], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fig, (latency, writes) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    markers = {"kuzu": "o", "neo4j": "s"}
    for result in results:
        sizes = [s["size"] for s in result["steps"]]
        marker = markers.get(result["storage"], "^")
        for colour, recipe in zip(colours, recipes):
            latency.plot(sizes, [s["recipes"][recipe]["p50_ms"] for s in result["steps"]], marker=marker,
                         color=colour, label=f"{result['storage']} {recipe} p50")
            latency.plot(sizes, [s["recipes"][recipe]["p95_ms"] for s in result["steps"]], marker=marker,
                         color=colour, linestyle=":", alpha=0.6)
        writes.plot(sizes, [s["write_per_second"] for s in result["steps"]], marker=marker,
                    label=f"{result['storage']}")
    latency.set(xscale="log", yscale="log", xlabel="memories in the store", ylabel="retrieve ms (dotted: p95)",
                title="retrieve latency (query embedding included)")
    writes.set(xscale="log", yscale="log", xlabel="memories in the store",
               ylabel="memories/s while growing to N", title="add_knowledge_batch with extraction")
    for axis in (latency, writes):
        axis.grid(True, which="both", alpha=0.3)
        for ticks in (axis.xaxis, axis.yaxis):  # 10,000 rather than 10^4
            ticks.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
            ticks.set_minor_formatter(NullFormatter())
        axis.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))  # labels within one decade too
        axis.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot written to {path}")
    return path


def print_results(results: list[dict], recipes: list[str]) -> None:
    rows = []
    for result in results:
        for step in result["steps"]:
            rows.append([result["storage"], f"{step['size']:,}", step["write_per_second"],
                         *(f"{step['recipes'][r]['p50_ms']} / {step['recipes'][r]['p95_ms']}" for r in recipes),
                         step["disk_mb"]["neo4j_data_dir"] or step["disk_mb"]["storage_dir"],
                         step["rss_mb"]["python"], step["rss_mb"]["neo4j"] or "-", step["load_average"][0]])
    print_table(["storage", "memories", "write mem/s", *(f"{r} p50/p95 ms" for r in recipes), "disk MB",
                 "RSS MB", "neo4j RSS MB", "load"], rows, title="scale (one store per backend, grown in place)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", nargs="+", choices=["kuzu", "neo4j"], default=["kuzu", "neo4j"])
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES)
    parser.add_argument("--batch", type=int, default=1000, help="memories per add_knowledge_batch call")
    parser.add_argument("--queries", type=int, default=100, help="questions per size (each asked of every recipe)")
    parser.add_argument("--recipes", nargs="+", default=DEFAULT_RECIPES)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="results JSON: a folder or a .json file (default: benchmarks/results/)")
    parser.add_argument("--plot", type=Path, help="the PNG (default: scale.png beside the JSON)")
    parser.add_argument("--profile", type=Path, help="folder for cProfile stats of the last write batch and the "
                                                     "retrieves at each size")
    parser.add_argument("--combine", type=Path, nargs="+", metavar="JSON",
                        help="run nothing: one table, JSON and plot from the results of earlier runs")
    args = parser.parse_args(argv)
    if min(args.sizes) < 1 or args.batch < 1 or args.queries < 1:
        parser.error("--sizes, --batch and --queries must be positive")
    return args


def report(results: list[dict], config: dict, extra: dict, args: argparse.Namespace) -> dict:
    """Table, growth checks, JSON and plot of the results of one run (or of several, combined)."""
    recipes = config["recipes"]
    print_results(results, recipes)
    check_recipe = DEFAULT_RECIPE if DEFAULT_RECIPE in recipes else recipes[0]
    for result in results:
        result["growth_checks"] = growth_checks(result, check_recipe)
        for check in result["growth_checks"]:
            print(f"{'PASS' if check['passed'] else 'FAIL'} {result['storage']}: {check['check']} = "
                  f"{check['ratio']} ({check['limit']})")
    out = args.out if args.out is None or args.out.suffix == ".json" else args.out / "scale.json"
    payload = {"config": config, **extra, "results": results}
    path = write_results("scale", payload, out)
    plot(results, recipes, args.plot or path.with_suffix(".png"))
    return payload


def combine(files: list[Path], args: argparse.Namespace) -> dict:
    """One table, JSON and plot from earlier runs (e.g. each backend run on its own)."""
    runs = [json.loads(Path(f).read_text()) for f in files]
    recipes = [r for r in runs[0]["config"]["recipes"] if all(r in run["config"]["recipes"] for run in runs)]
    config = {**runs[0]["config"], "recipes": recipes,
              "sizes": sorted({size for run in runs for size in run["config"]["sizes"]})}
    extra = {"combined_from": [{"file": Path(f).name, "when": run["when"], "total_seconds": run["total_seconds"],
                                "storage": [r["storage"] for r in run["results"]]} for f, run in zip(files, runs)]}
    return report([result for run in runs for result in run["results"]], config, extra, args)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.combine:
        return combine(args.combine, args)
    started = time.perf_counter()
    warm_up()
    results = []
    for storage in args.storage:
        with (neo4j_server() if storage == "neo4j" else contextlib.nullcontext()) as server:
            results.append(run_backend(storage, args, server))
    config = {"sizes": sorted(args.sizes), "batch": args.batch, "queries": args.queries, "recipes": args.recipes,
              "seed": args.seed, "cpus": os.cpu_count()}
    return report(results, config, {"total_seconds": round(time.perf_counter() - started, 1)}, args)


if __name__ == "__main__":
    main()
