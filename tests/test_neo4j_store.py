"""What only the Neo4j server store promises: clear connection errors, the
schema it creates on open, kind labels for Browser, aware datetimes, and a
write generation that concurrent processes cannot lose."""

from __future__ import annotations

import socket
import uuid
from datetime import datetime, timezone

import pytest
from conftest import BACKENDS

from alma_graph import ALMA, StorageError
from alma_graph.config import Neo4jConfig
from alma_graph.models import MemoryKind
from alma_graph.queries.neo4j import KIND_LABELS

pytestmark = pytest.mark.skipif("neo4j" not in BACKENDS, reason="Neo4j backend not selected")


@pytest.fixture
def settings(neo4j_server, tmp_path):
    return {"storage": "neo4j", "project_id": f"t{uuid.uuid4().hex[:12]}", "storage_dir": str(tmp_path / "store"),
            "neo4j": {"uri": neo4j_server.uri, "user": neo4j_server.user, "password": neo4j_server.password}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_wrong_password_is_a_storage_error_that_names_the_server_and_the_fix(settings, embedder):
    settings["neo4j"]["password"] = "not-the-password"
    with pytest.raises(StorageError) as info:
        ALMA(settings, embedder=embedder)
    message = str(info.value)
    assert settings["neo4j"]["uri"] in message
    assert "alma.neo4j.password" in message and "'neo4j'" in message


def test_an_unreachable_server_is_a_storage_error_that_says_what_to_check(settings, embedder):
    settings["neo4j"]["uri"] = f"bolt://127.0.0.1:{_free_port()}"
    with pytest.raises(StorageError) as info:
        ALMA(settings, embedder=embedder)
    message = str(info.value)
    assert settings["neo4j"]["uri"] in message
    assert "cannot reach" in message and "neo4j_local" in message


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", "localhost:7687"])
def test_a_uri_that_is_not_bolt_is_a_storage_error(settings, embedder, uri):
    settings["neo4j"]["uri"] = uri
    with pytest.raises(StorageError, match="bolt://host:7687"):
        ALMA(settings, embedder=embedder)


def test_an_unknown_database_is_a_storage_error(settings, embedder):
    settings["neo4j"]["database"] = "nosuchdb"
    with pytest.raises(StorageError, match="no database 'nosuchdb'"):
        ALMA(settings, embedder=embedder)


def test_password_comes_from_the_environment(settings, embedder, monkeypatch, neo4j_server):
    monkeypatch.setenv("ALMA_TEST_NEO4J_PASSWORD", neo4j_server.password)
    settings["neo4j"]["password"] = "${ALMA_TEST_NEO4J_PASSWORD}"
    with ALMA(settings, embedder=embedder) as alma:
        assert alma.stats()["location"] == f"{neo4j_server.uri} (database neo4j)"


def test_constraints_and_indexes_exist_and_keys_are_unique(settings, embedder):
    with ALMA(settings, embedder=embedder) as alma:
        rows = alma.store.run("SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type")
        unique = {(r["labelsOrTypes"][0], r["properties"][0]) for r in rows if r["type"] == "UNIQUENESS"}
        assert {("Agent", "key"), ("User", "key"), ("Memory", "id"), ("Task", "key"), ("Entity", "key"),
                ("Meta", "key")} <= unique
        indexed = {(r["labelsOrTypes"][0], r["properties"][0])
                   for r in alma.store.run("SHOW INDEXES YIELD labelsOrTypes, properties WHERE labelsOrTypes IS NOT NULL")}
        assert {("Memory", "project_id"), ("Memory", "agent"), ("Memory", "kind")} <= indexed

        fact = alma.add_knowledge("qa", "testing", "The login form locks after five attempts")
        with pytest.raises(StorageError, match="ConstraintValidationFailed"):
            alma.store.run("CREATE (:Memory {id: $id})", {"id": fact.id})


def test_every_memory_carries_its_kind_as_a_second_label(settings, embedder):
    settings["agents"] = {"qa": {"min_occurrences_for_heuristic": 2}}
    with ALMA(settings, embedder=embedder) as alma:
        for _ in range(2):
            alma.learn("qa", "Test the login form", True, "Boundary values on every field", task_type="forms")
            alma.learn("qa", "Deploy the billing job", False, "Deploy on Friday evening", task_type="deploys",
                       error_message="Nobody was around when it failed")
        alma.add_knowledge("qa", "forms", "Emails longer than 254 characters are rejected")
        alma.add_preference("dana", "reports", "Failing cases first")
        alma.add_anti_pattern("qa", "Fixed sleeps", "Flaky on slow CI", "Wait for the element")
        rows = alma.store.run(
            "MATCH (m:Memory) WHERE m.project_id = $p RETURN m.kind AS kind, labels(m) AS labels",
            {"p": alma.config.project_id})
        assert {r["kind"] for r in rows} == {k.value for k in MemoryKind}
        for row in rows:
            assert sorted(row["labels"]) == sorted(["Memory", KIND_LABELS[row["kind"]]])


def test_datetimes_come_back_timezone_aware(settings, embedder):
    with ALMA(settings, embedder=embedder) as alma:
        when = datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=timezone.utc)
        memory = alma.add_knowledge("qa", "testing", "A dated fact", timestamp=when)
        [row] = alma.store.get_memories([memory.id])
        assert row["occurred_at"] == when and row["occurred_at"].tzinfo is not None
        assert row["created_at"].tzinfo is not None


def test_nested_transactions_commit_or_roll_back_as_one(settings, embedder):
    with ALMA(settings, embedder=embedder) as alma:
        store = alma.store
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.set_meta("probe", "outer")
                with store.transaction():
                    store.set_meta("probe2", "inner")
                raise RuntimeError("boom")
        assert store.get_meta("probe") is None and store.get_meta("probe2") is None
        with store.transaction():
            with store.transaction():
                store.set_meta("probe", "kept")
        assert store.get_meta("probe") == "kept"


def test_a_writer_that_missed_another_process_write_is_told_its_index_is_stale(settings, embedder):
    """Two stores on one project: B bumps after A without reading in between, so B
    must not claim its index reflects the newest generation."""
    from alma_graph.backends.neo4j import Neo4jStore

    config = Neo4jConfig(**settings["neo4j"])
    a = Neo4jStore(config, settings["project_id"], embedder.dimension)
    b = Neo4jStore(config, settings["project_id"], embedder.dimension)
    try:
        start = a.generation()
        assert b.generation() == start
        assert a.bump_generation() == start + 1  # A was in sync
        assert b.bump_generation() == start  # B missed A's write: still tagged stale
        assert b.generation() == start + 2 and a.generation() == start + 2
        assert b.bump_generation() == start + 3  # after reading, B is in sync again
    finally:
        a.close()
        b.close()
