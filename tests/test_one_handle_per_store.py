"""Issue #12 item 1: two ALMA instances on one embedded store in one process lost writes.
The second open is refused with a StorageError naming the first; no acknowledged write is lost."""

from __future__ import annotations

import gc

import pytest

from alma_graph import ALMA, StorageError


@pytest.mark.kuzu_only
def test_a_second_open_in_the_same_process_is_refused_and_nothing_is_lost(tmp_path, embedder, backend):
    directory = tmp_path / "store"
    first = ALMA.quickstart(directory, project_id="shop", embedder=embedder)
    with pytest.raises(StorageError, match=r"already open in this process \(project 'shop'"):
        ALMA.quickstart(directory, embedder=embedder)
    with pytest.raises(StorageError, match="already open"):
        ALMA.quickstart(str(directory) + "/../store", embedder=embedder)  # the same path spelt differently
    fact = first.add_knowledge("qa", "testing", "The first handle's acknowledged write").id
    first.close()

    second = ALMA.quickstart(directory, project_id="shop", embedder=embedder)  # free again once closed
    assert [r["id"] for r in second.store.get_memories([fact])] == [fact]
    second.close()


@pytest.mark.kuzu_only
def test_an_instance_dropped_without_close_frees_its_store(tmp_path, embedder, backend):
    directory = tmp_path / "store"
    dropped = ALMA.quickstart(directory, embedder=embedder)
    fact = dropped.add_knowledge("qa", "testing", "Written before the instance was dropped").id
    del dropped
    gc.collect()
    reopened = ALMA.quickstart(directory, embedder=embedder)
    assert [r["id"] for r in reopened.store.get_memories([fact])] == [fact]
    reopened.close()
