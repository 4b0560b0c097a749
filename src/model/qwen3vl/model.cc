#include "corgi/model/qwen3vl/model.h"

#include "corgi/backend/ops.h"
#include "corgi/model/preprocess_params.h"
#include "corgi/model/qwen3vl/presets.h"
#include "corgi/model/qwen3vl/text.h"
#include "corgi/model/qwen3vl/vision.h"
#include "corgi/model/qwen3vl/weights_table.h"

namespace corgi::qwen3vl {

StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& dir, const LoadOptions& options) {
  CORGI_RETURN_IF_ERROR(CheckModelDirectory(dir));
  std::unique_ptr<Model> m(new Model());
  CORGI_ASSIGN_OR_RETURN(m->config_, LoadModelConfig(dir + "/config.json"));
  CheckpointDefaults defaults;
  defaults.family = "Qwen3-VL";
  defaults.preprocessor = DefaultPreprocessorConfig();
  CORGI_ASSIGN_OR_RETURN(m->files_, OpenCheckpointFiles(dir, defaults, m->config_.text.vocab_size));
  CORGI_ASSIGN_OR_RETURN(std::unique_ptr<WeightBinder> binder,
                         WeightBinder::ForCheckpoint(dir, m->files_.store, FindWeight, options,
                                                     m->config_.text.num_hidden_layers));
  CORGI_ASSIGN_OR_RETURN(m->weights_, BindWeights(m->files_.store, m->config_, binder.get()));
  binder->Finish(&m->owned_weights_, &m->weight_formats_, &m->files_.identity);
  const TextConfig& t = m->config_.text;
  m->text_shape_ = {t.hidden_size, t.vocab_size, t.num_hidden_layers, t.num_key_value_heads, t.head_dim,
                    t.max_position_embeddings};
  return m;
}

Status Model::Embed(std::span<const int32_t> ids, float* out, ThreadPool* pool) const {
  return ops::EmbeddingLookup(weights_.text.embed_tokens, ids.data(), static_cast<int64_t>(ids.size()), out,
                              pool);
}

StatusOr<std::vector<int32_t>> Model::RenderChat(std::span<const ChatMessage> messages) const {
  return ApplyChatTemplate(*files_.tokenizer, messages);
}

StatusOr<TextPositions> Model::ComputePositions(std::span<const int32_t> tokens,
                                                std::span<const ImageGrid> grids) const {
  return ComputeMropePositions(tokens, image_token_id(), grids, config_.vision.spatial_merge_size);
}

StatusOr<VisionPreprocessParams> Model::PreprocessParams() const {
  return PreprocessParamsFor(files_.preprocessor, VisionPreprocessParams::Qwen3Vl());
}

StatusOr<VisionOutput> Model::EncodeImages(const float* pixel_values, std::span<const ImageGrid> grids,
                                           ThreadPool* pool, const StageObserver* observer) const {
  return qwen3vl::EncodeImages(config_, weights_.vision, pixel_values, grids, pool, observer);
}

std::unique_ptr<corgi::TextScratch> Model::NewTextScratch() const { return std::make_unique<TextScratch>(); }

Status Model::ForwardText(const TextBatch& batch, KvPagePool* kv, corgi::TextScratch* scratch, float* logits,
                          ThreadPool* pool, const StageObserver* observer) const {
  auto* own = dynamic_cast<TextScratch*>(scratch);
  if (own == nullptr) return InvalidArgumentError("ForwardText: a scratch of another model family");
  return qwen3vl::ForwardText(config_, weights_.text, batch, kv, own, logits, pool, observer);
}

int64_t Model::DecodeWeightBytes() const { return DecodeStepWeightBytes(weights_.text); }

}  // namespace corgi::qwen3vl
