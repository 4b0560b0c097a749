#include "corgi/model/qwen3vl/model.h"

#include <algorithm>
#include <filesystem>

#include "corgi/backend/ops.h"
#include "corgi/core/log.h"
#include "corgi/core/mapped_file.h"
#include "corgi/model/preprocess_params.h"
#include "corgi/model/qwen3vl/text.h"
#include "corgi/model/qwen3vl/vision.h"

namespace corgi::qwen3vl {

namespace {

// False only when nothing is at `path`: a dangling or looping symlink, or a path that cannot
// be checked, counts as present, so that reading it reports what is wrong instead of the
// file being taken as absent. Never throws.
bool Present(const std::string& path) {
  std::error_code ec;
  return std::filesystem::symlink_status(path, ec).type() != std::filesystem::file_type::not_found;
}

}  // namespace

StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFoundError("model directory '" + dir + "' does not exist");
  std::unique_ptr<Model> m(new Model());
  m->directory_ = dir;
  CORGI_ASSIGN_OR_RETURN(m->config_, LoadModelConfig(dir + "/config.json"));
  if (Present(dir + "/preprocessor_config.json")) {
    CORGI_ASSIGN_OR_RETURN(m->preprocessor_, LoadPreprocessorConfig(dir + "/preprocessor_config.json"));
  } else {
    // Not an error (some exports omit it), but the image size bounds and normalization then
    // come from Qwen3-VL's defaults, which a different checkpoint may not share.
    CORGI_LOG(WARNING) << "model directory '" << dir
                       << "' has no preprocessor_config.json; using the Qwen3-VL defaults (min_pixels "
                       << m->preprocessor_.min_pixels << ", max_pixels " << m->preprocessor_.max_pixels
                       << ", patch_size " << m->preprocessor_.patch_size << ")";
  }
  if (Present(dir + "/generation_config.json")) {
    CORGI_ASSIGN_OR_RETURN(m->generation_, LoadGenerationConfig(dir + "/generation_config.json"));
  }
  if (m->generation_.eos_token_ids.empty()) m->generation_.eos_token_ids = {151645, 151643};
  CORGI_ASSIGN_OR_RETURN(Tokenizer tok, Tokenizer::Load(dir));
  m->tokenizer_ = std::make_unique<Tokenizer>(std::move(tok));
  CORGI_ASSIGN_OR_RETURN(m->store_, TensorStore::Open(dir));
  CORGI_ASSIGN_OR_RETURN(m->weights_, BindWeights(m->store_, m->config_));
  if (m->config_.vision.out_hidden_size != m->config_.text.hidden_size) {
    return InvalidArgumentError("config.json: vision out_hidden_size differs from the text hidden size");
  }
  const TextConfig& t = m->config_.text;
  m->text_shape_ = {t.hidden_size, t.vocab_size, t.num_hidden_layers, t.num_key_value_heads, t.head_dim,
                    t.max_position_embeddings};
  m->sampleable_vocab_ =
      static_cast<int32_t>(std::min<int64_t>(m->tokenizer_->vocab_size(), m->config_.text.vocab_size));

  Hasher h;
  CORGI_ASSIGN_OR_RETURN(std::string config_text, ReadFileToString(dir + "/config.json"));
  h.Update(config_text);
  for (const TensorInfo& t : m->store_.tensors()) {
    h.Update(t.name);
    h.Update(DTypeName(t.dtype));
    h.UpdatePod(t.bytes);
  }
  m->identity_ = h.Finish();
  return m;
}

Status Model::Embed(std::span<const int32_t> ids, float* out, ThreadPool* pool) const {
  return ops::EmbeddingLookup(weights_.text.embed_tokens, ids.data(), static_cast<int64_t>(ids.size()), out,
                              pool);
}

StatusOr<std::vector<int32_t>> Model::RenderChat(std::span<const ChatMessage> messages) const {
  return ApplyChatTemplate(*tokenizer_, messages);
}

StatusOr<TextPositions> Model::ComputePositions(std::span<const int32_t> tokens,
                                                std::span<const ImageGrid> grids) const {
  return ComputeMropePositions(tokens, image_token_id(), grids, config_.vision.spatial_merge_size);
}

StatusOr<VisionPreprocessParams> Model::PreprocessParams() const {
  return PreprocessParamsFor(preprocessor_, VisionPreprocessParams::Qwen3Vl());
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
