#!/usr/bin/env bash
# Create or reuse .venv with everything alma_graph and its tests need.
# torch is pinned and installed before sentence-transformers so pip never picks
# another build; a stamp of the dependency files lets an unchanged venv be reused
# instead of reinstalling gigabytes.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION="2.15.0"
VENV="${ALMA_GRAPH_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

stamp_of() { cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -d' ' -f1; }

if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi

want="$(stamp_of)"
have="$(cat "$VENV/.alma_graph_stamp" 2>/dev/null || true)"
if [ "$want" = "$have" ]; then
  echo "bootstrap: $VENV is up to date" >&2
  exit 0
fi

"$VENV/bin/python" -m pip install -q --upgrade pip
if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
  echo "bootstrap: installing torch==$TORCH_VERSION (large, once)" >&2
  "$VENV/bin/python" -m pip install -q "torch==$TORCH_VERSION"
fi
echo "bootstrap: installing alma_graph and its dependencies" >&2
"$VENV/bin/python" -m pip install -q -e ".[dev]"
echo "$want" > "$VENV/.alma_graph_stamp"
