"""The graph persists on disk; the FAISS index is derived from it and rebuilt when needed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from alma_graph.indexes.vectors import CATALOG_FILE, INDEX_FILE

QUERY = "How should I test the login form email field?"


def fill(alma):
    for i in range(3):
        alma.learn("qa", f"Test the login form with invalid email case {i}", True,
                   "Use boundary value testing on the email input", task_type="form_testing")
    alma.add_knowledge("qa", "testing", "The login form rejects emails longer than 254 characters")
    alma.add_preference("alice", "reports", "Summaries first, details after")


def ranking(alma):
    result = alma.retrieve(QUERY, "qa", user_id="alice")
    return [(m.id, round(m.score, 6)) for m in result.all()]


@pytest.mark.kuzu_only
def test_a_new_process_reopens_the_store_and_finds_everything(make_alma, tmp_path):
    directory = tmp_path / "store"
    alma = make_alma(directory=directory)
    fill(alma)
    expected = ranking(alma)
    expected_stats = alma.stats()
    alma.close()

    script = textwrap.dedent(f"""
        import json
        from alma_graph import ALMA
        with ALMA({{"project_id": "test", "storage_dir": {str(directory)!r}}}) as alma:
            result = alma.retrieve({QUERY!r}, "qa", user_id="alice")
            print(json.dumps({{"ids": [m.id for m in result.all()], "stats": alma.stats(),
                              "heuristics": [h.occurrence_count for h in result.heuristics]}}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert sorted(seen["ids"]) == sorted(i for i, _ in expected)
    assert seen["heuristics"] == [3]
    assert seen["stats"]["by_kind"] == expected_stats["by_kind"]


@pytest.mark.kuzu_only
@pytest.mark.parametrize("damage", ["delete", "corrupt", "stale", "truncate-catalog"])
def test_a_damaged_vector_index_is_rebuilt_with_the_same_results(make_alma, tmp_path, damage):
    directory = tmp_path / "store"
    alma = make_alma(directory=directory)
    fill(alma)
    expected = ranking(alma)
    alma.close()

    index_dir = directory / "index"
    if damage == "delete":
        (index_dir / INDEX_FILE).unlink()
    elif damage == "corrupt":
        (index_dir / INDEX_FILE).write_bytes(b"not a faiss index" * 10)
    elif damage == "stale":  # an index saved before the last writes
        catalog = json.loads((index_dir / CATALOG_FILE).read_text())
        catalog["generation"] -= 1
        (index_dir / CATALOG_FILE).write_text(json.dumps(catalog))
    else:
        (index_dir / CATALOG_FILE).write_text('{"generation": ')

    reopened = make_alma(directory=directory)
    assert len(reopened.context.indexes.vectors) == 6  # 3 outcomes, 1 heuristic, 1 fact, 1 preference
    got = ranking(reopened)
    assert [i for i, _ in got] == [i for i, _ in expected]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-3)
    reopened.close()
    assert (index_dir / INDEX_FILE).stat().st_size > 1000  # saved again


@pytest.mark.kuzu_only
def test_an_index_that_misses_writes_is_rebuilt(make_alma, tmp_path):
    """A process that died before saving leaves an index behind the graph."""
    directory = tmp_path / "store"
    alma = make_alma(directory=directory)
    alma.add_knowledge("qa", "testing", "First fact about the login form")
    alma.close()
    saved = (directory / "index" / INDEX_FILE).read_bytes(), (directory / "index" / CATALOG_FILE).read_text()

    alma = make_alma(directory=directory)
    alma.add_knowledge("qa", "testing", "Second fact about the login form")
    alma.close()
    (directory / "index" / INDEX_FILE).write_bytes(saved[0])
    (directory / "index" / CATALOG_FILE).write_text(saved[1])

    reopened = make_alma(directory=directory)
    facts = {k.fact for k in reopened.retrieve("facts about the login form", "qa").domain_knowledge}
    assert facts == {"First fact about the login form", "Second fact about the login form"}


@pytest.mark.kuzu_only
def test_a_second_process_gets_a_clear_error_while_the_store_is_open(make_alma, tmp_path):
    directory = tmp_path / "store"
    alma = make_alma(directory=directory)
    alma.add_knowledge("qa", "testing", "A fact")
    script = textwrap.dedent(f"""
        from alma_graph import ALMA, StorageError
        try:
            ALMA({{"project_id": "test", "storage_dir": {str(directory)!r}}})
        except StorageError as exc:
            print("StorageError:", exc)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert "StorageError:" in out.stdout and "another process" in out.stdout, out.stdout + out.stderr
