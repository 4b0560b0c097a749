// Scheduler's model steps: prefill of one sequence (resuming after its cached prefix),
// sampling, prompt-lookup drafts, the batched decode step.
#include <algorithm>
#include <deque>
#include <map>

#include "corgi/backend/ops.h"
#include "engine/scheduler.h"

namespace corgi {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

bool IsEos(const LoadedModel& model, int32_t token) {
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
  explicit ChunkedStages(const StageObserver* target) : target_(target) {
    if (target_ != nullptr)
      gather_ = [this](const std::string& name, const float* data, const Shape& shape) {
        Stage& s = stages_[name];
        if (s.rows == 0) order_.push_back(name);
        s.width = shape.rank() == 2 ? shape[1] : shape.numel();
        s.rows += shape.rank() == 2 ? shape[0] : 1;
        s.data.insert(s.data.end(), data, data + shape.numel());
      };
  }
  const StageObserver* observer() const { return target_ ? &gather_ : nullptr; }
  void Flush() {
    for (const std::string& name : order_) {
      const Stage& s = stages_[name];
      Observe(target_, name, s.data.data(), Shape{s.rows, s.width});
    }
  }

 private:
  struct Stage {
    int64_t rows = 0, width = 0;
    std::vector<float> data;
  };
  const StageObserver* target_;
  StageObserver gather_;
  std::map<std::string, Stage> stages_;
  std::vector<std::string> order_;
};

}  // namespace

Status Scheduler::Prefill(Sequence& s) {
  const auto t0 = Clock::now();
  const TextShape& shape = model_.text_shape();
  const PreparedPrompt& prompt = s.prompt;
  const int64_t n = s.prompt_length(), d = shape.hidden;
  const int64_t chunk = engine_->options_.prefill_chunk;
  const StageObserver* observer = s.request->observer;
  if (observer != nullptr) {
    std::vector<float> pos(prompt.positions.ids.begin(), prompt.positions.ids.end());
    Observe(observer, "text.positions", pos.data(), Shape{3, n});
  }
  ChunkedStages stages(observer);
  const size_t levels = s.features.empty() ? 0 : s.features[0]->deepstack.size();
  std::vector<float> embeds;
  std::vector<int32_t> chunk_pos;
  std::vector<int64_t> chunk_visual;
  std::vector<std::vector<float>> deepstack(levels);
  prefill_logits_.resize(shape.vocab);
  for (int64_t begin = s.kv.length; begin < n; begin += chunk) {
    const int64_t len = std::min(chunk, n - begin), end = begin + len;
    embeds.resize(len * d);
    CORGI_RETURN_IF_ERROR(model_.Embed(std::span(prompt.tokens).subspan(begin, len), embeds.data(), engine_->pool_.get()));
    chunk_pos.resize(3 * len);
    for (int a = 0; a < 3; ++a)
      for (int64_t i = 0; i < len; ++i) chunk_pos[a * len + i] = prompt.positions.ids[a * n + begin + i];
    // Image rows: the cached (or just computed) features replace the placeholder embeddings.
    chunk_visual.clear();
    for (auto& level : deepstack) level.clear();
    for (size_t k = 0; k < prompt.images.size(); ++k) {
      const PromptImage& img = prompt.images[k];
      const ImageFeatures& f = *s.features[k];
      for (int64_t r = std::max(begin, img.first_row); r < std::min(end, img.first_row + img.tokens); ++r) {
        const int64_t j = r - img.first_row;
        std::copy_n(f.embeds.data() + j * d, d, embeds.data() + (r - begin) * d);
        chunk_visual.push_back(r - begin);
        for (size_t l = 0; l < levels; ++l)
          deepstack[l].insert(deepstack[l].end(), f.deepstack[l].data() + j * d, f.deepstack[l].data() + (j + 1) * d);
      }
    }
    TextBatch batch;
    batch.embeds = embeds.data();
    batch.positions = chunk_pos.data();
    batch.segments = {{&s.kv, len}};
    batch.visual_rows = chunk_visual;
    if (!chunk_visual.empty())
      for (const auto& level : deepstack) batch.deepstack.push_back(level.data());
    const int64_t last_row[] = {len - 1};
    if (end == n) batch.logit_rows = last_row;
    CORGI_RETURN_IF_ERROR(model_.ForwardText(batch, st_.kv.get(), st_.scratch.get(), prefill_logits_.data(),
                                             engine_->pool_.get(), stages.observer()));
  }
  stages.Flush();
  Observe(observer, "logits.prefill_last", prefill_logits_.data(), Shape{1, shape.vocab});
  s.logits = prefill_logits_.data();
  if (s.request->keep_prefill_logits) s.out.prefill_logits = prefill_logits_;
  s.out.timings.prefill_ms = MsSince(t0);
  st_.stats.prefill_ms += s.out.timings.prefill_ms;
  return Status::Ok();
}

