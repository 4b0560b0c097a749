#!/usr/bin/env bash
# corgi and llama.cpp side by side on one synthetic Qwen3-VL checkpoint (issue 13, "Speed").
# Run with --help for the options; docs/PERFORMANCE.md "Side by side with llama.cpp" says what is
# measured and why.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: tools/bench/llama-compare.sh [options]

Makes a synthetic checkpoint with corgi (cached), converts it with llama.cpp's own
convert_hf_to_gguf.py (text GGUF + mmproj) and llama-quantize (cached), then runs both
engines alternately, N pairs, and prints each pair's values and ratios, the medians and the
setup; the same goes to JSON.

Measured per pair (same thread count for both):
  pp512            llama-bench -p 512 -n 0 -r 1        | corgi bench model --prefill 16,512 (the 512 entry)
  tg128            llama-bench -n 128 -p 0 -r 1        | corgi bench model --decode-batches 1
                                                         --decode-context 1 --decode-tokens 128
  image_encode     "mtmd batch encoding done" of the    | corgi bench model --images 64x64,WxH
                   image question below                  (the WxH entry; 64x64 warms the weights)
  image_question   llama-mtmd-cli --image -p -n N       | corgi generate --image --prompt --max-tokens N
                   wall time of the whole process (load included), greedy, EOS ignored, -c 4096
  peak_rss         /usr/bin/time -v of the image question

options:
  --corgi-build DIR   corgi build folder (default: build; the binary is DIR/src/apps/corgi)
  --preset NAME       make-model preset: small, 2b, 4b, ... (default: 2b; tiny crashes llama.cpp)
  --seed N            make-model seed (default: 0)
  --logit-std S       make-model --logit-std S: peaked next-token distributions like a trained
                      model's (default: 0, off); cached in PRESET-seedN-lsS
  --format F          pair: bf16 (corgi bf16 vs BF16), q8 (vs Q8_0), q4 (vs Q4_K_M) (default: q8)
  --pairs N           alternating pairs (default: 3)
  --threads N         threads for both engines (default: 2)
  --image PATH        image for the encode and the question
                      (default: ../shared/data/images/llama_cpp_mtmd/test-1.jpeg, 640x488 -> 300 tokens)
  --prompt TEXT       question text (default: "Describe this image.")
  --gen-tokens N      tokens generated in the image question (default: 32)
  --mmproj-type T     llama.cpp vision weights: f32, bf16, f16, q8_0
                      (default: bf16 for --format bf16, q8_0 for q8 and q4)
  --no-repack         run llama.cpp with weight repacking off (--repack 0 / --no-repack); only where
                      its default path crashes on the machine
  --llama-env K=V     environment for the llama.cpp runs only (repeatable), e.g. OMP_WAIT_POLICY=passive
                      when the machine is shared: its OpenMP threads spin at every barrier by default
  --corgi-weights M   dir: load a `corgi quantize`d checkpoint (default); flag: --weights qN at load
  --llama-only        run only llama.cpp's side (corgi's ratios stay empty)
  --steps LIST        subset of pp,tg,img,ask (default: all; llama.cpp's encode time comes from ask)
  --prepare-only      make and convert the files, run nothing
  --work-dir DIR      cache (default: $LLAMA_CMP_WORK or /work/llama/gguf)
  --llama-bin DIR     llama.cpp binaries (default: $LLAMA_BIN or /work/llama/build/bin)
  --llama-src DIR     llama.cpp source with convert_hf_to_gguf.py ($LLAMA_SRC)
  --python PATH       python with torch, transformers and gguf-py ($LLAMA_PYTHON or /work/llama/venv/bin/python)
  --out FILE          also write the JSON here (it is always written to the run folder)
  -h, --help          this text

Ratios: pp512/tg128 corgi tok/s ÷ llama tok/s; image_encode/image_question llama time ÷ corgi time
(> 1: corgi faster); peak_rss corgi ÷ llama (< 1: corgi smaller). Medians are of the per-pair ratios.
Odd pairs run llama.cpp first, even pairs corgi first.
EOF
}

source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/llama-common.sh"

corgi_build=build preset=2b seed=0 logit_std=0 format=q8 pairs=3 threads=2
image="$REPO_ROOT/../shared/data/images/llama_cpp_mtmd/test-1.jpeg"
prompt="Describe this image." gen_tokens=32 mmproj_type="" no_repack=0 corgi_weights=dir llama_env=()
llama_only=0 steps="pp,tg,img,ask" prepare_only=0 out=""

