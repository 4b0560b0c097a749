#include "corgi/engine.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "corgi/backend/ops.h"
#include "corgi/core/log.h"
#include "corgi/engine/prompt.h"
#include "corgi/model/qwen3vl/text.h"
#include "corgi/model/qwen3vl/vision.h"
#include "corgi/tokenizer/tokenizer.h"

namespace corgi {

using Clock = std::chrono::steady_clock;
static double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

ContentPart ContentPart::Text(std::string text) {
  ContentPart p;
  p.kind = Kind::kText;
  p.text = std::move(text);
  return p;
}
ContentPart ContentPart::Image(RgbImage image) {
  ContentPart p;
  p.kind = Kind::kImage;
  p.image = std::make_shared<const RgbImage>(std::move(image));
  return p;
}
Message Message::System(std::string text) { return Message{"system", {ContentPart::Text(std::move(text))}}; }
Message Message::User(std::vector<ContentPart> content) { return Message{"user", std::move(content)}; }
Message Message::Assistant(std::string text) { return Message{"assistant", {ContentPart::Text(std::move(text))}}; }

const char* FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kEos: return "eos";
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
  }
  return "?";
}

struct Engine::State {
  std::unique_ptr<qwen3vl::KvCache> cache;
  qwen3vl::TextScratch scratch;
  std::vector<float> logits;     // [V]
  std::vector<float> embed_row;  // [D] the decode step's input
  EngineStats stats;
};

Engine::Engine(const qwen3vl::Model* model, const EngineOptions& options)
    : model_(model), options_(options), state_(new State) {}
Engine::~Engine() = default;

StatusOr<std::unique_ptr<Engine>> Engine::Create(const qwen3vl::Model* model, const EngineOptions& options) {
  if (model == nullptr) return InvalidArgumentError("no model");
  if (options.max_context < 16) return InvalidArgumentError("max_context must be at least 16 tokens");
  if (options.prefill_chunk < 1) return InvalidArgumentError("prefill_chunk must be positive");
  if (options.min_pixels < 0 || options.max_pixels < 0) return InvalidArgumentError("pixel bounds must not be negative");
  std::unique_ptr<Engine> e(new Engine(model, options));
  CORGI_ASSIGN_OR_RETURN(e->preprocess_, PreprocessParamsFor(model->preprocessor()));
  if (options.max_pixels > 0) e->preprocess_.max_pixels = std::min(e->preprocess_.max_pixels, options.max_pixels);
  if (options.min_pixels > 0) e->preprocess_.min_pixels = options.min_pixels;
  if (e->preprocess_.min_pixels > e->preprocess_.max_pixels) {
    return InvalidArgumentError("image min_pixels (" + std::to_string(e->preprocess_.min_pixels) +
                                ") exceeds max_pixels (" + std::to_string(e->preprocess_.max_pixels) + ")");
  }
  e->pool_ = std::make_unique<ThreadPool>(static_cast<size_t>(options.threads));
  e->state_->cache = std::make_unique<qwen3vl::KvCache>(model->config().text, options.max_context);
  e->state_->logits.resize(model->config().text.vocab_size);
  e->state_->embed_row.resize(model->config().text.hidden_size);
  CORGI_LOG(INFO) << "engine: KV cache " << e->state_->cache->bytes() / 1e6 << " MB for " << options.max_context
                  << " tokens, " << e->pool_->num_threads() << " threads";
  return e;
}

EngineStats Engine::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_->stats;
}

namespace {

bool IsEos(const qwen3vl::Model& model, int32_t token) {
  const auto& eos = model.generation().eos_token_ids;
  return std::find(eos.begin(), eos.end(), token) != eos.end();
}

// Finds the earliest stop string in `text` at or after `from` bytes; npos if none.
size_t FindStop(const std::string& text, const std::vector<std::string>& stops, size_t from) {
  size_t best = std::string::npos;
  for (const std::string& s : stops) {
    if (s.empty()) continue;
    size_t start = from >= s.size() ? from - s.size() + 1 : 0;
    size_t at = text.find(s, start);
    if (at != std::string::npos && at < best) best = at;
  }
  return best;
}

// Chunked prefill emits each text stage once per chunk; this gathers the chunks' rows
// so an observer sees every stage once, over the whole prompt, in prompt order.
class ChunkedStages {
 public:
  explicit ChunkedStages(const qwen3vl::StageObserver* target) : target_(target) {
    if (target_ != nullptr)
      gather_ = [this](const std::string& name, const float* data, const Shape& shape) {
        Stage& s = stages_[name];
        if (s.rows == 0) order_.push_back(name);
        s.width = shape.rank() == 2 ? shape[1] : shape.numel();
        s.rows += shape.rank() == 2 ? shape[0] : 1;
        s.data.insert(s.data.end(), data, data + shape.numel());
      };
  }
  const qwen3vl::StageObserver* observer() const { return target_ ? &gather_ : nullptr; }
  void Flush() {
    for (const std::string& name : order_) {
      const Stage& s = stages_[name];
      qwen3vl::Observe(target_, name, s.data.data(), Shape{s.rows, s.width});
    }
  }

