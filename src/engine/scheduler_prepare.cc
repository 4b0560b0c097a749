// Scheduler: preparing a request, the vision pass, admission with the prefix cache.
#include "engine/scheduler.h"

#include <algorithm>
#include <deque>
#include <map>

#include "corgi/tokenizer/tokenizer.h"

namespace corgi {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// One image going through the tower: the first sequence that needs it, and which image.
struct TowerItem {
  Sequence* owner;
  size_t image;
};

}  // namespace

void Scheduler::Prepare(Sequence& s) {
  const Request& r = *s.request;
  const EngineOptions& opt = engine_->options_;
  const auto t0 = Clock::now();
  if (r.max_tokens < 0) return s.Fail(InvalidArgumentError("max_tokens must not be negative"));
  s.use_caches = r.observer == nullptr;
  StatusOr<PreparedPrompt> prompt =
      PreparePrompt(model_, r.messages, engine_->preprocess_, engine_->pool_.get(), /*with_pixels=*/false);
  if (!prompt.ok()) return s.Fail(prompt.status());
  s.prompt = std::move(*prompt);
  const int64_t n = s.prompt_length();
  if (n >= opt.max_context) {
    return s.Fail(OutOfRangeError("the prompt has " + std::to_string(n) + " tokens but the context holds " +
                                  std::to_string(opt.max_context) +
                                  " (raise the setting engine.max_context, -c/--ctx-size on the command line, or "
                                  "shrink the images)"));
  }
  s.budget = std::min<int64_t>(r.max_tokens, opt.max_context - n);
  if (!r.constraint.empty()) {
    StatusOr<std::unique_ptr<TokenMatcher>> m = CompileConstraint(r.constraint, model_.tokenizer());
    if (!m.ok()) return s.Fail(m.status().WithContext("constraint"));
    s.matcher = std::move(*m);
    if (s.matcher->MinTokensToComplete() > s.budget) {
      return s.Fail(InvalidArgumentError("the constraint needs at least " +
                                         std::to_string(s.matcher->MinTokensToComplete()) + " tokens but only " +
                                         std::to_string(s.budget) + " may be generated"));
    }
  }
  s.keys.assign(s.prompt.tokens.begin(), s.prompt.tokens.end());
  for (const PromptImage& img : s.prompt.images)
    for (int64_t j = 0; j < img.tokens; ++j) s.keys[img.first_row + j] = ImageTokenKey(img.key, j);
  s.sampler.emplace(r.sampling);
  s.detok.emplace(&model_.tokenizer(), /*skip_special=*/true);
  s.out.timings.prompt_tokens = n;
  s.out.timings.preprocess_ms = MsSince(t0);
}

