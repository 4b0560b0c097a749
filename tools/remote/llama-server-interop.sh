#!/usr/bin/env bash
# Interoperability check of corgi's remote client against llama.cpp's llama-server.
#
# A benchmark-style script, run by hand: it is NOT part of CI (no ctest registration),
# because it needs a llama.cpp build and GGUF files converted from a corgi checkpoint
# (see docs/REMOTE.md; the recipe used here: llama-server built from llama.cpp, GGUFs made
# with convert_hf_to_gguf.py from `corgi make-model --preset small`).
#
# What it does:
#   1. starts llama-server on the GGUF folder's text model with its projector (mmproj*.gguf)
#      on 127.0.0.1:PORT, 2 threads, and waits for GET /health;
#   2. runs `corgi ask --remote http://127.0.0.1:PORT/v1` on 2 images (a photo and one with
#      text) once per way of asking for the reasoning call:
#        llama-server  --remote-dialect llama-server        (GBNF `grammar` field)
#        openai        --remote-dialect openai              (JSON-only prompt variant under
#                                                            response_format json_schema)
#        free          models.default.reasoning_format: free (no constraint; parser repairs)
#        mixed         (only with a local checkpoint, --local-model) reasoning on corgi's local
#                      engine, grounding/caption/synthesis on llama-server (response_format)
#      each with small budgets, and prints one line per run: dialect, image, exit code, wall
#      seconds, steps, whether an answer came back, the result's error and warning count,
#      and the model calls (phase:finish_reason, from trace.json);
#   3. runs `corgi batch --remote ... --remote-dialect llama-server` over a 3-item input and
#      checks that each item has exactly one result line (an answer or a recorded error);
#   4. stops the server (trap, also on error or Ctrl-C).
# The summary is printed and written to OUT/summary.txt; every run's outputs stay in OUT.
#
# Usage: tools/remote/llama-server-interop.sh [options]      (from anywhere)
#   --llama-build DIR  llama.cpp build dir holding bin/llama-server  [$LLAMA_BUILD, /work/llama/build]
#   --gguf-dir DIR     folder with one text GGUF and one mmproj*.gguf [$GGUF_DIR, /work/llama/serve/small-f32]
#                      (use the f32 text GGUF for reproducible greedy runs; the tiny preset
#                      crashes llama.cpp's qwen3vl graph, use small)
#   --corgi BIN        the corgi binary                               [$CORGI, REPO/build/src/apps/corgi]
#   --port N           llama-server port                              [$PORT, 18470]
#   --images DIR       sample images                                  [$IMAGES, REPO/../shared/data/images]
#   --local-model DIR  corgi checkpoint the GGUFs came from, for the `mixed` row
#                      [$LOCAL_MODEL, /work/llama/models/small if it exists; "" skips the row]
#   --out DIR          where runs are written                         [$OUT, a new mktemp -d]
#   --threads N        llama-server threads                           [$LLAMA_THREADS, 2]
# Takes a few minutes on 2 cores (each reasoning call of 256 tokens is ~10-20 s there).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
llama_build=${LLAMA_BUILD:-/work/llama/build}
gguf_dir=${GGUF_DIR:-/work/llama/serve/small-f32}
corgi=${CORGI:-$repo/build/src/apps/corgi}
port=${PORT:-18470}
images=${IMAGES:-$repo/../shared/data/images}
if [[ -n "${LOCAL_MODEL+set}" ]]; then local_model=$LOCAL_MODEL
elif [[ -d /work/llama/models/small ]]; then local_model=/work/llama/models/small
else local_model=""; fi
out=${OUT:-}
threads=${LLAMA_THREADS:-2}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --llama-build) llama_build=$2; shift 2 ;;
    --gguf-dir) gguf_dir=$2; shift 2 ;;
    --corgi) corgi=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --images) images=$2; shift 2 ;;
    --local-model) local_model=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