 private:
  struct Stage {
    int64_t rows = 0, width = 0;
    std::vector<float> data;
  };
  const qwen3vl::StageObserver* target_;
  qwen3vl::StageObserver gather_;
  std::map<std::string, Stage> stages_;
  std::vector<std::string> order_;
};

}  // namespace

StatusOr<Completion> Engine::Generate(const Request& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  const qwen3vl::Model& model = *model_;
  const ModelConfig& config = model.config();
  State& st = *state_;
  ThreadPool* pool = pool_.get();
  Completion out;
  if (request.max_tokens < 0) return InvalidArgumentError("max_tokens must not be negative");

  // 1. Images -> patches, messages -> token ids (validated before any model work).
  auto t0 = Clock::now();
  CORGI_ASSIGN_OR_RETURN(PreparedPrompt prompt, PreparePrompt(model, request.messages, preprocess_, pool));
  out.timings.preprocess_ms = MsSince(t0);
  const int64_t n = static_cast<int64_t>(prompt.tokens.size());
  out.timings.prompt_tokens = n;
  if (n >= options_.max_context) {
    return OutOfRangeError("the prompt has " + std::to_string(n) + " tokens but the context holds " +
                           std::to_string(options_.max_context) + " (raise --max-context or shrink the images)");
  }
  const int64_t budget = std::min<int64_t>(request.max_tokens, options_.max_context - n);
  std::unique_ptr<TokenMatcher> matcher;
  if (!request.constraint.empty()) {
    StatusOr<std::unique_ptr<TokenMatcher>> m = CompileConstraint(request.constraint, model.tokenizer());
    if (!m.ok()) return m.status().WithContext("constraint");
    matcher = std::move(*m);
    if (matcher->MinTokensToComplete() > budget) {
      return InvalidArgumentError("the constraint needs at least " + std::to_string(matcher->MinTokensToComplete()) +
                                  " tokens but only " + std::to_string(budget) + " may be generated");
    }
  }

  // 2. Vision tower.
  t0 = Clock::now();
  qwen3vl::VisionOutput vision;
  if (!prompt.grids.empty()) {
    CORGI_ASSIGN_OR_RETURN(vision, qwen3vl::EncodeImages(config, model.weights().vision, prompt.pixel_values.data(),
                                                         prompt.grids, pool, request.observer));
    st.stats.images_encoded += static_cast<int64_t>(prompt.grids.size());
  }
  out.timings.vision_ms = MsSince(t0);
  if (vision.tokens != static_cast<int64_t>(prompt.visual_rows.size())) {
    return InternalError("the vision tower produced " + std::to_string(vision.tokens) + " features for " +
                         std::to_string(prompt.visual_rows.size()) + " image tokens");
  }

  // 3. Embeddings with the image features spliced in, positions, chunked prefill.
  t0 = Clock::now();
  const int64_t d = config.text.hidden_size, vocab = config.text.vocab_size;
  std::vector<float> embeds(n * d);
  CORGI_RETURN_IF_ERROR(model.Embed(prompt.tokens, embeds.data(), pool));
  for (size_t r = 0; r < prompt.visual_rows.size(); ++r)
    std::copy(vision.embeds.begin() + r * d, vision.embeds.begin() + (r + 1) * d,
              embeds.begin() + prompt.visual_rows[r] * d);
  if (request.observer != nullptr) {
    std::vector<float> pos(prompt.positions.ids.begin(), prompt.positions.ids.end());
    qwen3vl::Observe(request.observer, "text.positions", pos.data(), Shape{3, n});
  }
  st.cache->set_length(0);
  ChunkedStages stages(request.observer);
  std::vector<int32_t> chunk_pos;
  std::vector<int64_t> chunk_visual;
  size_t next_visual = 0;
  for (int64_t begin = 0; begin < n; begin += options_.prefill_chunk) {
    const int64_t len = std::min(options_.prefill_chunk, n - begin);
    chunk_pos.resize(3 * len);
    for (int a = 0; a < 3; ++a)
      for (int64_t i = 0; i < len; ++i) chunk_pos[a * len + i] = prompt.positions.ids[a * n + begin + i];
    chunk_visual.clear();
    const size_t first_visual = next_visual;
    while (next_visual < prompt.visual_rows.size() && prompt.visual_rows[next_visual] < begin + len)
      chunk_visual.push_back(prompt.visual_rows[next_visual++] - begin);
    qwen3vl::TextBatch batch;
    batch.embeds = embeds.data() + begin * d;
    batch.length = len;
    batch.positions = chunk_pos.data();
    batch.visual_rows = chunk_visual;
    if (!chunk_visual.empty())
      for (const auto& ds : vision.deepstack) batch.deepstack.push_back(ds.data() + first_visual * d);
    const bool last = begin + len == n;
    batch.logits_from = last ? len - 1 : len;
    CORGI_RETURN_IF_ERROR(qwen3vl::ForwardText(config, model.weights().text, batch, st.cache.get(), &st.scratch,
                                               st.logits.data(), pool, stages.observer()));
  }
  out.timings.prefill_ms = MsSince(t0);
  stages.Flush();
  qwen3vl::Observe(request.observer, "logits.prefill_last", st.logits.data(), Shape{1, vocab});

  // 4. Decode loop.
  t0 = Clock::now();
  Sampler sampler(request.sampling);
  TokenStreamDecoder detok(&model.tokenizer(), /*skip_special=*/true);
  const int64_t sampleable = model.sampleable_vocab();
  out.finish = FinishReason::kLength;
  bool stop_string_hit = false;
  for (int64_t step = 0; step < budget; ++step) {
    if (matcher) matcher->MaskLogits(st.logits.data(), sampleable, budget - step);
    const int32_t token = sampler.Sample(st.logits.data(), sampleable);
    out.tokens.push_back(token);
    if (matcher) {
      Status accepted = matcher->Accept(token);
      if (!accepted.ok()) return InternalError("sampled a token the constraint masked: " + accepted.message());
    }
    if (!request.ignore_eos && IsEos(model, token)) {
      out.finish = FinishReason::kEos;
      break;
    }
    CORGI_ASSIGN_OR_RETURN(std::string piece, detok.Push(token));
    const size_t before = out.text.size();
    out.text += piece;
    size_t stop_at = FindStop(out.text, request.stop, before);
    if (stop_at != std::string::npos) {
      out.text.resize(stop_at);
      stop_string_hit = true;
      out.finish = FinishReason::kStop;
      if (request.on_token) request.on_token(token, out.text.size() > before ? out.text.substr(before) : "");
      break;
    }
    if (request.on_token && !request.on_token(token, piece)) {
      out.finish = FinishReason::kStop;
      break;
    }
    if (matcher && matcher->IsComplete()) {  // the grammar allows nothing more
      out.finish = FinishReason::kStop;
      break;
    }
    if (step + 1 == budget) break;
    // Next position: index + rope_delta on all three axes (spec §5.4).
    const int32_t pos = static_cast<int32_t>(st.cache->length() + prompt.positions.rope_delta);
    int32_t pos3[3] = {pos, pos, pos};
    CORGI_RETURN_IF_ERROR(model.Embed(std::span(&token, 1), st.embed_row.data(), nullptr));
    qwen3vl::TextBatch batch;
    batch.embeds = st.embed_row.data();
    batch.length = 1;
    batch.positions = pos3;
    batch.logits_from = 0;
    CORGI_RETURN_IF_ERROR(qwen3vl::ForwardText(config, model.weights().text, batch, st.cache.get(), &st.scratch,
                                               st.logits.data(), pool, nullptr));
  }
  if (!stop_string_hit) out.text += detok.Finish();
  out.timings.decode_ms = MsSince(t0);
  out.timings.generated_tokens = static_cast<int64_t>(out.tokens.size());
  st.stats.requests += 1;
  st.stats.prompt_tokens += n;
  st.stats.generated_tokens += out.timings.generated_tokens;
  return out;
}

}  // namespace corgi
