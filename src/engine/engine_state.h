// Private: the mutable state an Engine owns, shared by engine.cc and the batch runner.
#pragma once

#include <memory>
#include <vector>

#include "corgi/engine.h"
#include "corgi/model/kv_pages.h"
#include "corgi/model/text_batch.h"
#include "engine/prefix_cache.h"
#include "engine/vision_cache.h"

namespace corgi {

struct Engine::State {
  std::unique_ptr<KvPagePool> kv;
  std::unique_ptr<PrefixCache> prefix;  // page references (+ the prefix tree when enabled)
  std::unique_ptr<VisionCache> vision;  // nullptr when disabled
  std::unique_ptr<TextScratch> scratch;  // the model family's
  std::vector<float> logits;  // [rows, V] of the latest step
  // The decode step's inputs, kept so steps do not allocate: [rows], [3, rows], [rows], [rows, D].
  std::vector<int32_t> step_tokens, step_positions;
  std::vector<int64_t> step_logit_rows;
  std::vector<float> step_embeds;
  EngineStats stats;
};

}  // namespace corgi
