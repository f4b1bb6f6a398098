"""The seeded bad-input fuzz through the public API (issue #12): every call either succeeds or
raises an ALMAGraphError subclass, and a refused call leaves the store exactly as it was."""

from __future__ import annotations

import inspect

import pytest

from alma_graph import ALMA

from fuzz_public_api import NOT_FUZZED, run, seed, specs

CASES = {"kuzu": 1400, "neo4j": 600}  # 2,000 cases per CI run; Neo4j round trips cost more


def public_methods() -> set[str]:
    return {name for name, member in inspect.getmembers(ALMA, callable)
            if not name.startswith("_") and not name.startswith("async_")}


def test_every_public_method_is_fuzzed(tmp_path):
    fuzzed = {spec.method for spec in specs(tmp_path, tmp_path)}
    assert public_methods() - fuzzed - set(NOT_FUZZED) == set()


def test_hostile_arguments_get_typed_errors_and_change_nothing(make_alma, backend, tmp_path, capsys):
    alma = make_alma(agents={"qa": {}, "dev": {}, "junior": {"cannot_learn": ["testing"]}})
    seed(alma, tmp_path / "files", tmp_path / "chats")
    figures = run(alma, tmp_path / "files", tmp_path / "chats", CASES[backend])
    with capsys.disabled():
        print("\n" + figures.line(backend))
    assert figures.cases == CASES[backend]
    assert figures.methods == {spec.method for spec in specs(tmp_path, tmp_path)}
    assert figures.untyped == 0, "\n".join(figures.untyped_examples[:20])
    assert figures.changed_after_rejection == 0, "\n".join(figures.change_examples[:20])
    assert figures.typed > figures.cases // 2  # the generator produces mostly bad input
    assert figures.exports_compared > 0