void Scheduler::SampleNext(Sequence& s) {
  Completion& out = s.out;
  const int64_t step = static_cast<int64_t>(out.tokens.size());
  if (step >= s.budget) {
    s.done = true;
    return;
  }
  float* logits = const_cast<float*>(s.logits);
  const int64_t sampleable = model_.sampleable_vocab();
  if (s.matcher) s.matcher->MaskLogits(logits, sampleable, s.budget - step);
  const int32_t token = s.sampler->Sample(logits, sampleable);
  out.tokens.push_back(token);
  s.done = true;  // until shown otherwise
  if (s.matcher) {
    Status accepted = s.matcher->Accept(token);
    if (!accepted.ok()) return s.Fail(InternalError("sampled a token the constraint masked: " + accepted.message()));
  }
  if (!s.request->ignore_eos && IsEos(model_, token)) {
    out.finish = FinishReason::kEos;
    return;
  }
  StatusOr<std::string> piece = s.detok->Push(token);
  if (!piece.ok()) return s.Fail(piece.status());
  const size_t before = out.text.size();
  out.text += *piece;
  const size_t stop_at = FindStop(out.text, s.request->stop, before);
  if (stop_at != std::string::npos) {
    out.text.resize(stop_at);
    s.stop_string_hit = true;
    out.finish = FinishReason::kStop;
    if (s.request->on_token) s.request->on_token(token, out.text.size() > before ? out.text.substr(before) : "");
    return;
  }
  if (s.request->on_token && !s.request->on_token(token, *piece)) {
    out.finish = FinishReason::kStop;
    return;
  }
  if (s.matcher && s.matcher->IsComplete()) {  // the grammar allows nothing more
    out.finish = FinishReason::kStop;
    return;
  }
  if (step + 1 == s.budget) return;  // kLength
  s.next_token = token;
  s.done = false;
}

// The draft length adapts per sequence between 1 and lookup_draft_tokens: it starts at
// kFirstDraftLimit, doubles after a draft that held to its end, and after a miss becomes
// one more than the tokens that held. Where text repeats for long (a copied span, a loop)
// steps soon carry the longest drafts; where guesses fail a step feeds one or two extra
// rows, not lookup_draft_tokens (on a CPU every fed row costs compute).
constexpr int64_t kFirstDraftLimit = 4;

void Scheduler::Draft(Sequence& s) {
  s.draft.clear();
  if (s.draft_limit == 0) s.draft_limit = std::min(kFirstDraftLimit, engine_->options_.lookup_draft_tokens);
  // Every fed row may yield a token, so the draft stays within the budget.
  const int64_t most =
      std::min<int64_t>(s.draft_limit, s.budget - static_cast<int64_t>(s.out.tokens.size()) - 1);
  if (most <= 0) return;
  // History = prompt, then output (whose last token is next_token), then the draft itself,
  // so a continuation that runs into the end keeps repeating the matched period.
  const std::vector<int32_t>& prompt = s.prompt.tokens;
  const std::vector<int32_t>& output = s.out.tokens;
  const int64_t np = static_cast<int64_t>(prompt.size()), h = np + static_cast<int64_t>(output.size());
  auto at = [&](int64_t i) { return i < np ? prompt[i] : i < h ? output[i - np] : s.draft[i - h]; };
  for (int64_t n = 3; n >= 2; --n) {
    // The most recent earlier occurrence of the last n tokens.
    for (int64_t start = h - n - 1; start >= 0; --start) {
      int64_t j = 0;
      while (j < n && at(start + j) == at(h - n + j)) ++j;
      if (j < n) continue;
      for (int64_t i = start + n; static_cast<int64_t>(s.draft.size()) < most; ++i) s.draft.push_back(at(i));
      return;
    }
  }
}