void Scheduler::EncodeImages(const std::vector<Sequence*>& seqs) {
  // Cache hits first; the misses of cache-using sequences form one pass (each distinct
  // image once); a sequence with an observer gets a pass of its own, observed.
  struct Pass {
    std::vector<TowerItem> encode;
    std::vector<Sequence*> waiters;  // sequences that take features from this pass
    const StageObserver* observer = nullptr;
  };
  std::vector<Pass> passes(1);
  std::map<Hash128, size_t> in_shared_pass;
  for (Sequence* s : seqs) {
    s->features.assign(s->prompt.images.size(), nullptr);
    if (s->prompt.images.empty()) continue;
    if (!s->use_caches) {
      Pass own;
      for (size_t i = 0; i < s->prompt.images.size(); ++i) own.encode.push_back({s, i});
      own.waiters.push_back(s);
      own.observer = s->request->observer;
      passes.push_back(std::move(own));
      continue;
    }
    bool waits = false;
    for (size_t i = 0; i < s->prompt.images.size(); ++i) {
      const Hash128& key = s->prompt.images[i].key;
      if (st_.vision != nullptr) {
        s->features[i] = st_.vision->Find(key);
        if (s->features[i] != nullptr) {
          ++s->out.images_from_cache;
          continue;
        }
      }
      waits = true;
      if (in_shared_pass.emplace(key, passes[0].encode.size()).second) passes[0].encode.push_back({s, i});
    }
    if (waits) passes[0].waiters.push_back(s);
  }
  ThreadPool* pool = engine_->pool_.get();
  for (const Pass& pass : passes) {
    if (pass.encode.empty()) continue;
    std::vector<float> pixels;
    std::vector<ImageGrid> grids;
    Status status;
    for (const TowerItem& item : pass.encode) {
      const auto t0 = Clock::now();
      StatusOr<std::vector<float>> p =
          PreprocessPromptImage(item.owner->prompt, item.image, engine_->preprocess_, pool);
      const double preprocess_ms = MsSince(t0);
      item.owner->out.timings.preprocess_ms += preprocess_ms;
      st_.stats.vision_ms += preprocess_ms;
      if (!p.ok()) {
        status = p.status().WithContext("image " + std::to_string(item.image + 1));
        break;
      }
      pixels.insert(pixels.end(), p->begin(), p->end());
      grids.push_back(item.owner->prompt.grids[item.image]);
    }
    const auto t0 = Clock::now();
    std::map<Hash128, std::shared_ptr<const ImageFeatures>> made;
    if (status.ok()) {
      StatusOr<VisionOutput> out =
          model_.EncodeImages(pixels.data(), grids, pool, pass.observer);
      if (out.ok()) {
        ++st_.stats.vision_passes;
        st_.stats.images_encoded += static_cast<int64_t>(pass.encode.size());
        const int64_t d = out->width;
        int64_t row = 0;
        for (size_t k = 0; k < pass.encode.size() && status.ok(); ++k) {
          const PromptImage& img = pass.encode[k].owner->prompt.images[pass.encode[k].image];
          if (row + img.tokens > out->tokens) {
            status = InternalError("the vision tower produced fewer features than the images need");
            break;
          }
          auto f = std::make_shared<ImageFeatures>();
          f->grid = grids[k];
          f->tokens = img.tokens;
          f->width = d;
          f->embeds.assign(out->embeds.begin() + row * d, out->embeds.begin() + (row + f->tokens) * d);
          for (const auto& level : out->deepstack)
            f->deepstack.emplace_back(level.begin() + row * d, level.begin() + (row + f->tokens) * d);
          row += f->tokens;
          if (pass.observer == nullptr && st_.vision != nullptr) st_.vision->Insert(img.key, f);
          made[img.key] = std::move(f);
        }
      } else {
        status = out.status();
      }
    }
    const double ms = MsSince(t0);
    st_.stats.vision_ms += ms;
    for (Sequence* s : pass.waiters) {
      s->out.timings.vision_ms += ms;
      if (!status.ok()) {
        s->Fail(status.WithContext("vision"));
        continue;
      }
      for (size_t i = 0; i < s->features.size(); ++i) {
        if (s->features[i] != nullptr) continue;
        auto it = made.find(s->prompt.images[i].key);
        if (it != made.end()) s->features[i] = it->second;
      }
    }
  }
  for (Sequence* s : seqs)
    for (const auto& f : s->features)
      if (f == nullptr && !s->done) s->Fail(InternalError("an image has no features"));
}

int64_t Scheduler::PagesNeeded(const Sequence& s) const {
  const int64_t rows = s.prompt_length() + std::max<int64_t>(s.budget - 1, 0);
  const int64_t pr = st_.kv->page_rows();
  // One spare: a partial prefix match holds its source page while copying it.
  return (rows + pr - 1) / pr + 1;
}

Status Scheduler::Admit(Sequence& s) {
  const int64_t n = s.prompt_length();
  PrefixCache& prefix = *st_.prefix;
  PrefixCache::Match m;
  if (s.use_caches) m = prefix.Lookup(s.keys, s.prompt.positions.ids, n - 1);
  if (!m.pages.empty()) {
    // The cached position state must continue this prompt's positions (spec §5.4).
    const int64_t full = static_cast<int64_t>(m.pages.size()) * st_.kv->page_rows();
    int32_t next = 0;
    for (int a = 0; a < 3; ++a)
      for (int64_t i = 0; i < full; ++i) next = std::max(next, s.prompt.positions.ids[a * n + i] + 1);
    if (next != m.next_position || m.rope_delta != next - full) {
      for (int32_t p : m.pages) prefix.Release(p);
      if (m.partial_page >= 0) prefix.Release(m.partial_page);
      return InternalError("a cached prefix has a different position state than the prompt");
    }
  }
  s.kv.pages = m.pages;
  const int64_t total = PagesNeeded(s) - 1;
  while (static_cast<int64_t>(s.kv.pages.size()) < total) {
    const int32_t page = prefix.AllocatePage();
    if (page < 0) {
      if (m.partial_page >= 0) prefix.Release(m.partial_page);
      return ResourceExhaustedError("no free KV page (the budget is held by running sequences)");
    }
    s.kv.pages.push_back(page);
  }
  if (m.partial_page >= 0) {
    st_.kv->CopyRows(m.partial_page, s.kv.pages[m.pages.size()], m.partial_rows);
    prefix.Release(m.partial_page);
  }
  s.kv.length = m.tokens;
  s.out.prefix_tokens_reused = m.tokens;
  prefix.CountComputed(n - m.tokens);
  CORGI_RETURN_IF_ERROR(Prefill(s));
  if (s.use_caches) prefix.Insert(s.keys, s.prompt.positions.ids, s.kv.pages, n);
  return Status::Ok();
}

}  // namespace corgi
