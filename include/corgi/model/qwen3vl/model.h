// A loaded Qwen3-VL checkpoint: configs, tokenizer and mmap'd weights, and the family's
// side of the engine seam (corgi::LoadedModel). Other layers load it through
// corgi::LoadModel (model/registry.h) and never name this class.
//
//   StatusOr<std::unique_ptr<Model>> model = Model::Load("/models/qwen3-vl-2b");
//   VisionOutput img = *(*model)->EncodeImages(pixels, grids, pool, nullptr);
//
// Immutable after Load and safe to share across threads; all mutable inference state
// (KV caches, scratch) belongs to the caller (the engine).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "corgi/core/hash.h"
#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/io/safetensors.h"
#include "corgi/model/checkpoint_files.h"
#include "corgi/model/loaded_model.h"
#include "corgi/model/weight_binding.h"
#include "corgi/model/qwen3vl/config.h"
#include "corgi/model/qwen3vl/weights.h"
#include "corgi/tokenizer/tokenizer.h"

namespace corgi::qwen3vl {

class Model final : public LoadedModel {
 public:
  // Reads config.json, preprocessor_config.json (defaults when absent, with a logged warning),
  // generation_config.json (EOS from config when absent), tokenizer.json and the
  // safetensors; checks every tensor against the weight table. Errors name the file
  // or tensor at fault.
  static StatusOr<std::unique_ptr<Model>> Load(const std::string& dir, const LoadOptions& options = {});

  const ModelConfig& config() const { return config_; }
  const Weights& weights() const { return weights_; }

  // corgi::LoadedModel.
  const std::string& model_type() const override { return config_.model_type; }
  const std::string& directory() const override { return files_.directory; }
  const Hash128& identity() const override { return files_.identity; }
  const Tokenizer& tokenizer() const override { return *files_.tokenizer; }
  const GenerationConfig& generation() const override { return files_.generation; }
  const PreprocessorConfig& preprocessor() const override { return files_.preprocessor; }
  int32_t sampleable_vocab() const override { return files_.sampleable_vocab; }
  const TextShape& text_shape() const override { return text_shape_; }
  // Qwen3-VL writes boxes as integers 0..1000 relative to the image.
  GroundingSpace grounding_space() const override { return GroundingSpace::kRelative1000; }
  int32_t image_token_id() const override { return static_cast<int32_t>(config_.image_token_id); }
  // The Qwen3-VL-Instruct template: no default system prompt.
  StatusOr<std::vector<int32_t>> RenderChat(std::span<const ChatMessage> messages) const override;
  StatusOr<TextPositions> ComputePositions(std::span<const int32_t> tokens,
                                           std::span<const ImageGrid> grids) const override;
  StatusOr<VisionPreprocessParams> PreprocessParams() const override;
  Status Embed(std::span<const int32_t> ids, float* out, ThreadPool* pool) const override;
  // Stages: see vision.h (EncodeImages) and text.h (ForwardText).
  StatusOr<VisionOutput> EncodeImages(const float* pixel_values, std::span<const ImageGrid> grids,
                                      ThreadPool* pool, const StageObserver* observer) const override;
  std::unique_ptr<corgi::TextScratch> NewTextScratch() const override;
  Status ForwardText(const TextBatch& batch, KvPagePool* kv, corgi::TextScratch* scratch, float* logits,
                     ThreadPool* pool, const StageObserver* observer) const override;
  const std::string& weight_formats() const override { return weight_formats_; }
  int64_t DecodeWeightBytes() const override;

 private:
  Model() = default;
  CheckpointFiles files_;
  ModelConfig config_;
  Weights weights_;  // views into files_.store
  TextShape text_shape_;
  std::vector<AlignedBuffer> owned_weights_;  // load-time quantized weights (weights_ points here)
  std::string weight_formats_;
};

}  // namespace corgi::qwen3vl
