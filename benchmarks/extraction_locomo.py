"""Entity, relation and concept extraction on the LoCoMo conversations.

Runs EntityExtractor.extract_batch over every turn of every
../shared/data/locomo/conv-*.json, beside the checkout (one extractor per conversation, with
the two speakers as known PERSON names), in three input modes:

    plain    the turn text as is
    prefix   "Speaker: text"
    speaker  the turn text, with speakers=[...] so "I"/"me" resolve to the speaker

Prints a table per mode and writes benchmarks/results/extraction_locomo.json
with counts, throughput, example relations and seeded random samples of
entities and relations for hand checking (ids and dia_ids only, no turn text).  Hand judgements, if given with
--judgements (JSON: {"entities": {id: true/false}, "non_speaker_entities":
{...}, "relations": {...}, "concept_links": {...}}),
are folded into precision figures.  The data is read in place, never copied.

    python benchmarks/extraction_locomo.py [--data DIR] [--mode speaker] [--judgements F]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import sys
import time
from pathlib import Path
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from alma_graph.extractors import EntityExtractor, load_nlp  # noqa: E402

MODES = ("plain", "prefix", "speaker")
HERE = os.path.dirname(os.path.abspath(__file__))


def load_conversations(data_dir: str) -> list[dict]:
    convs = []
    for path in sorted(glob.glob(os.path.join(data_dir, "conv-*.json"))):
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
        conv = raw.get("conversation", raw)  # full LoCoMo records nest it
        turns = []
        n = 1
        while f"session_{n}" in conv:
            turns += [t for t in conv[f"session_{n}"] if t.get("text")]
            n += 1
        convs.append(
            {
                "id": os.path.splitext(os.path.basename(path))[0],
                "speakers": [conv["speaker_a"], conv["speaker_b"]],
                "turns": turns,
            }
        )
    return convs


def run_mode(convs: list[dict], mode: str, batch_size: int) -> dict:
    rows = []  # (conv id, dia_id, speaker, text, Extraction)
    speaker_keys = set()  # (conv id, norm_name) of the two speakers
    elapsed = 0.0
    n_texts = 0
    for conv in convs:
        ex = EntityExtractor(known_names={s: "PERSON" for s in conv["speakers"]})
        turns = conv["turns"]
        speaker_keys |= {(conv["id"], s.casefold()) for s in conv["speakers"]}
        if mode == "prefix":
            texts = [f"{t['speaker']}: {t['text']}" for t in turns]
        else:
            texts = [t["text"] for t in turns]
        speakers = [t["speaker"] for t in turns] if mode == "speaker" else None
        t0 = time.perf_counter()
        results = ex.extract_batch(texts, batch_size=batch_size, speakers=speakers)
        elapsed += time.perf_counter() - t0
        n_texts += len(texts)
        rows += [(conv["id"], t["dia_id"], t["speaker"], t["text"], r) for t, r in zip(turns, results)]

    ent_mentions = [(row, e) for row in rows for e in row[4].entities]
    concept_links = [(row, c) for row in rows for c in row[4].concepts]
    unique_concepts = {(row[0], c.norm_name) for row, c in concept_links}
    rel_mentions = [(row, r) for row in rows for r in row[4].relations]
    by_type = Counter(e.type for _, e in ent_mentions)
    by_pred = Counter(r.predicate for _, r in rel_mentions)
    unique_ents = {(row[0], e.norm_name) for row, e in ent_mentions}
    unique_rels = {(row[0], r.subject.norm_name, r.predicate, r.object.norm_name) for row, r in rel_mentions}
    return {
        "mode": mode,
        "texts": n_texts,
        "texts_with_entity": sum(1 for row in rows if row[4].entities),
        "entity_mentions": len(ent_mentions),
        "unique_entities_per_conv": len(unique_ents),
        "entities_by_type": dict(by_type.most_common()),
        "relation_mentions": len(rel_mentions),
        "unique_relations_per_conv": len(unique_rels),
        "top_predicates": dict(by_pred.most_common(25)),
        "concept_links": len(concept_links),
        "unique_concepts_per_conv": len(unique_concepts),
        "first_person_concept_links": sum(1 for _, c in concept_links if c.speaker),
        "per_1000_turns": {"entities": round(1000 * len(unique_ents) / max(n_texts, 1), 1),
                           "concepts": round(1000 * len(unique_concepts) / max(n_texts, 1), 1),
                           "relations": round(1000 * len(unique_rels) / max(n_texts, 1), 1),
                           "concept_links": round(1000 * len(concept_links) / max(n_texts, 1), 1)},
        "seconds": round(elapsed, 2),
        "texts_per_second": round(n_texts / elapsed, 1) if elapsed else None,
        "_ents": ent_mentions,
        "_rels": rel_mentions,
        "_concepts": concept_links,
        # Most mentions are the two speakers addressing each other; the other
        # entities are sampled separately so the hand check sees them.
        "_other_ents": [(row, e) for row, e in ent_mentions if (row[0], e.norm_name) not in speaker_keys],
    }


def _ent_item(i: int, row, e, prefix: str = "e") -> dict:
    return {"id": f"{prefix}{i}", "conv": row[0], "dia_id": row[1], "speaker": row[2], "text": row[3],
            "name": e.name, "norm_name": e.norm_name, "type": e.type}


def _rel_item(i: int, row, r) -> dict:
    return {"id": f"r{i}", "conv": row[0], "dia_id": row[1], "speaker": row[2], "text": row[3],
            "relation": [f"{r.subject.name} ({r.subject.type})", r.predicate, f"{r.object.name} ({r.object.type})"]}


def _concept_item(i: int, row, c) -> dict:
    return {"id": f"c{i}", "conv": row[0], "dia_id": row[1], "speaker": row[2], "text": row[3],
            "concept": c.name, "mention": c.mention, "owner": c.speaker}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "locomo"))
    ap.add_argument("--mode", choices=MODES, default="speaker", help="mode whose samples are reported")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--sample", type=int, default=30)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--judgements", help="JSON with hand judgements of the samples")
    ap.add_argument("--show-samples", action="store_true", help="print the samples with their turn text")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "extraction_locomo.json"))
    args = ap.parse_args(argv)

    convs = load_conversations(args.data)
    if not convs:
        print(f"no conv-*.json under {args.data}", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    load_nlp()
    load_s = time.perf_counter() - t0

    results = {m: run_mode(convs, m, args.batch_size) for m in MODES}

    cols = ["mode", "texts", "texts_with_entity", "entity_mentions", "unique_entities_per_conv",
            "relation_mentions", "unique_relations_per_conv", "concept_links", "unique_concepts_per_conv",
            "seconds", "texts_per_second"]
    print(f"model load: {load_s:.2f} s   conversations: {len(convs)}")
    print(" | ".join(cols))
    for m in MODES:
        print(" | ".join(str(results[m][c]) for c in cols))
    for m in MODES:
        print(f"\n[{m}] entities by type: {results[m]['entities_by_type']}")
        print(f"[{m}] top predicates: {dict(list(results[m]['top_predicates'].items())[:12])}")
        print(f"[{m}] distinct per 1,000 turns: {results[m]['per_1000_turns']}")

    chosen = results[args.mode]
    rng = random.Random(args.seed)
    ents, rels = chosen["_ents"], chosen["_rels"]
    ent_sample = [_ent_item(i, *ents[j]) for i, j in enumerate(sorted(rng.sample(range(len(ents)), min(args.sample, len(ents)))))]
    others = chosen["_other_ents"]
    other_sample = [_ent_item(i, *others[j], prefix="n") for i, j in enumerate(sorted(rng.sample(range(len(others)), min(args.sample, len(others)))))]
    rel_sample = [_rel_item(i, *rels[j]) for i, j in enumerate(sorted(rng.sample(range(len(rels)), min(args.sample, len(rels)))))]
    concepts = chosen["_concepts"]
    concept_sample = [_concept_item(i, *concepts[j])
                      for i, j in enumerate(sorted(rng.sample(range(len(concepts)), min(args.sample, len(concepts)))))]
    # Examples: the first relation of 15 evenly spaced turns that have one.
    step = max(1, len(rels) // 15)
    examples = [_rel_item(i, *rels[j]) for i, j in enumerate(range(0, len(rels), step))][:15]

    print(f"\n15 example relations ({args.mode}):")
    for item in examples:
        s, p, o = item["relation"]
        print(f"  {item['dia_id']:>7} {s} -[{p}]-> {o}    | {item['text'][:90]}")

    hand = None
    if args.judgements:
        with open(args.judgements, encoding="utf-8") as fh:
            judged = json.load(fh)
        hand = {}
        for kind, sample in (("entities", ent_sample), ("non_speaker_entities", other_sample), ("relations", rel_sample),
                             ("concept_links", concept_sample)):
            marks = judged.get(kind, {})
            ok = [bool(marks[it["id"]]) for it in sample if it["id"] in marks]
            for it in sample:
                if it["id"] in marks:
                    it["correct"] = bool(marks[it["id"]])
            hand[kind] = {"judged": len(ok), "correct": sum(ok),
                          "precision": round(sum(ok) / len(ok), 3) if ok else None}
        print(f"\nhand check ({args.mode}): {hand}")

    if args.show_samples:
        for title, sample in (("entities", ent_sample), ("non_speaker_entities", other_sample), ("relations", rel_sample),
                              ("concept_links", concept_sample)):
            print(f"\n{title} sample ({args.mode}):")
            for it in sample:
                what = it.get("relation") or (f"[{it['concept']}] owner={it['owner']}" if "concept" in it
                                              else f"{it['name']} ({it['type']})")
                print(f"  {it['id']:>4} {it['dia_id']:>7} {what}    | {it['speaker']}: {it['text']}")

    # Turn texts stay out of the results file (the data is not ours to copy):
    # items point at (conv, dia_id) instead.
    for item in ent_sample + other_sample + rel_sample + concept_sample + examples:
        item.pop("text", None)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    payload = {
        "data": args.data,
        "conversations": [c["id"] for c in convs],
        "model_load_seconds": round(load_s, 2),
        "batch_size": args.batch_size,
        "modes": {m: {k: v for k, v in r.items() if not k.startswith("_")} for m, r in results.items()},
        "reported_mode": args.mode,
        "example_relations": examples,
        "entity_sample": ent_sample,
        "non_speaker_entity_sample": other_sample,
        "relation_sample": rel_sample,
        "concept_link_sample": concept_sample,
        "hand_check": hand,
    }
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, indent=1, ensure_ascii=False)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
