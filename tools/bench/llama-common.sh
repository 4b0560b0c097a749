# Shared by llama-compare.sh and llama-kl.sh (sourced, not run): tool lookup and the cached
# preparation of one synthetic checkpoint for both engines.
#
# Cache layout, per preset and seed:  $WORK/PRESET-seedN/  (PRESET-seedN-lsS with make-model --logit-std S)
#   model/                  corgi make-model --preset PRESET --seed N --dtype bf16
#   f32.gguf  bf16.gguf     convert_hf_to_gguf.py --outtype f32 / bf16 (text model)
#   Q8_0.gguf Q4_K_M.gguf   llama-quantize from f32.gguf
#   mmproj-TYPE.gguf        convert_hf_to_gguf.py --mmproj --outtype TYPE (vision tower + merger)
#   corgi-q8/ corgi-q4/     corgi quantize model corgi-qN --type qN
#   logs/                   the log of every step
# Each file is written under a temporary name and renamed when complete, so an interrupted run
# leaves nothing that looks finished. Delete a file to rebuild it.

LLAMA_BIN=${LLAMA_BIN:-/work/llama/build/bin}
LLAMA_SRC=${LLAMA_SRC:-/work/llama/llama_cpp_python-0.3.36/vendor/llama.cpp}
LLAMA_PYTHON=${LLAMA_PYTHON:-/work/llama/venv/bin/python}
LLAMA_CMP_WORK=${LLAMA_CMP_WORK:-/work/llama/gguf}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/../.." && pwd)
HELPER="$BENCH_DIR/llama_compare.py"

