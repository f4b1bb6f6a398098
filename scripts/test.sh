#!/usr/bin/env bash
# Type-check the package (mypy, settings in pyproject.toml), then run the test suite with the
# project's venv. Extra arguments go to pytest. ALMA_GRAPH_TYPECHECK=0 skips the type check
# (for quick iterations on one test file; `make test` and .ci/run always run it).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# This checkout's package first, also for subprocesses (the CLI entry point, the MCP server).
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [[ "${ALMA_GRAPH_TYPECHECK:-1}" != "0" || -n "${CI:-}" ]]; then
    .venv/bin/python -m mypy
fi
exec .venv/bin/python -m pytest "$@"