server_bin=$llama_build/bin/llama-server
[[ -x "$server_bin" ]] || { echo "$0: no llama-server at $server_bin" >&2; exit 2; }
[[ -x "$corgi" ]] || { echo "$0: no corgi binary at $corgi (build it: ninja -C build corgi)" >&2; exit 2; }
command -v jq >/dev/null || { echo "$0: needs jq" >&2; exit 2; }
mmproj=$(ls "$gguf_dir"/mmproj*.gguf 2>/dev/null | head -n1 || true)
model=$(ls "$gguf_dir"/*.gguf 2>/dev/null | grep -v '/mmproj[^/]*$' | head -n1 || true)
[[ -n "$model" && -n "$mmproj" ]] || { echo "$0: need a text GGUF and an mmproj*.gguf in $gguf_dir" >&2; exit 2; }
photo=$images/qwen3_vl_jax_256/horses.png
text_image=$images/qwen3_vl_jax_256/foxnews.png
for f in "$photo" "$text_image"; do [[ -f "$f" ]] || { echo "$0: missing image $f" >&2; exit 2; }; done
[[ -n "$out" ]] || out=$(mktemp -d /tmp/llama-server-interop.XXXXXX)
mkdir -p "$out"
url=http://127.0.0.1:$port/v1

if curl -s -o /dev/null "http://127.0.0.1:$port/health"; then
  echo "$0: port $port is already in use" >&2; exit 1
fi
server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

"$server_bin" -m "$model" --mmproj "$mmproj" --host 127.0.0.1 --port "$port" \
  -t "$threads" -tb "$threads" -c 4096 -np 1 --no-webui >"$out/llama-server.log" 2>&1 &
server_pid=$!
for ((i = 0; ; i++)); do
  kill -0 "$server_pid" 2>/dev/null || { echo "$0: llama-server exited:" >&2; tail -n 20 "$out/llama-server.log" >&2; exit 1; }
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health")" == 200 ]] && break
  ((i < 240)) || { echo "$0: /health not OK after 120 s (log $out/llama-server.log)" >&2; exit 1; }
  sleep 0.5
done

summary=$out/summary.txt
{
  echo "# corgi remote client vs llama-server ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo "# llama-server: $("$server_bin" --version 2>&1 | grep -m1 version || true)"
  echo "# model: $model  mmproj: $mmproj"
  echo "# corgi: $corgi ($(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) cores)"
} | tee "$summary"

# Small budgets so a random-weight model finishes in reasonable time.
base_yaml='max_steps: 3
budgets: {reasoning: 256, grounding: 64, caption: 48, synthesis: 192}
ocr: {engine: tesseract}
outputs: {report: false}'
printf '%s\n' "$base_yaml" >"$out/base.yaml"
printf '%s\nmodels:\n  default:\n    reasoning_format: free\n    endpoints: [{url: "%s", dialect: llama-server}]\n' \
  "$base_yaml" "$url" >"$out/free.yaml"
if [[ -n "$local_model" ]]; then
  printf '%s\nmodels:\n  reasoning: {checkpoint: "%s"}\n' "$base_yaml" "$local_model" >"$out/mixed.yaml"
fi

# One line per run, from its results.json and trace.json.
describe() {  # NAME IMAGE RC SECONDS DIR
  local dir=$5 info
  if [[ -f "$dir/results.json" ]]; then
    info=$(jq -r '[(.steps | length), (if (.answer // "") != "" then "yes" else "no" end),
                   (if (.error // "") != "" then "error" else "ok" end), (.warnings | length)] | @tsv' \
      "$dir/results.json")
  else
    info=$'-\t-\tno results.json\t-'
  fi
  local calls="-"
  if [[ -f "$dir/trace.json" ]]; then
    calls=$(jq -r '[.calls[] | "\(.phase):\(.finish_reason)"] | group_by(.) |
                   map(if length > 1 then "\(.[0])x\(length)" else .[0] end) | join(" ")' "$dir/trace.json")
  fi
  IFS=$'\t' read -r steps answer err warns <<<"$info"
  printf '%-13s %-14s rc=%-2s %6.1fs steps=%-2s answer=%-3s %-6s warnings=%-2s calls: %s\n' \
    "$1" "$(basename "$2")" "$3" "$4" "$steps" "$answer" "$err" "$warns" "$calls" | tee -a "$summary"
  if [[ "$err" == error ]]; then
    echo "    error: $(jq -r '.error' "$dir/results.json" | head -c 200)" | tee -a "$summary"
  fi
}

run_ask() {  # NAME IMAGE QUESTION [corgi args...]
  local name=$1 image=$2 question=$3
  shift 3
  local dir=$out/$name-$(basename "$image" .png) rc=0 t0 t1
  t0=$(date +%s.%N)
  "$corgi" ask --image "$image" --question "$question" --out "$dir" -q "$@" >"$dir.stdout" 2>"$dir.stderr" || rc=$?
  t1=$(date +%s.%N)
  describe "$name" "$image" "$rc" "$(echo "$t1 - $t0" | bc)" "$dir"
}

echo "# dialect      image          exit   wall   steps answer result warnings calls (phase:finish)" | tee -a "$summary"
for image in "$photo" "$text_image"; do
  if [[ "$image" == "$photo" ]]; then q="How many horses are there?"; else q="What does the headline say?"; fi
  run_ask llama-server "$image" "$q" --remote "$url" --remote-dialect llama-server --config "$out/base.yaml"
  run_ask openai "$image" "$q" --remote "$url" --remote-dialect openai --config "$out/base.yaml"
  run_ask free "$image" "$q" --remote "$url" --remote-dialect llama-server --config "$out/free.yaml"
  if [[ -n "$local_model" ]]; then
    run_ask mixed "$image" "$q" --remote "$url" --remote-dialect llama-server --config "$out/mixed.yaml"
  fi
done

# A batch of 3 (JSON lines; image paths may be absolute).
input=$out/batch-input.jsonl
jq -nc --arg a "$photo" --arg b "$text_image" \
  '{id: "b1", image: $a, question: "How many horses are there?"},
   {id: "b2", image: $b, question: "What does the headline say?"},
   {id: "b3", image: $a, question: "What colour is the grass?"}' >"$input"
rc=0
t0=$(date +%s.%N)
"$corgi" batch --remote "$url" --remote-dialect llama-server --config "$out/base.yaml" \
  --input "$input" --out "$out/batch" >"$out/batch.stdout" 2>"$out/batch.stderr" || rc=$?
t1=$(date +%s.%N)
results=$out/batch/results.jsonl
ids=$( [[ -f "$results" ]] && jq -r '.id' "$results" | sort | tr '\n' ' ' || true)
answered=$( [[ -f "$results" ]] && jq -s '[.[] | select((.answer // "") != "")] | length' "$results" || echo 0)
verdict=FAIL
[[ "$ids" == "b1 b2 b3 " ]] && verdict=ok
printf 'batch         3 items        rc=%-2s %6.1fs results for: %s(%s answered) -> %s\n' \
  "$rc" "$(echo "$t1 - $t0" | bc)" "$ids" "$answered" "$verdict" | tee -a "$summary"
echo "# outputs in $out (llama-server log: $out/llama-server.log)" | tee -a "$summary"
