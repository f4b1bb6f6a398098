"""A big store opened cold: open time (with an index rebuild), memory, first and steady retrieves.

    .venv/bin/python benchmarks/reopen_store.py STORE_DIR [--rebuild]

STORE_DIR is a Kuzu store grown by ``scale.py`` (project "scale", its 50 agents), e.g. one
left behind by a run stopped before its last size. ``--rebuild`` deletes the vector-index
cache first, so the open rebuilds it from the graph (what an unclean stop costs). Each
recipe then answers 100 questions never asked before; the first retrieve of each pays for
whatever is loaded lazily (``first_ms``: ranking rows, the graph matrix). Writes
``benchmarks/results/reopen_store.json``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import latency_summary, print_table, write_results  # noqa: E402
from _synthetic import agents_config, synthetic_questions  # noqa: E402
from scale import DEFAULT_RECIPES, disk_mb, rss_mb  # noqa: E402

from alma_graph import ALMA  # noqa: E402
from alma_graph.indexes.model_loading import load_models  # noqa: E402


class PeakMemory:
    """The process's highest RSS, sampled every half second."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, rss_mb() or 0.0)

    def stop(self) -> float:
        self._stop.set()
        return self.peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--rebuild", action="store_true", help="delete the vector-index cache first")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    load_models(int8=True)  # the models are not the store: loaded before the clock starts
    if args.rebuild:
        shutil.rmtree(args.store / "index", ignore_errors=True)
    agents = agents_config(50)
    rng = random.Random(7)
    readers = [rng.choice(list(agents)) for _ in range(args.queries)]
    memory = PeakMemory()
    started = time.perf_counter()
    alma = ALMA({"project_id": "scale", "storage": "kuzu", "storage_dir": str(args.store), "agents": agents})
    open_s = time.perf_counter() - started
    rss_open = rss_mb()
    memories = alma.stats()["by_kind"]["domain_knowledge"]
    recipes = {}
    for n, recipe in enumerate(DEFAULT_RECIPES):
        questions = synthetic_questions(args.queries, random.Random(7), numbered_from=10_000_000 + n * args.queries)
        samples = []
        for question, reader in zip(questions, readers):
            t = time.perf_counter()
            alma.retrieve(question, reader, top_k=5, recipe=recipe)
            samples.append((time.perf_counter() - t) * 1000)
        recipes[recipe] = {**latency_summary(samples[1:]), "first_ms": round(samples[0], 1)}
    alma.close()
    result = {"memories": memories, "rebuilt": args.rebuild, "open_s": round(open_s, 1),
              "rss_mb": {"after_open": rss_open, "after_retrieves": rss_mb(), "peak": memory.stop()},
              "disk_mb": disk_mb(args.store), "recipes": recipes}
    print_table(["recipe", "first ms", "p50 ms", "p95 ms"],
                [[r, s["first_ms"], s["p50_ms"], s["p95_ms"]] for r, s in recipes.items()],
                title=f"{memories:,} memories: opened in {result['open_s']} s"
                      f"{' (index rebuilt)' if args.rebuild else ''}, RSS {rss_open} MB, peak {result['rss_mb']['peak']} MB")
    write_results("reopen_store", result, args.out)


if __name__ == "__main__":
    main()
