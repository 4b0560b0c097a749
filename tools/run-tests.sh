#!/usr/bin/env bash
# Builds corgi and runs the unit tests (ctest label "unit").
#   tools/run-tests.sh              Release build in build/
#   tools/run-tests.sh --sanitize   Debug + AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/
#   tools/run-tests.sh --all        also the "slow" tests
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
labels=(-L unit)
for arg in "$@"; do
  case "$arg" in
    --sanitize) build=build-asan; cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DCORGI_SANITIZE=ON) ;;
    --all) labels=() ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

tools/install-deps.sh
cmake -S . -B "$build" -G Ninja "${cmake_args[@]}"
cmake --build "$build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" "${labels[@]}" --output-on-failure --timeout 600 -j "$(nproc)"
