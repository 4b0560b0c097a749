#include "corgi/engine.h"

#include <algorithm>

#include "corgi/core/log.h"
#include "corgi/engine/prompt.h"
#include "engine/scheduler.h"
#include "engine/engine_state.h"

namespace corgi {

EngineOptions EngineOptions::Naive(EngineOptions base) {
  base.prefix_cache = false;
  base.vision_cache_bytes = 0;
  base.max_batch = 1;
  base.lookup_draft_tokens = 0;
  return base;
}

Engine::Engine(const LoadedModel* model, const EngineOptions& options)
    : model_(model), options_(options), state_(new State) {}
Engine::~Engine() { scheduler_.reset(); }  // the loop stops before the state it uses goes

StatusOr<std::unique_ptr<Engine>> Engine::Create(const LoadedModel* model, const EngineOptions& options) {
  if (model == nullptr) return InvalidArgumentError("no model");
  if (options.max_context < 16) return InvalidArgumentError("max_context must be at least 16 tokens");
  if (options.prefill_chunk < 1) return InvalidArgumentError("prefill_chunk must be positive");
  if (options.min_pixels < 0 || options.max_pixels < 0) return InvalidArgumentError("pixel bounds must not be negative");
  if (options.kv_page_tokens < 1 || options.kv_page_tokens > 4096)
    return InvalidArgumentError("kv_page_tokens must be in [1, 4096]");
  if (options.kv_cache_bytes < 0 || options.vision_cache_bytes < 0)
    return InvalidArgumentError("cache budgets must not be negative");
  if (options.max_batch < 1) return InvalidArgumentError("max_batch must be at least 1");
  if (options.lookup_draft_tokens < 0 || options.lookup_draft_tokens > 64)
    return InvalidArgumentError("lookup_draft_tokens must be in [0, 64]");
  std::unique_ptr<Engine> e(new Engine(model, options));
  CORGI_ASSIGN_OR_RETURN(e->preprocess_, model->PreprocessParams());
  if (options.max_pixels > 0) e->preprocess_.max_pixels = std::min(e->preprocess_.max_pixels, options.max_pixels);
  if (options.min_pixels > 0) e->preprocess_.min_pixels = options.min_pixels;
  // A cap below the checkpoint's own lower bound (max_pixels 1024 vs 65536) lowers that too.
  if (options.min_pixels == 0) e->preprocess_.min_pixels = std::min(e->preprocess_.min_pixels, e->preprocess_.max_pixels);
  if (e->preprocess_.min_pixels > e->preprocess_.max_pixels) {
    return InvalidArgumentError("image min_pixels (" + std::to_string(e->preprocess_.min_pixels) +
                                ") exceeds max_pixels (" + std::to_string(e->preprocess_.max_pixels) + ")");
  }
  if (std::string problem = ThreadCountProblem(options.threads); !problem.empty())
    return InvalidArgumentError("threads " + problem);
  CORGI_ASSIGN_OR_RETURN(e->pool_, ThreadPool::Create(static_cast<size_t>(options.threads)));
  State& st = *e->state_;
  const TextShape& text = model->text_shape();
  const int64_t token_bytes = 2 * text.layers * text.kv_row_width() * static_cast<int64_t>(sizeof(float));
  const int64_t page_bytes = token_bytes * options.kv_page_tokens;
  const int64_t budget = options.kv_cache_bytes > 0
                             ? options.kv_cache_bytes
                             : std::max(2 * options.max_context, 4 * options.kv_page_tokens) * token_bytes;
  const int64_t max_pages = budget / page_bytes;
  if (max_pages < 2) {
    return InvalidArgumentError("kv_cache_bytes " + std::to_string(budget) + " holds fewer than 2 pages of " +
                                std::to_string(page_bytes) + " bytes");
  }
  st.kv = std::make_unique<KvPagePool>(text.layers, text.kv_heads, text.head_dim, options.kv_page_tokens, max_pages);
  st.scratch = model->NewTextScratch();
  st.prefix = std::make_unique<PrefixCache>(st.kv.get(), options.prefix_cache);
  if (options.vision_cache_bytes > 0) st.vision = std::make_unique<VisionCache>(options.vision_cache_bytes);
  CORGI_LOG(INFO) << "engine: KV budget " << max_pages * page_bytes / 1e6 << " MB (" << max_pages << " pages of "
                  << options.kv_page_tokens << " tokens), prefix cache " << (options.prefix_cache ? "on" : "off")
                  << ", vision cache " << options.vision_cache_bytes / 1e6 << " MB, batch " << options.max_batch
                  << ", " << e->pool_->num_threads() << " threads";
  e->scheduler_ = std::make_unique<Scheduler>(e.get());
  return e;
}

std::shared_ptr<PendingCompletion> Engine::Submit(Request request) {
  std::vector<Request> one;
  one.push_back(std::move(request));
  return std::move(SubmitBatch(std::move(one))[0]);
}

std::vector<std::shared_ptr<PendingCompletion>> Engine::SubmitBatch(std::vector<Request> requests) {
  std::vector<std::shared_ptr<PendingCompletion::Shared>> group;
  std::vector<std::shared_ptr<PendingCompletion>> handles;
  for (Request& r : requests) {
    auto shared = std::make_shared<PendingCompletion::Shared>();
    if (r.cancel) shared->cancel = *r.cancel;
    shared->request = std::move(r);
    handles.push_back(std::make_shared<PendingCompletion>(shared));
    group.push_back(std::move(shared));
  }
  scheduler_->Submit(std::move(group));
  return handles;
}

EngineStats Engine::Stats() const { return scheduler_->Stats(); }

StatusOr<Completion> Engine::Generate(const Request& request) { return Submit(request)->Wait(); }

std::vector<StatusOr<Completion>> Engine::GenerateBatch(const std::vector<Request>& requests) {
  std::vector<StatusOr<Completion>> out;
  for (auto& pending : SubmitBatch(requests)) out.push_back(pending->Wait());
  return out;
}

}  // namespace corgi
