"""What the knowledge service buys: CLI latency in-process vs through `alma-graph serve`,
the first MCP call through the service, and /v1/retrieve throughput with concurrent clients.

On a real on-disk Kuzu store seeded with synthetic facts, with the real models:

1. `alma-graph retrieve` as a fresh process, in-process (loads torch, MiniLM, spaCy, Kuzu each time);
2. the same command with a service running (a thin client: HTTP to the warm process);
3. the first MCP tool call: a fresh `python -m alma_graph.mcp` stdio process (as Claude Code starts
   it) until its first `alma_retrieve` answers — in-process, and relaying to the service; and an
   MCP SDK client over Streamable HTTP straight to the service's /mcp;
4. requests/s of POST /v1/retrieve with 4 concurrent clients (each its own connection).

    .venv/bin/python benchmarks/service_latency.py [--memories 500] [--cli-runs 5] [--thin-runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import latency_summary, print_table, write_results  # noqa: E402

QUERIES = ["Where does the auth service store sessions?", "What does the billing job retry?",
           "Which dashboards monitor the data pipeline?", "How is the checkout page deployed?",
           "What caches results for premium customers?", "Which service reads settings from the secrets vault?"]
SUBJECTS = ["The auth service", "The billing job", "The search index", "The data pipeline", "The checkout page"]
VERBS = ["stores sessions in", "retries failed calls to", "reads its settings from", "caches results in",
         "is monitored by", "is deployed with"]
OBJECTS = ["Redis", "PostgreSQL 15", "Kafka", "Grafana dashboards", "Terraform", "the secrets vault"]


def env() -> dict[str, str]:
    out = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    for name in ("ALMA_GRAPH_URL", "ALMA_GRAPH_TOKEN"):
        out.pop(name, None)
    return out


def seed(folder: Path, n: int) -> Path:
    from alma_graph import ALMA

    config = folder / ".alma" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(yaml.safe_dump({"alma": {"project_id": "bench", "storage": "kuzu", "storage_dir": ".alma"}}))
    rng = random.Random(7)
    with ALMA.from_config(config) as alma:
        alma.add_knowledge_batch([{"agent": "dev", "domain": "infra",
                                   "fact": f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} (note {i})"}
                                  for i in range(n)])
    return config


def cli_retrieve(config: Path, query: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "alma_graph.cli", "retrieve", query, "--agent", "dev", "--json",
                             "--config", str(config)], env=env(), cwd=config.parent.parent, capture_output=True,
                            text=True, timeout=600)
    elapsed = (time.perf_counter() - started) * 1000
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    json.loads(result.stdout)
    return elapsed


def mcp_first_call_stdio(config: Path) -> float:
    """Spawn the stdio server as an editor does; time until the first retrieve answers."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    async def run() -> float:
        started = time.perf_counter()
        params = StdioServerParameters(command=sys.executable, args=["-m", "alma_graph.mcp", "--config", str(config)],
                                       env=env(), cwd=str(config.parent.parent))
        with open(os.devnull, "w") as devnull:
            async with Client(stdio_client(params, errlog=devnull)) as client:
                result = await client.call_tool("alma_retrieve", {"task": QUERIES[0], "agent": "dev"})
                elapsed = (time.perf_counter() - started) * 1000
        assert not result.is_error
        return elapsed

    return asyncio.run(run())


def mcp_first_call_http(url: str) -> float:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def run() -> float:
        started = time.perf_counter()
        async with Client(streamable_http_client(f"{url}/mcp", http_client=httpx2.AsyncClient(timeout=120))) as client:
            result = await client.call_tool("alma_retrieve", {"task": QUERIES[1], "agent": "dev"})
            elapsed = (time.perf_counter() - started) * 1000
        assert not result.is_error
        return elapsed

    return asyncio.run(run())


