"""Shared fixtures: real stores (Kuzu on disk, a real Neo4j server), the real MiniLM model.

Tests that take ``make_alma`` / ``alma`` run once per backend — the contract
suite that keeps Kuzu and Neo4j from drifting. ``@pytest.mark.kuzu_only`` marks
tests about the embedded store's files. The Neo4j server is started once per
session from the project's own launcher (``alma_graph.neo4j_local``). In CI
(``CI`` set) a skipped test is a failure, so a missing server cannot pass silently.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, Callable

import pytest

from alma_graph import ALMA
from alma_graph.indexes.embeddings import Embedder

IN_CI = bool(os.environ.get("CI"))
ALL_BACKENDS = ("kuzu", "neo4j")
BACKENDS = [b for b in os.environ.get("ALMA_GRAPH_TEST_BACKENDS", ",".join(ALL_BACKENDS)).split(",") if b]


def check_backends(backends: list[str], in_ci: bool) -> None:
    """Unknown names are typos; in CI a narrowed set would drop the contract suite's other half."""
    unknown = sorted(set(backends) - set(ALL_BACKENDS))
    if unknown:
        raise pytest.UsageError(f"ALMA_GRAPH_TEST_BACKENDS: unknown backend(s) {unknown}; use {list(ALL_BACKENDS)}")
    if in_ci and sorted(set(backends)) != sorted(ALL_BACKENDS):
        raise pytest.UsageError(f"ALMA_GRAPH_TEST_BACKENDS={','.join(backends)} with CI set: CI runs every test "
                                f"on both backends; unset it")


def pytest_configure(config):
    config.addinivalue_line("markers", "kuzu_only: the test is about the embedded Kuzu store itself")
    check_backends(BACKENDS, IN_CI)


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        kuzu_only = metafunc.definition.get_closest_marker("kuzu_only") is not None
        metafunc.parametrize("backend", ["kuzu"] if kuzu_only else BACKENDS, scope="session")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {report.longrepr}"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder()
    model.embed("warm up")  # load the model once per test session
    return model


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory):
    """A real Neo4j 5 server (embedded in a JVM, Bolt on a free port, auth on) for the session."""
    from alma_graph.neo4j_local import LocalNeo4jError, start_local_neo4j

    try:
        server = start_local_neo4j(tmp_path_factory.mktemp("neo4j"), password="test-password-123")
    except LocalNeo4jError as exc:
        message = f"could not start the local Neo4j server: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    print(f"\nNeo4j server ready at {server.uri} in {server.startup_seconds:.1f}s")
    yield server
    server.stop()


@pytest.fixture
def store_config(backend, request, tmp_path) -> dict[str, Any]:
    """The ``alma:`` settings of a fresh, isolated store on the backend under test."""
    settings: dict[str, Any] = {"storage": backend, "storage_dir": str(tmp_path / "store")}
    if backend == "neo4j":
        server = request.getfixturevalue("neo4j_server")
        settings["neo4j"] = {"uri": server.uri, "user": server.user, "password": server.password}
        settings["project_id"] = f"t{uuid.uuid4().hex[:12]}"  # tests share the server, not their data
    else:
        settings["project_id"] = "test"
    return settings


@pytest.fixture
def make_alma(store_config, embedder) -> Callable[..., ALMA]:
    """Open an ALMA on the test's store; extra keys go into the ``alma:`` config."""
    opened: list[ALMA] = []

    def factory(agents: dict[str, Any] | None = None, directory=None, **config: Any) -> ALMA:
        settings = {**store_config, "agents": agents or {}, **config}
        if directory is not None:
            settings["storage_dir"] = str(directory)
        alma = ALMA(settings, embedder=embedder)
        opened.append(alma)
        return alma

    yield factory
    for alma in opened:
        alma.close()


@pytest.fixture
def alma(make_alma) -> ALMA:
    return make_alma()


def snapshot(alma: ALMA) -> dict[str, Any]:
    """Everything a failed write must leave unchanged."""
    rows = alma.store.find_memories()
    return {
        "nodes": alma.store.node_counts(),
        "generation": alma.store.generation(),
        "vectors": len(alma.context.indexes.vectors),
        "memories": sorted((r["id"], r["kind"], r["occurrence_count"], r["feedback"]) for r in rows),
    }
