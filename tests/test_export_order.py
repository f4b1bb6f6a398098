"""Issue #12 item 10: export_jsonl writes a stable order, so two backups of the same content
are identical byte for byte whatever order the store happened to scan in."""

from __future__ import annotations

import random

import pytest

from alma_graph.interfaces.transfer import export_jsonl, import_jsonl


def body(path) -> list[str]:
    """The records, without the header and the write counter (an import is itself a write)."""
    return [line for line in path.read_text().splitlines()[1:] if '"label": "Meta"' not in line]


@pytest.mark.kuzu_only
def test_the_same_content_exports_identically_whatever_the_write_order(make_alma, tmp_path, backend):
    original = make_alma(agents={"qa": {}, "dev": {}})
    original.add_knowledge_batch([{"agent": a, "domain": "testing", "fact": f"Fact {i} about Acme Corp and {a}"}
                                  for i in range(15) for a in ("qa", "dev")])
    original.learn("qa", "Test the login form", True, "Boundary values")
    original.add_preference("alice", "style", "Short answers")
    first = tmp_path / "first.jsonl"
    export_jsonl(original, first)

    lines = first.read_text().splitlines()
    shuffled = [lines[0]] + random.Random(10).sample(lines[1:], len(lines) - 1)
    source = tmp_path / "shuffled.jsonl"
    source.write_text("\n".join(shuffled) + "\n")
    restored = make_alma(agents={"qa": {}, "dev": {}}, directory=tmp_path / "restored")
    import_jsonl(restored, source)
    second = tmp_path / "second.jsonl"
    export_jsonl(restored, second)

    assert body(second) == body(first)
    export_jsonl(restored, tmp_path / "third.jsonl")
    assert (tmp_path / "third.jsonl").read_bytes() == second.read_bytes()
