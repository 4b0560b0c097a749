#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, docs/FUZZING.md) with clang in build-fuzz/ and runs
# each under ASan+UBSan for a bounded time, starting from a scratch copy of its seed
# corpus (fuzz/corpus/<target>/, never modified). Every reproducer committed under
# fuzz/regressions/<target>/ is replayed first. Fails on any crash, leak, timeout or
# out-of-memory, printing the reproducer's path and the command that replays it.
#
#   tools/run-fuzz.sh                    every target, 15 s each
#   tools/run-fuzz.sh --seconds 60 image_fuzzer tokenizer_fuzzer
#   tools/run-fuzz.sh --jobs 2           two targets at a time
#
# Artifacts (reproducers, logs, the grown corpora) go to build-fuzz/fuzz-out/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=15
jobs=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    --jobs) jobs="$2"; shift 2 ;;
    --jobs=*) jobs="${1#*=}"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-fuzz: unknown option $1" >&2; exit 2 ;;
    *) targets+=("${1%_fuzzer}_fuzzer"); shift ;;
  esac
done

tools/install-deps.sh
# libFuzzer ships with clang's runtime libraries (Debian: libclang-rt-dev).
if ! command -v clang++ >/dev/null ||
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "run-fuzz: installing clang and libFuzzer" >&2
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends clang libclang-rt-dev
fi

build=build-fuzz
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCORGI_FUZZ=ON -DCORGI_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
if [ ${#targets[@]} -eq 0 ]; then
  cmake --build "$build" --target corgi_fuzzers
  for src in fuzz/*_fuzzer.cc; do
    name="$(basename "$src" .cc)"
    targets+=("$name")
  done
else
  cmake --build "$build" --target "${targets[@]}"
fi

out="$build/fuzz-out"
rm -rf "$out"
mkdir -p "$out"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

# Runs one target; writes $out/<target>.log and $out/<target>.status ("ok" or "FAIL ...").
run_target() {
  local t="$1" bin="$build/fuzz/$1" name="${1%_fuzzer}"
  local log="$out/$t.log" corpus="$out/corpus/$name" artifacts="$out/artifacts/$name"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "fuzz/corpus/$name" ]; then cp -R "fuzz/corpus/$name/." "$corpus/"; fi
  # Committed reproducers must all pass now.
  if [ -d "fuzz/regressions/$name" ] && [ -n "$(ls -A "fuzz/regressions/$name")" ]; then
    for r in "fuzz/regressions/$name"/*; do
      if ! "$bin" -rss_limit_mb=2048 -timeout=10 "$r" >>"$log" 2>&1; then
        echo "FAIL regression $r (replay: $bin $r)" >"$out/$t.status"
        return
      fi
    done
  fi
  if "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$artifacts/" "$corpus" >>"$log" 2>&1; then
    echo "ok" >"$out/$t.status"
  else
    local repro
    repro="$(ls -t "$artifacts"/* 2>/dev/null | head -1 || true)"
    echo "FAIL ${repro:-no reproducer written} (replay: $bin ${repro:-})" >"$out/$t.status"
  fi
}

start=$SECONDS
running=0
for t in "${targets[@]}"; do
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
printf '%-28s %10s %10s  %s\n' target execs "execs/s" result
for t in "${targets[@]}"; do
  log="$out/$t.log"
  execs="$(awk '/^stat::number_of_executed_units:/ {n = $2} END {print n}' "$log" 2>/dev/null)"
  rate="$(awk '/^stat::average_exec_per_sec:/ {n = $2} END {print n}' "$log" 2>/dev/null)"
  status="$(cat "$out/$t.status" 2>/dev/null || echo "FAIL (no status)")"
  printf '%-28s %10s %10s  %s\n' "$t" "${execs:--}" "${rate:--}" "$status"
  if [ "$status" != "ok" ]; then
    failed=1
    echo "---- $t: end of $log" >&2
    grep -v '^#[0-9]' "$log" | tail -40 >&2
  fi
done
echo "run-fuzz: ${#targets[@]} targets, ${seconds}s each, $((SECONDS - start))s of fuzzing"
exit "$failed"