while (($#)); do
  [[ $# -ge 2 || ! "$1" =~ ^--(corgi-build|preset|seed|logit-std|format|pairs|threads|image|prompt|gen-tokens|mmproj-type|llama-env|corgi-weights|steps|work-dir|llama-bin|llama-src|python|out)$ ]] ||
    die "$1 needs a value"
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --corgi-build) corgi_build=$2; shift ;;
    --preset) preset=$2; shift ;;
    --seed) seed=$2; shift ;;
    --logit-std) logit_std=$2; shift ;;
    --format) format=$2; shift ;;
    --pairs) pairs=$2; shift ;;
    --threads) threads=$2; shift ;;
    --image) image=$2; shift ;;
    --prompt) prompt=$2; shift ;;
    --gen-tokens) gen_tokens=$2; shift ;;
    --mmproj-type) mmproj_type=$2; shift ;;
    --no-repack) no_repack=1 ;;
    --llama-env) [[ "$2" == *=* ]] || die "--llama-env takes KEY=VALUE"; llama_env+=("$2"); shift ;;
    --corgi-weights) corgi_weights=$2; shift ;;
    --llama-only) llama_only=1 ;;
    --steps) steps=$2; shift ;;
    --prepare-only) prepare_only=1 ;;
    --work-dir) LLAMA_CMP_WORK=$2; shift ;;
    --llama-bin) LLAMA_BIN=$2; shift ;;
    --llama-src) LLAMA_SRC=$2; shift ;;
    --python) LLAMA_PYTHON=$2; shift ;;
    --out) out=$2; shift ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done

case "$format" in
  bf16) llama_format=BF16 corgi_quant="" ;;
  q8) llama_format=Q8_0 corgi_quant=q8 ;;
  q4) llama_format=Q4_K_M corgi_quant=q4 ;;
  *) die "--format must be bf16, q8 or q4 (got '$format')" ;;
esac
[[ -n "$mmproj_type" ]] || { [[ "$format" == bf16 ]] && mmproj_type=bf16 || mmproj_type=q8_0; }
case "$mmproj_type" in f32 | bf16 | f16 | q8_0) ;; *) die "--mmproj-type must be f32, bf16, f16 or q8_0" ;; esac
case "$corgi_weights" in dir | flag) ;; *) die "--corgi-weights must be dir or flag" ;; esac
[[ "$pairs" =~ ^[1-9][0-9]*$ ]] || die "--pairs must be a positive integer"
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive integer"
[[ "$gen_tokens" =~ ^[1-9][0-9]*$ ]] || die "--gen-tokens must be a positive integer"
[[ -f "$image" ]] || die "image not found: $image"
command -v python3 > /dev/null || die "python3 not found"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (GNU time; apt-get install time)"
has_step() { [[ ",$steps," == *",$1,"* ]]; }
[[ "$steps" =~ ^(pp|tg|img|ask)(,(pp|tg|img|ask))*$ ]] || die "--steps: a comma list of pp, tg, img, ask"

check_corgi "$corgi_build"
check_llama llama-bench llama-mtmd-cli

# --- preparation (cached) ---------------------------------------------------------------
prepare_checkpoint "$preset" "$seed" "$logit_std"
if [[ "$format" == bf16 ]]; then prepare_gguf bf16; llama_gguf="$PREP/bf16.gguf"
else prepare_quant "$llama_format"; llama_gguf="$PREP/$llama_format.gguf"; fi
prepare_mmproj "$mmproj_type"
mmproj="$PREP/mmproj-$mmproj_type.gguf"

corgi_model="$PREP/model" corgi_flags=()
if [[ -n "$corgi_quant" && $llama_only == 0 ]]; then
  if [[ "$corgi_weights" == dir ]]; then
    prepare_corgi_quant "$corgi_quant"
    corgi_model="$PREP/corgi-$corgi_quant"
  else
    "$CORGI" bench model --help 2>&1 | grep -q -- '--weights' || die "this corgi's bench model has no --weights flag"
    corgi_flags=(--weights "$corgi_quant")
  fi
fi
corgi_desc="$corgi_model${corgi_flags[*]:+ ${corgi_flags[*]}}"
if ((prepare_only)); then
  log "prepared: $llama_gguf, $mmproj, corgi: $corgi_desc"
  exit 0
fi

# --- runs ------------------------------------------------------------------------------
llama_bench_flags=() llama_cli_flags=()
if ((no_repack)); then llama_bench_flags=(--repack 0) llama_cli_flags=(--no-repack); fi
img_size=$(python3 "$HELPER" imgsize "$image")
run_dir="$PREP/runs/$format-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run_dir"
meta() { printf '%s\t%s\n' "$1" "$2" >> "$run_dir/meta.tsv"; }
meta date "$(date -Iseconds)"
meta preset "$preset"
meta seed "$seed"
meta logit_std "$logit_std"
meta corgi_format "$format"
meta llama_format "$llama_format"
meta threads "$threads"
meta pairs "$pairs"
meta cpu "$(cpu_model)"
meta gcc_march_native "$(gcc -march=native -Q --help=target 2>/dev/null | sed -n 's/^[[:space:]]*-march=[[:space:]]*//p' | head -1)"
meta cpu_flags_avx512 "$(grep -o 'avx512[a-z_0-9]*\|amx[a-z_0-9]*\|avx_vnni' /proc/cpuinfo 2>/dev/null | sort -u | tr '\n' ' ')"
meta ncpu "$(nproc)"
meta loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
meta llama_commit "$LLAMA_COMMIT"
meta llama_build_flags "$LLAMA_BUILD_FLAGS"
meta llama_run_flags "$( ((no_repack)) && echo 'llama-bench --repack 0, llama-mtmd-cli --no-repack' || echo '(defaults: repack on)')${llama_env[*]:+; env ${llama_env[*]}}"
meta llama_gguf "$llama_gguf"
meta llama_mmproj "$mmproj"
meta corgi_commit "$CORGI_COMMIT"
meta corgi_weights "$( ((llama_only)) && echo '(not run)' || echo "$corgi_desc")"
meta image "$image"
meta image_size "$img_size"
meta prompt "$prompt"
meta gen_tokens "$gen_tokens"

