#!/usr/bin/env bash
# Builds corgi, writes a tiny synthetic Qwen3-VL checkpoint (random weights) and asks it a
# question about a sample image with the full CoRGI pipeline: reasoning steps with boxes,
# evidence from each region (captions, OCR), and a synthesized answer, written to out/demo/
# (results.json, trace.json, annotated.png, crops/, report.html).
# A random checkpoint answers noise — the point is that every stage runs and every output
# is well-formed. See README for a real checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --target corgi

corgi=build/src/apps/corgi
model=models/tiny
image=../shared/data/images/llama_cpp_mtmd/test-1.jpeg

[ -f "$model/config.json" ] || $corgi make-model --preset tiny --seed 0 "$model"
$corgi ask --model "$model" --image "$image" \
  --question "What is the publisher name of the newspaper?" --out out/demo
echo
echo "open out/demo/report.html to see the steps, regions, evidence and answer"
