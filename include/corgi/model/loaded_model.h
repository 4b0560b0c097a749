// The seam between the engine and a model family (DESIGN.md "Model families"): a loaded
// checkpoint of any supported family, with everything the engine needs to run it —
// prompt preparation (chat template, image placeholders, 3-axis positions), image
// encoding (preprocessing parameters, the vision forward, what the vision cache keeps),
// the text forward over the paged KV cache, and the grounding space of its boxes.
//
//   StatusOr<std::unique_ptr<LoadedModel>> model = LoadModel("/models/qwen2.5-vl-7b");
//   auto engine = Engine::Create(model->get(), EngineOptions{});
//
// A family implements this in its own folder (model/qwen3vl/, model/qwen2_5vl/) and is
// listed once in model/registry.cc. The engine never names a family.
//
// Immutable after loading and safe to share across threads: every method is const and
// may be called concurrently, except that one TextScratch/KvPagePool is used by one
// caller at a time. Failures are Status values; nothing aborts on user input.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "corgi/core/hash.h"
#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/image/preprocess.h"
#include "corgi/io/checkpoint_configs.h"
#include "corgi/model/image_grid.h"
#include "corgi/model/kv_pages.h"
#include "corgi/model/mrope_positions.h"
#include "corgi/core/stage_observer.h"
#include "corgi/model/text_batch.h"
#include "corgi/model/vision_output.h"
#include "corgi/request/grounding_space.h"
#include "corgi/tokenizer/chat_template.h"
#include "corgi/tokenizer/tokenizer.h"

namespace corgi {

// The text decoder's shape as the engine sizes caches and buffers by it.
struct TextShape {
  int64_t hidden = 0;    // D: width of embeddings and image features
  int64_t vocab = 0;     // V: embedding rows = logits per row (padded beyond the tokenizer)
  int64_t layers = 0;    // decoder layers (KV per layer)
  int64_t kv_heads = 0;  // key/value heads
  int64_t head_dim = 0;
  int64_t max_positions = 0;  // max_position_embeddings
  int64_t kv_row_width() const { return kv_heads * head_dim; }
};

class LoadedModel {
 public:
  virtual ~LoadedModel() = default;

  // Identity and files.
  virtual const std::string& model_type() const = 0;  // config.json's, e.g. "qwen3_vl"
  virtual const std::string& directory() const = 0;
  // A hash of config.json and the safetensors headers (cache keys).
  virtual const Hash128& identity() const = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  virtual const GenerationConfig& generation() const = 0;
  virtual const PreprocessorConfig& preprocessor() const = 0;
  // Token ids >= this are padding rows of the embedding, never sampled.
  virtual int32_t sampleable_vocab() const = 0;
  virtual const TextShape& text_shape() const = 0;
  virtual GroundingSpace grounding_space() const = 0;

  // Prompt preparation. The id every image placeholder token has.
  virtual int32_t image_token_id() const = 0;
  // The family's chat template: messages (images as placeholder counts) to token ids.
  // User text is always plain text. Errors as ApplyChatTemplate's.
  virtual StatusOr<std::vector<int32_t>> RenderChat(std::span<const ChatMessage> messages) const = 0;
  // 3-axis positions of a rendered prompt whose image runs match `grids` in order.
  virtual StatusOr<TextPositions> ComputePositions(std::span<const int32_t> tokens,
                                                   std::span<const ImageGrid> grids) const = 0;
  // The image preprocessing this checkpoint expects (its preprocessor_config.json).
  // Unimplemented for settings the image layer cannot honor.
  virtual StatusOr<VisionPreprocessParams> PreprocessParams() const = 0;

  // out [n, D] = embedding rows of `ids`. InvalidArgument for ids outside the vocabulary.
  virtual Status Embed(std::span<const int32_t> ids, float* out, ThreadPool* pool) const = 0;

  // Encodes images whose patches are concatenated in `pixel_values` [Np, C*T*P*P]
  // (merge-block order per image, images in prompt order; Np = Σ grids[i].patches()).
  // InvalidArgument when a grid does not fit the model (not divisible by the merge size).
  virtual StatusOr<VisionOutput> EncodeImages(const float* pixel_values, std::span<const ImageGrid> grids,
                                              ThreadPool* pool, const StageObserver* observer) const = 0;

  // A scratch for ForwardText; one per concurrent caller.
  virtual std::unique_ptr<TextScratch> NewTextScratch() const = 0;
  // Runs the decoder over `batch`, appending each segment's rows to its sequence in `kv`
  // (a pool made with text_shape()'s layers and kv_row_width()). Writes logits
  // [logit_rows.size(), V]. FailedPrecondition when a sequence's pages lack room;
  // InvalidArgument for an empty batch or a sequence listed twice.
  virtual Status ForwardText(const TextBatch& batch, KvPagePool* kv, TextScratch* scratch, float* logits,
                             ThreadPool* pool, const StageObserver* observer) const = 0;

  // The formats the weights run in, by bytes: "BF16 4.26 GB, F32 0.01 GB",
  // "Q4 0.79 GB, Q8 0.33 GB, ..." (weight_binding.h DescribeFormats).
  virtual const std::string& weight_formats() const = 0;

  // Bytes of weights one decode step reads (decoder linears, final norm, lm_head): the
  // numerator of `bench`'s decode efficiency.
  virtual int64_t DecodeWeightBytes() const = 0;
};

}  // namespace corgi
