"""The side-by-side workload: the same facts, queries and lessons for alma_graph and ALMA.

Plain Python only (no alma_graph import): the ALMA side imports it from its own venv.
Facts are one agent's domain knowledge — "The <service> <fails / is slow ...> when
<condition> (case i)" — and each query asks why one service fails under one condition,
so a right answer exists among many near-duplicates.
"""

from __future__ import annotations

import random

SERVICES = ["auth service", "billing job", "search index", "mobile app", "data pipeline", "checkout page",
            "admin panel", "notification worker", "payments API", "CI runner", "report builder", "image resizer",
            "email gateway", "cache warmer", "feature flag service", "audit logger"]
SYMPTOMS = ["fails", "is slow", "times out", "returns stale data", "drops requests", "runs out of memory",
            "logs duplicate events", "stops retrying"]
CONDITIONS = ["the Redis cluster fails over", "PostgreSQL 15 runs a vacuum", "the S3 bucket is throttled",
              "Kafka lags behind", "a Terraform apply is running", "the secrets vault rotates keys",
              "the nightly batch starts", "traffic doubles on Black Friday", "the EU region is degraded",
              "the cron schedule overlaps", "Elasticsearch reindexes", "a blue-green deploy switches over",
              "the certificate expires", "the DNS cache is cold", "Grafana alerts fire", "Playwright tests run"]
LESSONS = [("Rotate the database credentials", "Use the vault rotation job"),
           ("Deploy the billing job", "Blue-green deploy with a smoke test"),
           ("Fix the flaky checkout test", "Pin the browser version in Playwright"),
           ("Speed up the search index rebuild", "Reindex in parallel shards"),
           ("Recover from the Kafka lag", "Scale the consumer group first")]

AGENT, DOMAIN = "dev", "operations"


def facts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [f"The {rng.choice(SERVICES)} {rng.choice(SYMPTOMS)} when {rng.choice(CONDITIONS)} (case {i})"
            for i in range(n)]


def queries(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return [f"Why does the {rng.choice(SERVICES)} fail when {rng.choice(CONDITIONS)}?" for _ in range(n)]


def lessons(n: int) -> list[tuple[str, str, bool]]:
    """(task, strategy, success) for ``learn``; repeated lessons exercise reinforcement."""
    return [(f"{task} (run {i})", strategy, i % 4 != 3) for i, (task, strategy) in
            ((i, LESSONS[i % len(LESSONS)]) for i in range(n))]
