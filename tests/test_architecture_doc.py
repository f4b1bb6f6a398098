"""docs/architecture.md stays true: its Python block runs, and every module path it names exists."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"


def test_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})


@pytest.mark.parametrize("name", sorted(set(re.findall(r"`([a-z_]+/(?:[a-z_]+/)?(?:[a-z_]+\.py)?)`",
                                                          DOC.read_text(encoding="utf-8")))))
def test_named_paths_exist(name):
    assert name == "alma_graph/" or (ROOT / "alma_graph" / name).exists(), f"docs/architecture.md names {name}, which does not exist"
