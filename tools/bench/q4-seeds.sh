#!/usr/bin/env bash
# corgi's q4 against llama.cpp's Q4_K_M over several random checkpoints, measured twice: each
# format in its own engine, and both formats decoded to float32 in corgi's engine (so only the
# weights differ). Prints a table of mean KL per seed and the means. Run with --help.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: tools/bench/q4-seeds.sh [options]

For each seed N:
  1. tools/bench/llama-kl.sh --seed N --types Q4_K_M     (llama.cpp's KL of Q4_K_M, its engine)
  2. tools/quant/decode-gguf.py: Q4_K_M decoded to a float32 checkpoint
  3. corgi quantize --type q4 (and --type q4 --decoded)
  4. corgi bench accuracy --text CORPUS --ctx 512 --chunks 6 for corgi-q4, decoded-q4 and
     decoded-Q4_K_M against the float checkpoint (the positions llama-perplexity scores)

options:
  --seeds LIST        make-model seeds (default: 0,1,2,3,4)
  --preset NAME       (default: small)
  --logit-std S       make-model --logit-std S (default: 0)
  --corgi-build DIR   (default: build)
  --threads N         (default: 2)
  --work-dir, --llama-bin, --llama-src, --python   as for llama-compare.sh
  -h, --help          this text
EOF
}

source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/llama-common.sh"

seeds="0,1,2,3,4" preset=small logit_std=0 corgi_build=build threads=2
while (($#)); do
  [[ $# -ge 2 || ! "$1" =~ ^--(seeds|preset|logit-std|corgi-build|threads|work-dir|llama-bin|llama-src|python)$ ]] ||
    die "$1 needs a value"
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --seeds) seeds=$2; shift ;;
    --preset) preset=$2; shift ;;
    --logit-std) logit_std=$2; shift ;;
    --corgi-build) corgi_build=$2; shift ;;
    --threads) threads=$2; shift ;;
    --work-dir) LLAMA_CMP_WORK=$2; shift ;;
    --llama-bin) LLAMA_BIN=$2; shift ;;
    --llama-src) LLAMA_SRC=$2; shift ;;
    --python) LLAMA_PYTHON=$2; shift ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: $threads"
check_corgi "$corgi_build"
check_converter
corpus="$BENCH_DIR/data/kl-corpus.txt"
rows=()
IFS=, read -r -a seed_list <<< "$seeds"
for seed in "${seed_list[@]}"; do
  [[ "$seed" =~ ^[0-9]+$ ]] || die "not a seed: $seed"
  prepare_checkpoint "$preset" "$seed" "$logit_std"  # sets PREP
  llama_json="$PREP/kl/q4-seeds-llama.json"
  mkdir -p "$PREP/kl"
  "$BENCH_DIR/llama-kl.sh" --corgi-build "$corgi_build" --preset "$preset" --seed "$seed" --logit-std "$logit_std" \
    --types Q4_K_M --threads "$threads" --work-dir "$LLAMA_CMP_WORK" --llama-bin "$LLAMA_BIN" \
    --llama-src "$LLAMA_SRC" --python "$LLAMA_PYTHON" --out "$llama_json" >&2
  if [[ ! -d "$PREP/decoded-Q4_K_M" ]]; then
    log "decoding Q4_K_M -> $PREP/decoded-Q4_K_M"
    run_logged "$PREP/logs/decode-gguf.log" "$LLAMA_PYTHON" "$REPO_ROOT/tools/quant/decode-gguf.py" \
      --gguf "$PREP/Q4_K_M.gguf" --model "$PREP/model" --out "$PREP/decoded-Q4_K_M.partial" --gguf-py "$LLAMA_SRC/gguf-py"
    mv "$PREP/decoded-Q4_K_M.partial" "$PREP/decoded-Q4_K_M"
  fi
  prepare_corgi_quant q4
  if [[ ! -d "$PREP/decoded-q4" ]]; then
    run_logged "$PREP/logs/quantize-decoded-q4.log" "$CORGI" quantize "$PREP/model" "$PREP/decoded-q4.partial" --type q4 --decoded
    mv "$PREP/decoded-q4.partial" "$PREP/decoded-q4"
  fi
  for q in corgi-q4 decoded-q4 decoded-Q4_K_M; do
    log "corgi bench accuracy: $q (seed $seed)"
    "$CORGI" bench accuracy -m "$PREP/model" --quantized "$PREP/$q" --text "$corpus" --ctx 512 --chunks 6 \
      -t "$threads" > "$PREP/kl/q4-seeds-$q.json" 2> "$PREP/logs/accuracy-$q.log" ||
      die "corgi bench accuracy failed for $q (log: $PREP/logs/accuracy-$q.log)"
  done
  rows+=("$seed $PREP")
done
python3 - "${rows[@]}" <<'PY'
import json, sys
print("seed  corgi q4 / Q4_K_M, own engines      decoded, corgi's engine")
sums = [0.0] * 4
for row in sys.argv[1:]:
    seed, prep = row.split(" ", 1)
    kl = lambda q: json.load(open(f"{prep}/kl/q4-seeds-{q}.json"))["kl_mean"]
    llama = json.load(open(f"{prep}/kl/q4-seeds-llama.json"))["formats"]["Q4_K_M"]["mean_kld"]
    v = [kl("corgi-q4"), llama, kl("decoded-q4"), kl("decoded-Q4_K_M")]
    sums = [a + b for a, b in zip(sums, v)]
    print(f"{seed:>4}  {v[0]:.6g} / {v[1]:.6g}{'':14}{v[2]:.6g} / {v[3]:.6g}")
n = len(sys.argv) - 1
m = [s / n for s in sums]
print(f"mean  {m[0]:.6g} / {m[1]:.6g} ({100 * (m[0] / m[1] - 1):+.1f} %)   {m[2]:.6g} / {m[3]:.6g} ({100 * (m[2] / m[3] - 1):+.1f} %)")
PY