llama_step() {  # llama_step STEP DIR
  local d=$2
  case "$1" in
    pp) env ${llama_env[@]+"${llama_env[@]}"} "$LLAMA_BIN/llama-bench" -m "$llama_gguf" -p 512 -n 0 -r 1 -t "$threads" -o json \
          ${llama_bench_flags[@]+"${llama_bench_flags[@]}"} > "$d/llama-pp.json" 2> "$d/llama-pp.err" ;;
    tg) env ${llama_env[@]+"${llama_env[@]}"} "$LLAMA_BIN/llama-bench" -m "$llama_gguf" -p 0 -n 128 -r 1 -t "$threads" -o json \
          ${llama_bench_flags[@]+"${llama_bench_flags[@]}"} > "$d/llama-tg.json" 2> "$d/llama-tg.err" ;;
    img) ;;  # llama.cpp's encode time is read from the image question's log
    ask) /usr/bin/time -v -o "$d/llama-ask.time" env ${llama_env[@]+"${llama_env[@]}"} "$LLAMA_BIN/llama-mtmd-cli" -m "$llama_gguf" --mmproj "$mmproj" \
           --image "$image" -p "$prompt" -n "$gen_tokens" --temp 0 --ignore-eos -t "$threads" -tb "$threads" \
           -c 4096 -lv 4 ${llama_cli_flags[@]+"${llama_cli_flags[@]}"} > "$d/llama-ask.out" 2> "$d/llama-ask.err" &&
         cp "$d/llama-ask.err" "$d/llama-img.err" ;;
  esac || { tail -5 "$d"/llama-"$1".err >&2 2>/dev/null; die "llama.cpp $1 failed (logs in $d)"; }
}

corgi_step() {  # corgi_step STEP DIR
  local d=$2 bench=("$CORGI" bench model -m "$corgi_model" -t "$threads" ${corgi_flags[@]+"${corgi_flags[@]}"})
  case "$1" in
    pp) "${bench[@]}" --images '' --prefill 16,512 --decode-batches '' > "$d/corgi-pp.json" 2> "$d/corgi-pp.err" ;;
    tg) "${bench[@]}" --images '' --prefill '' --decode-batches 1 --decode-context 1 --decode-tokens 128 \
          > "$d/corgi-tg.json" 2> "$d/corgi-tg.err" ;;
    img) "${bench[@]}" --images "64x64,$img_size" --prefill '' --decode-batches '' \
           > "$d/corgi-img.json" 2> "$d/corgi-img.err" ;;
    ask) /usr/bin/time -v -o "$d/corgi-ask.time" "$CORGI" generate -m "$corgi_model" \
           ${corgi_flags[@]+"${corgi_flags[@]}"} --image "$image" --prompt "$prompt" --max-tokens "$gen_tokens" \
           --ignore-eos -t "$threads" -c 4096 --json > "$d/corgi-ask.json" 2> "$d/corgi-ask.err" ;;
  esac || { tail -5 "$d/corgi-$1.err" >&2 2>/dev/null; die "corgi $1 failed (logs in $d)"; }
}

log "run folder: $run_dir"
log "llama.cpp: $llama_gguf + $mmproj; corgi: $( ((llama_only)) && echo '(not run)' || echo "$corgi_desc")"
for ((i = 1; i <= pairs; i++)); do
  d="$run_dir/pair$i"
  mkdir -p "$d"
  if ((i % 2)); then order=(llama corgi); else order=(corgi llama); fi
  ((llama_only)) && order=(llama)
  meta "order$i" "${order[*]}"
  for step in pp tg img ask; do
    has_step "$step" || continue
    for engine in "${order[@]}"; do
      log "pair $i/$pairs: $engine $step"
      "${engine}_step" "$step" "$d"
    done
  done
done
meta loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"

python3 "$HELPER" report "$run_dir" --out "$run_dir/result.json" | tee "$run_dir/table.txt"
[[ -z "$out" ]] || cp "$run_dir/result.json" "$out"
