#!/usr/bin/env bash
# Throughput of `corgi batch` on one workload three ways (docs/REMOTE.md, "Scaling out"):
# the local engine, --remote against one `corgi serve`, and against two `corgi serve`
# processes behind one models.default entry (load-balanced). Same checkpoint, same
# prompts and constraints (the corgi dialect), greedy: every way generates the same tokens,
# so the ratio is the cost of the transport and of the server split.
# Not a test (no ctest label): run it on a quiet machine.
#
# Usage: tools/remote/bench-remote-batch.sh [--model DIR] [--items N] [--parallel K] [--threads T]
# Defaults: models/small (made with `corgi make-model --preset small` when missing), 8 items,
# --parallel 4, threads = cores (split between the two servers in the two-server run).
set -euo pipefail
cd "$(dirname "$0")/../.."
CORGI=${CORGI:-build/src/apps/corgi}
MODEL=models/small ITEMS=8 PARALLEL=4 THREADS=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL=$2; shift 2 ;;
    --items) ITEMS=$2; shift 2 ;;
    --parallel) PARALLEL=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -f "$MODEL/config.json" ] || "$CORGI" make-model --preset "$(basename "$MODEL")" "$MODEL" >/dev/null
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

IMAGES=(../shared/data/images/llama_cpp_mtmd/test-1.jpeg ../shared/data/images/qwen3_vl_jax_256/*.png)
for i in $(seq 0 $((ITEMS - 1))); do
  img=$(realpath "${IMAGES[$((i % ${#IMAGES[@]}))]}")
  printf '{"id":"q%d","image":"%s","question":"What is in the picture? (%d)"}\n' "$i" "$img" "$i"
done > "$WORK/input.jsonl"
cat > "$WORK/base.yaml" <<YAML
max_steps: 3
budgets: {reasoning: 256, grounding: 64, caption: 32, ocr_vlm: 32, synthesis: 128}
ocr: {engine: tesseract}
outputs: {crops: false, visualization: false, report: false}
YAML

wait_healthy() {
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0
    sleep 0.2
  done
  echo "server on port $1 did not start" >&2; exit 1
}
start_serve() {  # port threads
  "$CORGI" serve -m "$MODEL" --port "$1" -t "$2" --parallel 8 --config "$WORK/base.yaml" >"$WORK/serve-$1.log" 2>&1 &
  PIDS+=($!)
  wait_healthy "$1"
}
run_batch() {  # name, extra args...
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$CORGI" batch --input "$WORK/input.jsonl" --out "$WORK/out-$name" --parallel "$PARALLEL" "$@" >/dev/null 2>"$WORK/$name.err" || true
  end=$(date +%s.%N)
  local answered
  answered=$(python3 -c "import json,sys; print(sum(1 for l in open('$WORK/out-$name/results.jsonl') if not json.loads(l).get('error')))")
  python3 -c "
s=$end-$start; print(f'| $name | $ITEMS | {$answered} | {s:.1f} | {$ITEMS*60/s:.2f} |')"
}

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; model $MODEL; --parallel $PARALLEL"
echo "| run | items | answered | wall s | items/min |"
echo "|---|---|---|---|---|"
run_batch local -m "$MODEL" -t "$THREADS" --config "$WORK/base.yaml"

start_serve 18901 "$THREADS"
cat "$WORK/base.yaml" > "$WORK/one.yaml"
printf 'models:\n  default:\n    endpoints: [{url: "http://127.0.0.1:18901/v1", dialect: corgi, max_in_flight: 8}]\n' >> "$WORK/one.yaml"
run_batch remote-1-serve --config "$WORK/one.yaml"
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true; PIDS=()

HALF=$(( THREADS / 2 > 0 ? THREADS / 2 : 1 ))
start_serve 18902 "$HALF"
start_serve 18903 "$HALF"
cat "$WORK/base.yaml" > "$WORK/two.yaml"
printf 'models:\n  default:\n    endpoints:\n      - {url: "http://127.0.0.1:18902/v1", dialect: corgi, max_in_flight: 8}\n      - {url: "http://127.0.0.1:18903/v1", dialect: corgi, max_in_flight: 8}\n' >> "$WORK/two.yaml"
run_batch remote-2-serves --config "$WORK/two.yaml"

# Same tokens everywhere: compare the answers item by item.
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
def answers(name):
    return {json.loads(l)["id"]: json.loads(l).get("answer") for l in open(f"{w}/out-{name}/results.jsonl")}
a = answers("local")
for other in ("remote-1-serve", "remote-2-serves"):
    same = sum(1 for k, v in answers(other).items() if a.get(k) == v)
    print(f"{other}: {same}/{len(a)} answers equal to the local run's")
PY
