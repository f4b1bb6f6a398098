"""Issue #12: nothing acknowledged is lost to kill -9. A child process writes in batches and
prints each acknowledged id; it is killed (SIGKILL) at random points, several times; every
acknowledged id is then in the reopened store, retrievable, and the indexes match the graph."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from alma_graph import ALMA

from index_checks import assert_indexes_match_graph

KILLS = 4

CHILD = textwrap.dedent("""
    import sys
    from alma_graph import ALMA
    run = int(sys.argv[2])
    alma = ALMA.quickstart(sys.argv[1], project_id="k9")
    print("READY", flush=True)
    for n in range(10_000):
        ids = [f"r{run}-b{n}-{i}" for i in range(4)]
        alma.add_knowledge_batch([{"agent": "qa", "domain": "ops", "id": memory_id,
                                   "fact": f"Run {run} batch {n} item {i}: service {n * 4 + i} restarts cleanly"}
                                  for i, memory_id in enumerate(ids)])
        for memory_id in ids:
            print("ACK", memory_id, flush=True)
        outcome = alma.learn("qa", f"Deploy service {n} in run {run}", n % 3 != 0, "Blue-green deploy",
                             task_type="ops")
        print("ACK", outcome.id, flush=True)
""")


def _complete_acks(output: str) -> list[str]:
    """The ids of whole "ACK id" lines: the kill can cut the last line short, and a cut line was never
    an acknowledgment (the reader could not have acted on it)."""
    lines = output.splitlines(keepends=True)
    return [line.split()[1] for line in lines if line.endswith("\n") and len(line.split()) == 2 and line.startswith("ACK ")]


@pytest.mark.kuzu_only
def test_no_acknowledged_write_is_lost_to_kill_9(tmp_path, embedder, backend, capsys):
    rng = random.Random(9)
    directory = tmp_path / "store"
    acknowledged: list[str] = []
    for run in range(KILLS):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(directory), str(run)], stdout=subprocess.PIPE,
                                 text=True, env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
        assert child.stdout.readline().strip() == "READY"
        wanted = rng.randint(3, 30)
        seen = 0
        while seen < wanted:
            line = child.stdout.readline()
            assert line, "the child stopped writing"
            acknowledged.append(line.split()[1])
            seen += 1
        time.sleep(rng.uniform(0, 0.4))  # somewhere inside the next batch, embedding or commit
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=60)
        acknowledged += _complete_acks(rest)
        assert child.returncode == -signal.SIGKILL

    with ALMA.quickstart(directory, project_id="k9", embedder=embedder) as alma:
        stored = {r["id"]: r for r in alma.store.get_memories(acknowledged)}
        lost = sorted(set(acknowledged) - set(stored))
        checked = assert_indexes_match_graph(alma)
        for memory_id in rng.sample(acknowledged, 8):  # retrievable, by its own text
            found = alma.retrieve(stored[memory_id]["text"], "qa", only_ids=[memory_id], top_k=1)
            assert [m.id for m in found.all()] == [memory_id]
    with capsys.disabled():
        print(f"\nkill -9: {KILLS} kills, {len(acknowledged)} acknowledged writes, {len(lost)} lost, "
              f"{checked} memories in the graph, indexes consistent")
    assert lost == []
