#!/usr/bin/env bash
# The HTTP tests that need Python: the official `openai` client against `corgi serve` on
# the tiny synthetic checkpoint (tests/server/), and `corgi batch --remote` through a
# fault-injecting proxy in front of `corgi serve` (tests/remote/). Makes the venv (outside the repository)
# and the checkpoint when missing. Usage: tools/run-server-tests.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
VENV="${CORGI_TEST_VENV:-$(cd .. && pwd)/venv-test}"
BIN="$BUILD/src/apps/corgi"
[ -x "$BIN" ] || { echo "error: $BIN not built (cmake --build $BUILD --target corgi)" >&2; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c "import openai" 2>/dev/null || "$VENV/bin/pip" install --quiet openai
MODEL="$(mktemp -d)/tiny"
trap 'rm -rf "$(dirname "$MODEL")"' EXIT
"$BIN" make-model --preset tiny --seed 0 "$MODEL" >/dev/null
CORGI_BIN="$BIN" CORGI_MODEL="$MODEL" "$VENV/bin/python" -W ignore::ResourceWarning -m unittest -v \
  tests/server/test_openai_client.py tests/remote/test_fault_proxy.py
