"""Synthetic stores shared by the latency and scale benchmarks: facts about
services, 50 agents (each junior inherits from a senior) and questions about them,
so every retrieve runs the visibility traversal and a restricted search, as in use."""

from __future__ import annotations

import os
import random
import uuid

SUBJECTS = ["The auth service", "The billing job", "The search index", "The mobile app", "The data pipeline",
            "The checkout page", "The admin panel", "The notification worker", "The payments API", "The CI runner"]
VERBS = ["stores sessions in", "retries failed calls to", "reads its settings from", "logs every request to",
         "depends on", "is deployed with", "caches results in", "is monitored by", "exports metrics to", "is tested with"]
OBJECTS = ["Redis", "PostgreSQL 15", "an S3 bucket", "Kafka", "Grafana dashboards", "Terraform", "a cron schedule",
           "the feature flag service", "Playwright", "a blue-green deploy", "Elasticsearch", "the secrets vault"]
QUALIFIERS = ["since the March migration", "in the EU region", "for premium customers", "during nightly batches",
              "after the outage review", "behind a circuit breaker", "with a five second timeout", "in staging only"]


def synthetic_facts(n: int, rng: random.Random, start: int = 0) -> list[str]:
    """``n`` distinct facts, numbered from ``start`` (so a store can grow without repeats)."""
    return [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(QUALIFIERS)} (note {i})"
            for i in range(start, start + n)]


def synthetic_questions(n: int, rng: random.Random, numbered_from: int | None = None) -> list[str]:
    """``n`` questions; numbered ones ("... (ticket 12)") never repeat, so no cache of
    queries or their vectors answers a timed question from an earlier one."""
    questions = [f"What does {rng.choice(SUBJECTS).lower()} use for {rng.choice(OBJECTS)}?" for _ in range(n)]
    if numbered_from is None:
        return questions
    return [f"{question} (ticket {numbered_from + i})" for i, question in enumerate(questions)]


def agents_config(count: int) -> dict:
    seniors = [f"senior_{i}" for i in range(count // 2)]
    config: dict = {name: {} for name in seniors}
    config.update({f"junior_{i}": {"inherit_from": [seniors[i]]} for i in range(count // 2)})
    return config


def server_settings(storage: str) -> dict:
    """Neo4j connection from the environment, and a project of its own (a server keeps earlier runs)."""
    if storage != "neo4j":
        return {}
    return {"project_id": f"bench-{uuid.uuid4().hex[:8]}",
            "neo4j": {"uri": os.environ.get("NEO4J_URI", "bolt://localhost:7687"),
                      "user": os.environ.get("NEO4J_USER", "neo4j"), "password": os.environ.get("NEO4J_PASSWORD")}}
