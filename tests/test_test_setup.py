"""The test setup itself: in CI the suite cannot quietly drop a backend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import check_backends

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("backends, in_ci, ok", [
    (["kuzu", "neo4j"], True, True), (["neo4j", "kuzu"], True, True), (["kuzu"], True, False),
    (["neo4j"], True, False), (["kuzu"], False, True), (["kuzu", "neo4j"], False, True), (["kuzo"], False, False),
])
def test_backend_set_rules(backends, in_ci, ok):
    if ok:
        check_backends(backends, in_ci)
    else:
        with pytest.raises(pytest.UsageError):
            check_backends(backends, in_ci)


def test_a_ci_run_with_one_backend_fails_before_running_anything(tmp_path):
    env = {**os.environ, "CI": "1", "ALMA_GRAPH_TEST_BACKENDS": "kuzu"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q",
                             "--no-cov", str(ROOT / "tests" / "test_test_setup.py")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "both backends" in result.stderr + result.stdout
