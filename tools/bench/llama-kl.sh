#!/usr/bin/env bash
# llama.cpp's side of issue 13's accuracy comparison: KL divergence of Q8_0 and Q4_K_M against the
# f32 GGUF of the same synthetic checkpoint, with llama-perplexity. Run with --help.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: tools/bench/llama-kl.sh [options]

  1. llama-perplexity -m f32.gguf -f CORPUS -c 512 --chunks 6 --kl-divergence-base BASE
  2. llama-perplexity -m TYPE.gguf --kl-divergence-base BASE --kl-divergence   (TYPE: Q8_0, Q4_K_M)
  3. mean KL, 99th percentile KL, top-1 agreement ("Same top p"), RMS Δp -> JSON, and the
     token ids of every chunk (so corgi's tool can score the very same positions)

Scored positions: the corpus is tokenized as one text (no BOS for Qwen) and cut into chunks of
512 consecutive tokens; each chunk runs alone from an empty KV cache, and only the logit rows
256..510 (0-based) of each chunk count: 255 per chunk, 6 chunks = 1530 positions.

options:
  --corgi-build DIR   corgi build folder (default: build) — makes the checkpoint if not cached
  --preset NAME       make-model preset (default: small)
  --seed N            make-model seed (default: 0)
  --logit-std S       make-model --logit-std S: peaked next-token distributions like a trained
                      model's (default: 0, off); cached in PRESET-seedN-lsS
  --types LIST        quantized types to score (default: Q8_0,Q4_K_M)
  --corpus FILE       text (default: tools/bench/data/kl-corpus.txt)
  --chunks N          512-token chunks (default: 6)
  --ctx N             chunk length (default: 512)
  --threads N         (default: 2)
  --no-repack         llama-perplexity --no-repack (only where the default crashes)
  --work-dir, --llama-bin, --llama-src, --python   as for llama-compare.sh
  --out FILE          also write the JSON here
  -h, --help          this text
EOF
}

source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/llama-common.sh"

corgi_build=build preset=small seed=0 logit_std=0 types="Q8_0,Q4_K_M" corpus="$BENCH_DIR/data/kl-corpus.txt"
chunks=6 ctx=512 threads=2 no_repack=0 out=""
while (($#)); do
  [[ $# -ge 2 || ! "$1" =~ ^--(corgi-build|preset|seed|logit-std|types|corpus|chunks|ctx|threads|work-dir|llama-bin|llama-src|python|out)$ ]] ||
    die "$1 needs a value"
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --corgi-build) corgi_build=$2; shift ;;
    --preset) preset=$2; shift ;;
    --seed) seed=$2; shift ;;
    --logit-std) logit_std=$2; shift ;;
    --types) types=$2; shift ;;
    --corpus) corpus=$2; shift ;;
    --chunks) chunks=$2; shift ;;
    --ctx) ctx=$2; shift ;;
    --threads) threads=$2; shift ;;
    --no-repack) no_repack=1 ;;
    --work-dir) LLAMA_CMP_WORK=$2; shift ;;
    --llama-bin) LLAMA_BIN=$2; shift ;;
    --llama-src) LLAMA_SRC=$2; shift ;;
    --python) LLAMA_PYTHON=$2; shift ;;
    --out) out=$2; shift ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done
[[ -f "$corpus" ]] || die "corpus not found: $corpus"
for n in "$chunks" "$ctx" "$threads"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: $n"; done
command -v python3 > /dev/null || die "python3 not found"

check_corgi "$corgi_build"
check_llama llama-perplexity llama-quantize
prepare_checkpoint "$preset" "$seed" "$logit_std"
prepare_gguf f32
IFS=, read -r -a type_list <<< "$types"
for t in "${type_list[@]}"; do prepare_quant "$t"; done

extra=()
((no_repack)) && extra=(--no-repack)
out_dir="$PREP/kl/$(basename "$corpus" .txt)-c$ctx-n$chunks"
mkdir -p "$out_dir"
common=(-c "$ctx" -b "$ctx" -t "$threads" -tb "$threads" ${extra[@]+"${extra[@]}"})
base="$out_dir/f32.kld"
# The base file depends only on the f32 GGUF, the corpus and the chunking: cached.
if [[ ! -f "$base" || "$base" -ot "$PREP/f32.gguf" || "$base" -ot "$corpus" ]]; then
  log "f32 base logits -> $base"
  run_logged "$out_dir/f32.log" "$LLAMA_BIN/llama-perplexity" -m "$PREP/f32.gguf" -f "$corpus" --chunks "$chunks" \
    --kl-divergence-base "$base.partial" "${common[@]}"
  mv "$base.partial" "$base"
fi
python3 "$HELPER" kld-tokens "$base" --out "$out_dir/tokens.json" --source "$corpus"

logs=()
for t in "${type_list[@]}"; do
  log "KL divergence of $t"
  run_logged "$out_dir/$t.log" "$LLAMA_BIN/llama-perplexity" -m "$PREP/$t.gguf" --kl-divergence-base "$base" \
    --kl-divergence "${common[@]}"
  logs+=("$t=$out_dir/$t.log")
done

python3 "$HELPER" kl "${logs[@]}" --out "$out_dir/kl.json" --meta \
  "preset=$preset" "seed=$seed" "logit_std=$logit_std" "corpus=$corpus" "corpus_sha256=$(sha256sum "$corpus" | cut -d' ' -f1)" \
  "n_ctx=$ctx" "chunks=$chunks" "reference=$PREP/f32.gguf" "llama_commit=$LLAMA_COMMIT" \
  "llama_build_flags=$LLAMA_BUILD_FLAGS" "cpu=$(cpu_model)" "threads=$threads" \
  "tokens=$out_dir/tokens.json" "date=$(date -Iseconds)"
[[ -z "$out" ]] || cp "$out_dir/kl.json" "$out"