die() { echo "error: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

need_exec() {  # need_exec PATH WHAT HINT
  [[ -x "$1" ]] || die "$2 not found at $1${3:+ ($3)}"
}

# Checks the llama.cpp tools named in "$@" (llama-bench, ...) and sets LLAMA_COMMIT / LLAMA_BUILD_FLAGS.
check_llama() {
  local t
  for t in "$@"; do
    need_exec "$LLAMA_BIN/$t" "$t" "set LLAMA_BIN or --llama-bin to llama.cpp's build/bin; build it with: ninja -C BUILD $t"
  done
  LLAMA_COMMIT=$("$LLAMA_BIN/$1" --version 2>&1 | sed -n 's/.*commit \([0-9a-f]*\).*/\1/p' | head -1)
  LLAMA_COMMIT=${LLAMA_COMMIT:-unknown}
  local cache="$LLAMA_BIN/../CMakeCache.txt"
  if [[ -f "$cache" ]]; then
    LLAMA_BUILD_FLAGS=$(grep -E '^(CMAKE_BUILD_TYPE|GGML_NATIVE|GGML_AMX_[A-Z0-9]+|GGML_AVX512[A-Z0-9_]*|GGML_CPU_REPACK|GGML_OPENMP|BUILD_SHARED_LIBS):' "$cache" \
      | sed 's/:[A-Z]*=/=/' | tr '\n' ' ' | sed 's/ $//')
  else
    LLAMA_BUILD_FLAGS="(no CMakeCache.txt next to $LLAMA_BIN)"
  fi
}

check_converter() {
  [[ -f "$LLAMA_SRC/convert_hf_to_gguf.py" ]] || die "convert_hf_to_gguf.py not in $LLAMA_SRC (set LLAMA_SRC or --llama-src)"
  need_exec "$LLAMA_PYTHON" "python for the converter" "set LLAMA_PYTHON or --python; it needs torch, transformers, gguf"
}

check_corgi() {  # check_corgi BUILD_DIR -> CORGI
  CORGI="$1/src/apps/corgi"
  need_exec "$CORGI" "corgi" "build it: ninja -C $1 corgi"
  # the commit of the tree the build came from (its CMakeCache), not necessarily this script's
  local src
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$1/CMakeCache.txt" 2>/dev/null || true)
  CORGI_COMMIT=$(git -C "${src:-$REPO_ROOT}" rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [[ -n "$src" ]] && ! git -C "$src" diff --quiet HEAD -- src include 2>/dev/null; then
    CORGI_COMMIT+="+local-changes"
  fi
}

# "Model name (vendor, family F, model M)": some VMs report only "AMD EPYC"; family/model tell the generation.
cpu_model() {
  local l
  l=$(lscpu 2>/dev/null) || { echo unknown; return; }
  printf '%s (%s, family %s, model %s, %s CPUs)' \
    "$(sed -n 's/^Model name:[[:space:]]*//p' <<< "$l" | head -1)" "$(sed -n 's/^Vendor ID:[[:space:]]*//p' <<< "$l" | head -1)" \
    "$(sed -n 's/^CPU family:[[:space:]]*//p' <<< "$l" | head -1)" "$(sed -n 's/^Model:[[:space:]]*//p' <<< "$l" | head -1)" \
    "$(sed -n 's/^CPU(s):[[:space:]]*//p' <<< "$l" | head -1)"
}

# Runs "$@" with its output in LOG; on failure shows the tail of the log.
run_logged() {
  local logf=$1; shift
  mkdir -p "$(dirname "$logf")"
  echo "+ $*" > "$logf"
  if ! "$@" >> "$logf" 2>&1; then
    tail -20 "$logf" >&2
    die "failed: $* (log: $logf)"
  fi
}

# prepare_checkpoint PRESET SEED [LOGIT_STD] -> sets PREP (the cache folder) and makes the corgi
# checkpoint. A LOGIT_STD other than 0 (make-model --logit-std: peaked next-token distributions)
# gets its own folder PRESET-seedN-lsS.
prepare_checkpoint() {
  local ls=${3:-0} extra=()
  PREP="$LLAMA_CMP_WORK/$1-seed$2"
  if [[ "$ls" != 0 ]]; then
    PREP+="-ls$ls"
    extra=(--logit-std "$ls")
  fi
  mkdir -p "$PREP/logs"
  if [[ ! -f "$PREP/model/config.json" ]]; then
    log "making the $1 checkpoint (seed $2${extra[*]:+, ${extra[*]}}) in $PREP/model"
    rm -rf "$PREP/model.partial"
    run_logged "$PREP/logs/make-model.log" "$CORGI" make-model --preset "$1" --seed "$2" --dtype bf16 \
      ${extra[@]+"${extra[@]}"} "$PREP/model.partial"
    mv "$PREP/model.partial" "$PREP/model"
  fi
}

# prepare_gguf f32|bf16 -> $PREP/TYPE.gguf (text model)
prepare_gguf() {
  local out="$PREP/$1.gguf"
  [[ -f "$out" ]] && return 0
  check_converter
  log "converting to $out"
  run_logged "$PREP/logs/convert-$1.log" "$LLAMA_PYTHON" "$LLAMA_SRC/convert_hf_to_gguf.py" "$PREP/model" \
    --outtype "$1" --outfile "$PREP/$1.partial.gguf"
  mv "$PREP/$1.partial.gguf" "$out"
}

# prepare_mmproj f32|bf16|f16|q8_0 -> $PREP/mmproj-TYPE.gguf
prepare_mmproj() {
  local out="$PREP/mmproj-$1.gguf"
  [[ -f "$out" ]] && return 0
  check_converter
  log "converting the vision tower to $out"
  run_logged "$PREP/logs/convert-mmproj-$1.log" "$LLAMA_PYTHON" "$LLAMA_SRC/convert_hf_to_gguf.py" "$PREP/model" \
    --mmproj --outtype "$1" --outfile "$PREP/mmproj-$1.partial.gguf"
  mv "$PREP/mmproj-$1.partial.gguf" "$out"
}

# prepare_quant Q8_0|Q4_K_M -> $PREP/TYPE.gguf, quantized from the f32 GGUF
prepare_quant() {
  local out="$PREP/$1.gguf"
  [[ -f "$out" ]] && return 0
  prepare_gguf f32
  need_exec "$LLAMA_BIN/llama-quantize" "llama-quantize" "ninja -C BUILD llama-quantize"
  log "quantizing to $out"
  run_logged "$PREP/logs/quantize-$1.log" "$LLAMA_BIN/llama-quantize" "$PREP/f32.gguf" "$PREP/$1.partial.gguf" "$1" 2
  mv "$PREP/$1.partial.gguf" "$out"
}

# prepare_corgi_quant q8|q4 -> $PREP/corgi-TYPE/
prepare_corgi_quant() {
  local out="$PREP/corgi-$1"
  # A cached copy this corgi cannot load (an older packed layout) is rebuilt.
  if [[ -f "$out/config.json" ]]; then
    "$CORGI" inspect -m "$out" > /dev/null 2>&1 && return 0
    log "$out does not load with this corgi (an older format_version?): quantizing again"
    rm -rf "$out"
  fi
  "$CORGI" quantize --help > /dev/null 2>&1 || die "this corgi ($CORGI) has no 'quantize' command; use --llama-only or a newer build"
  log "corgi quantize -> $out"
  rm -rf "$out.partial"
  run_logged "$PREP/logs/corgi-quantize-$1.log" "$CORGI" quantize "$PREP/model" "$out.partial" --type "$1"
  mv "$out.partial" "$out"
}