Status Scheduler::DecodeStep(const std::vector<Sequence*>& active) {
  const TextShape& shape = model_.text_shape();
  const int64_t d = shape.hidden, v = shape.vocab;
  int64_t rows = 0;
  for (const Sequence* s : active) rows += 1 + static_cast<int64_t>(s->draft.size());
  std::vector<int32_t>& tokens = st_.step_tokens;
  std::vector<int32_t>& positions = st_.step_positions;
  std::vector<int64_t>& logit_rows = st_.step_logit_rows;
  std::vector<float>& embeds = st_.step_embeds;
  tokens.clear();
  positions.resize(3 * rows);
  logit_rows.resize(rows);
  embeds.resize(rows * d);
  TextBatch batch;
  int64_t row = 0;
  for (Sequence* s : active) {
    // Row j feeds next_token (j = 0) or draft[j - 1] at position index + rope_delta on
    // all three axes (spec §5.4).
    const int64_t fed = 1 + static_cast<int64_t>(s->draft.size());
    for (int64_t j = 0; j < fed; ++j, ++row) {
      tokens.push_back(j == 0 ? s->next_token : s->draft[j - 1]);
      const int32_t pos = static_cast<int32_t>(s->kv.length + j + s->prompt.positions.rope_delta);
      for (int a = 0; a < 3; ++a) positions[a * rows + row] = pos;
      logit_rows[row] = row;
    }
    batch.segments.push_back({&s->kv, fed});
    st_.stats.draft_tokens += fed - 1;
  }
  CORGI_RETURN_IF_ERROR(model_.Embed(tokens, embeds.data(), nullptr));
  batch.embeds = embeds.data();
  batch.positions = positions.data();
  batch.logit_rows = logit_rows;
  if (static_cast<int64_t>(st_.logits.size()) < rows * v) st_.logits.resize(rows * v);
  CORGI_RETURN_IF_ERROR(
      model_.ForwardText(batch, st_.kv.get(), st_.scratch.get(), st_.logits.data(), engine_->pool_.get(), nullptr));
  row = 0;
  for (Sequence* s : active) {
    s->logits = st_.logits.data() + row * v;
    row += 1 + static_cast<int64_t>(s->draft.size());
  }
  const int64_t b = static_cast<int64_t>(active.size());
  st_.stats.decode_steps += 1;
  st_.stats.decode_rows += b;
  st_.stats.decode_fed_rows += rows;
  st_.stats.max_decode_batch = std::max(st_.stats.max_decode_batch, b);
  return Status::Ok();
}

void Scheduler::AcceptStep(Sequence& s) {
  const int64_t v = model_.text_shape().vocab;
  const int64_t drafted = static_cast<int64_t>(s.draft.size());
  const int64_t before = s.kv.length - 1 - drafted;  // ForwardText appended the fed rows
  const float* first = s.logits;
  // Row j's logits follow next_token and the first j drafted tokens; sampling them in
  // order is exactly what j + 1 plain steps would do, as long as the draft holds.
  int64_t accepted = 0;
  for (;; ++accepted) {
    s.logits = first + accepted * v;
    SampleNext(s);
    if (s.done || accepted == drafted || s.next_token != s.draft[accepted]) break;
  }
  st_.stats.draft_tokens_accepted += accepted;
  st_.stats.longest_accepted_draft = std::max(st_.stats.longest_accepted_draft, accepted);
  if (drafted > 0 && !s.done) {
    s.draft_limit = accepted == drafted ? std::min(2 * s.draft_limit, engine_->options_.lookup_draft_tokens)
                                        : accepted + 1;
  }
  // Rows after the last accepted token hold keys of a wrong guess: the next step overwrites them.
  s.kv.length = before + 1 + accepted;
  s.draft.clear();
}

void Scheduler::Finish(Sequence& s) {
  Completion& out = s.out;
  if (s.ok() && !s.stop_string_hit && s.detok) out.text += s.detok->Finish();
  if (s.decode_start != Clock::time_point()) out.timings.decode_ms = MsSince(s.decode_start);
  out.timings.generated_tokens = static_cast<int64_t>(out.tokens.size());
  for (int32_t page : s.kv.pages) st_.prefix->Release(page);
  s.kv.pages.clear();
  s.done = true;
  s.finished = true;
  if (s.status.code() == StatusCode::kCancelled) st_.stats.cancelled += 1;
  if (!s.ok()) return;
  st_.stats.requests += 1;
  st_.stats.prompt_tokens += s.prompt_length();
  st_.stats.generated_tokens += out.timings.generated_tokens;
}

}  // namespace corgi