def start_service(config: Path) -> tuple[subprocess.Popen, dict, float]:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "alma_graph.cli", "serve", "--config", str(config)], env=env(),
                               cwd=config.parent.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    discovery = config.parent / "service.json"
    while time.perf_counter() - started < 600:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read())
        try:
            info = json.loads(discovery.read_text())
            if info["state"] == "ready":
                return process, info, time.perf_counter() - started
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise TimeoutError("the service did not start")


def throughput(url: str, clients: int, seconds: float) -> dict:
    import httpx

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(index: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            i = index
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                response = http.post("/v1/retrieve", json={"task": QUERIES[i % len(QUERIES)], "agent": "dev"})
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if response.status_code == 200:
                        latencies.append(elapsed)
                    else:
                        errors[0] += 1
                i += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return {"clients": clients, "seconds": round(wall, 2), "requests": len(latencies), "errors": errors[0],
            "requests_per_s": round(len(latencies) / wall, 1), **latency_summary(latencies)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=500)
    parser.add_argument("--cli-runs", type=int, default=5, help="in-process CLI runs (each loads the models)")
    parser.add_argument("--thin-runs", type=int, default=30, help="CLI runs through the service")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--out", type=Path, default=None, help="results file (default benchmarks/results/)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="alma-service-bench-") as tmp:
        config = seed(Path(tmp), args.memories)
        print(f"seeded {args.memories} memories; in-process CLI x{args.cli_runs} ...", flush=True)
        in_process = [cli_retrieve(config, QUERIES[i % len(QUERIES)]) for i in range(args.cli_runs)]
        mcp_in_process = mcp_first_call_stdio(config)

        process, info, startup = start_service(config)
        try:
            url = info["url"]
            cli_retrieve(config, QUERIES[0])  # the first thin call (the OS caches the Python files)
            thin = [cli_retrieve(config, QUERIES[i % len(QUERIES)]) for i in range(args.thin_runs)]
            mcp_proxy = mcp_first_call_stdio(config)
            mcp_http = mcp_first_call_http(url)
            load = throughput(url, args.clients, args.seconds)
        finally:
            process.terminate()
            process.wait(120)

    cli_local, cli_thin = latency_summary(in_process), latency_summary(thin)
    speedup = round(cli_local["p50_ms"] / cli_thin["p50_ms"], 1)
    print_table(["path", "n", "p50 ms", "p95 ms"], [
        ["CLI retrieve, in-process", cli_local["n"], cli_local["p50_ms"], cli_local["p95_ms"]],
        ["CLI retrieve, through the service", cli_thin["n"], cli_thin["p50_ms"], cli_thin["p95_ms"]],
    ], title=f"CLI latency (fresh process per call; {args.memories} memories): {speedup}x faster at p50")
    print_table(["first MCP call", "ms"], [
        ["stdio server, in-process (spawn -> first alma_retrieve)", round(mcp_in_process)],
        ["stdio server relaying to the service", round(mcp_proxy)],
        ["Streamable HTTP client -> service /mcp", round(mcp_http)],
    ], title=f"MCP first-call latency (service startup with warm-up: {startup:.1f} s)")
    print_table(["clients", "requests", "errors", "req/s", "p50 ms", "p95 ms"], [
        [load["clients"], load["requests"], load["errors"], load["requests_per_s"], load["p50_ms"], load["p95_ms"]],
    ], title=f"POST /v1/retrieve throughput over {load['seconds']} s")
    write_results("service_latency", {
        "memories": args.memories, "cpu_count": os.cpu_count(), "load_average_at_end": os.getloadavg(),
        "cli_in_process": cli_local, "cli_through_service": cli_thin, "cli_speedup_p50": speedup,
        "mcp_first_call_ms": {"stdio_in_process": round(mcp_in_process, 1), "stdio_relay_to_service": round(mcp_proxy, 1),
                              "http_to_service": round(mcp_http, 1)},
        "service_startup_s": round(startup, 2), "retrieve_throughput": load,
    }, args.out)


if __name__ == "__main__":
    main()
