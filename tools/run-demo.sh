#!/usr/bin/env bash
# Builds corgi, writes a tiny synthetic Qwen3-VL checkpoint (random weights) and runs it
# on a sample image and question: the checkpoint's description, the preprocessed image,
# the prompt's token ids, and a generated answer with timings. A random checkpoint
# answers noise; see README for real checkpoints.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --target corgi

corgi=build/src/apps/corgi
model=models/tiny
image=../shared/data/images/llama_cpp_mtmd/test-1.jpeg
question="What is the publisher name of the newspaper?"

[ -f "$model/config.json" ] || $corgi make-model --preset tiny --seed 0 "$model"
$corgi inspect "$model"
echo
$corgi preprocess --model "$model" --image "$image"
echo
echo "question: $question"
printf '%s' "$question" | $corgi tokenize --model "$model"
echo
$corgi generate --model "$model" --image "$image" --prompt "$question" --max-tokens 32
