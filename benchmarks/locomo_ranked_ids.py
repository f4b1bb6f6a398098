"""Ranked results of every LoCoMo development question for every built-in recipe, as JSON.

A regression check for refactors: run it before and after a change and compare the
files; identical output means the ranker returns the same memories in the same
order with the same scores. Memory UUIDs are random per store, so each result is
named by its turn's dia_id (unique within a conversation) and carries its score.

    .venv/bin/python benchmarks/locomo_ranked_ids.py --out /tmp/before.json
    .venv/bin/python benchmarks/locomo_ranked_ids.py --out /tmp/after.json --compare /tmp/before.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import RECIPES, add_batch, metadata_of, open_store, retrieve  # noqa: E402
from locomo import AGENT, DEFAULT_DATA, TOP_K, _project_id, load_locomo, turn_items  # noqa: E402


def ranked_ids(data: Sequence[str], recipes: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for conv in load_locomo(data):
        scored = [q for q in conv.questions if q.excluded is None]
        with tempfile.TemporaryDirectory(prefix="alma-locomo-ids-") as directory:
            alma = open_store(_project_id(conv.id), directory)
            try:
                add_batch(alma, turn_items(conv))
                per_question = {}
                for q in scored:
                    per_recipe = {}
                    for recipe in recipes:
                        result = retrieve(alma, q.question, AGENT, TOP_K, recipe)
                        per_recipe[recipe] = [[str(metadata_of(m).get("dia_id", "")), round(m.score, 9)]
                                              for m in result.domain_knowledge]
                    per_question[str(q.index)] = per_recipe
                out[conv.id] = per_question
            finally:
                alma.close()
        print(f"  {conv.id}: {len(scored)} questions × {len(recipes)} recipes", flush=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=[DEFAULT_DATA])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES))
    parser.add_argument("--out", required=True)
    parser.add_argument("--compare", default=None, help="an earlier output to compare with")
    args = parser.parse_args(argv)
    payload = ranked_ids(args.data, args.recipes)
    Path(args.out).write_text(json.dumps(payload, indent=1, sort_keys=True))
    if args.compare is None:
        return 0
    before = json.loads(Path(args.compare).read_text())
    differing = [(c, q, r) for c in before for q in before[c] for r in before[c][q]
                 if payload.get(c, {}).get(q, {}).get(r) != before[c][q][r]]
    total = sum(len(before[c][q]) for c in before for q in before[c])
    print(f"{total - len(differing)} of {total} (question, recipe) rankings identical")
    for c, q, r in differing[:10]:
        print(f"  differs: {c} qa {q} {r}")
    return 1 if differing or set(payload) != set(before) else 0


if __name__ == "__main__":
    raise SystemExit(main())
