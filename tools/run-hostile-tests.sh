#!/usr/bin/env bash
# The hostile-input sweep (tests/hostile/hostile_inputs.py): a generated corpus of bad
# images, questions, flags, configs, replays, model folders and batch files run through the
# built binary; every case must end with a message and exit 1/2 (or 0 where legal), never
# by a signal, within its time and memory bounds. Usage: tools/run-hostile-tests.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
BIN="$BUILD/src/apps/corgi"
[ -x "$BIN" ] || { echo "error: $BIN not built (cmake --build $BUILD --target corgi)" >&2; exit 1; }
python3 tests/hostile/hostile_inputs.py --corgi "$BIN" --shared ../shared
