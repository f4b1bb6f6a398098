"""Two application processes on one Neo4j project see each other's writes.

With the server's own indexes (the default) both search the same indexes; with
``retrieval.indexes: local`` each process keeps its own FAISS index and must follow
the graph's write generation, including when it writes itself right after the
other one did (its own bump must not hide the other's write).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid

import pytest
from conftest import BACKENDS

pytestmark = pytest.mark.skipif("neo4j" not in BACKENDS, reason="Neo4j backend not selected")

# A long-lived worker: one JSON command per stdin line, one JSON answer per stdout line.
WORKER = textwrap.dedent("""
    import json, sys
    from alma_graph import ALMA

    settings = json.loads(sys.argv[1])
    alma = ALMA(settings)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "add":
            memory = alma.add_knowledge("qa", "testing", cmd["fact"])
            answer = {"id": memory.id}
        elif cmd["op"] == "retrieve":
            facts = alma.retrieve(cmd["query"], "qa", top_k=10).domain_knowledge
            answer = {"facts": sorted(k.fact for k in facts)}
        else:
            break
        print(json.dumps(answer), flush=True)
    alma.close()
""")

QUERY = "What do we know about the login form?"


class Worker:
    def __init__(self, settings: dict):
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(settings)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_ready(self) -> None:
        assert self._read() == {"ready": True}

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"worker died: {self.proc.wait(30)} {self.proc.stderr.read()}")
        return json.loads(line)

    def ask(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "stop"}) + "\n")
                self.proc.stdin.close()
                self.proc.wait(60)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


@pytest.mark.parametrize("indexes", ["server", "local"])
def test_two_processes_see_each_others_writes_without_a_stale_index(neo4j_server, tmp_path, indexes):
    project = f"t{uuid.uuid4().hex[:12]}"
    settings = {"storage": "neo4j", "project_id": project, "retrieval": {"indexes": indexes},
                "neo4j": {"uri": neo4j_server.uri, "user": neo4j_server.user, "password": neo4j_server.password}}
    a = Worker({**settings, "storage_dir": str(tmp_path / "a")})
    b = Worker({**settings, "storage_dir": str(tmp_path / "b")})
    try:
        a.wait_ready()
        b.wait_ready()
        assert b.ask(op="retrieve", query=QUERY)["facts"] == []  # B has built its (empty) index

        first = "The login form locks the account after five failed attempts"
        a.ask(op="add", fact=first)
        assert b.ask(op="retrieve", query=QUERY)["facts"] == [first]

        second = "The login form trims spaces around the email address"
        b.ask(op="add", fact=second)
        assert a.ask(op="retrieve", query=QUERY)["facts"] == sorted([first, second])

        # Both write before either reads: the second writer's own bump must not
        # make its index look current while it lacks the first writer's memory.
        third, fourth = "The login form shows a captcha after three failures", "The login form remembers the user for 30 days"
        a.ask(op="add", fact=third)
        b.ask(op="add", fact=fourth)
        everything = sorted([first, second, third, fourth])
        assert b.ask(op="retrieve", query=QUERY)["facts"] == everything
        assert a.ask(op="retrieve", query=QUERY)["facts"] == everything
    finally:
        a.stop()
        b.stop()
