"""The web viewer's first view on a 10,000-memory store, in a real browser.

Builds an on-disk Kuzu store of N memories over 50 agents (as retrieve_latency.py
does), serves it with ``alma-graph serve``, and in headless chromium (Debian's, via
Playwright) signs in with a client token and times, from the click on "Sign in", until
the agents, the counts and the graph are on the page. Each run is a fresh page (no cache).

    .venv/bin/python benchmarks/viewer_first_view.py [--size 10000] [--runs 10] [--token-scope all|one] [--store DIR]

``--store DIR`` keeps the built store there and reuses it on the next run. Each route the
first view calls is also timed on its own (httpx, 10 calls each).

``--token-scope one`` signs in with a client limited to one agent instead of every agent.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _common import latency_summary, print_table, write_results  # noqa: E402
from browser_support import CHROMIUM, RunningService  # noqa: E402
from retrieve_latency import agents_config, synthetic_facts  # noqa: E402

from alma_graph import ALMA  # noqa: E402


def build_store(directory: Path, size: int, agents: dict) -> float:
    rng = random.Random(7)
    names = list(agents)
    started = time.perf_counter()
    with ALMA({"project_id": "viewer-bench", "storage": "kuzu", "storage_dir": str(directory / "store"),
               "agents": agents}) as alma:
        facts = synthetic_facts(size, rng)
        for chunk in range(0, size, 2000):
            alma.add_knowledge_batch([{"agent": rng.choice(names), "domain": "systems", "fact": fact}
                                      for fact in facts[chunk:chunk + 2000]])
    return time.perf_counter() - started


def first_views(url: str, token: str, runs: int) -> tuple[list[float], dict]:
    from playwright.sync_api import sync_playwright

    samples, seen = [], {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1500, "height": 950})
            page = context.new_page()
            page.goto(f"{url}/ui/")
            page.fill("#token", token)
            started = time.perf_counter()
            page.click("#sign-in-button")
            page.wait_for_function("() => Number(document.getElementById('graph').dataset.nodes || 0) > 0"
                                   " && document.querySelector('#counts tr') && document.querySelector('#agents li')")
            samples.append((time.perf_counter() - started) * 1000)
            seen = {"graph_nodes": int(page.get_attribute("#graph", "data-nodes")),
                    "agents_listed": page.locator("#agents li").count(),
                    "memories_counted": sum(int(t) for t in page.locator("#counts-by-kind td:nth-child(2)").all_inner_texts())}
            context.close()
        browser.close()
    return samples, seen


def route_timings(url: str, token: str, agent: str, calls: int = 10) -> dict:
    """Server time of each request of the first view, alone (p50 over ``calls``)."""
    import httpx

    routes = {"GET /v1/agents": "/v1/agents", "GET /v1/stats": "/v1/stats",
              "GET /v1/graph (overview)": f"/v1/graph?agent={agent}"}
    out = {}
    with httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}, timeout=60) as http:
        for name, path in routes.items():
            samples = []
            for _ in range(calls):
                started = time.perf_counter()
                http.get(path).raise_for_status()
                samples.append((time.perf_counter() - started) * 1000)
            out[name] = latency_summary(samples)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--token-scope", choices=["all", "one"], default="all")
    parser.add_argument("--store", type=Path, help="Keep the built store in this folder (reused when present).")
    args = parser.parse_args()
    agents = agents_config(50)
    with tempfile.TemporaryDirectory(prefix="alma-viewer-bench-") as tmp:
        directory = args.store or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        built = directory / f"built-{args.size}"
        load_s = 0.0
        if not built.exists():
            load_s = build_store(directory, args.size, agents)
            built.touch()
        token = secrets.token_hex(16)
        scope = ["*"] if args.token_scope == "all" else ["junior_0"]
        config = directory / "config.yaml"
        config.write_text(yaml.safe_dump({"alma": {
            "project_id": "viewer-bench", "storage": "kuzu", "storage_dir": str(directory / "store"), "agents": agents,
            "server": {"clients": {"viewer": {"token": "${VIEWER_BENCH_TOKEN}", "agents": scope, "users": ["*"]}}}}}))
        service = RunningService(config, {"VIEWER_BENCH_TOKEN": token})
        try:
            samples, seen = first_views(service.url, token, args.runs)
            routes = route_timings(service.url, token, "junior_0")
        finally:
            service.stop()
    summary = latency_summary(samples)
    print_table(["memories", "client", "runs", "p50 ms", "p95 ms", "graph nodes", "agents", "memories counted"],
                [[args.size, args.token_scope, len(samples), summary["p50_ms"], summary["p95_ms"], seen["graph_nodes"],
                  seen["agents_listed"], seen["memories_counted"]]],
                title="Web viewer: sign-in click to agents + counts + graph drawn (headless chromium)")
    print_table(["route", "p50 ms", "p95 ms"], [[name, t["p50_ms"], t["p95_ms"]] for name, t in routes.items()],
                title="The first view's requests, each alone")
    write_results(f"viewer_first_view_{args.token_scope}", {
        "size": args.size, "token_scope": args.token_scope, "load_seconds": round(load_s, 1),
        "first_view": summary, "routes": routes, "page": seen})


if __name__ == "__main__":
    main()
