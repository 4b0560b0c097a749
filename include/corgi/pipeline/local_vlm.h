// LocalVlm: the pipeline's Vlm on corgi's own engine (DESIGN.md "The engine seam").
//
//   auto model = LoadModel(dir);  // any family (model/registry.h)
//   auto engine = Engine::Create(model->get(), EngineOptions{});
//   LocalVlm vlm(engine->get(), LocalVlmOptions{});
//   Pipeline pipeline(&vlm, ocr.get(), config);
//
// Ownership: borrows the Engine (which must outlive it). Thread-safety: as the Engine —
// Generate may be called from several threads; the engine serializes them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "corgi/engine.h"
#include "corgi/pipeline/vlm.h"

namespace corgi::pipeline {

struct LocalVlmOptions {
  std::string name;  // reported by name(); empty: the model directory
};

class LocalVlm : public Vlm {
 public:
  LocalVlm(Engine* engine, LocalVlmOptions options);

  // Errors: those of Engine::Generate (bad request, prompt too long).
  StatusOr<Completion> Generate(const Request& request, const CallInfo& call) override;
  // Engine::GenerateBatch: the requests decode together (one after another when the
  // engine's max_batch is 1).
  std::vector<StatusOr<Completion>> GenerateBatch(const std::vector<Request>& requests,
                                                  const std::vector<CallInfo>& calls) override;
  std::string name() const override;
  // The model family's (Qwen3-VL: 0..1000 relative; Qwen2.5-VL: resized-input pixels).
  GroundingSpace grounding_space() const override { return engine_->model().grounding_space(); }
  // smart_resize with the checkpoint's factor (patch x merge) and pixel bounds (what the
  // engine's preprocessing does). Returns {height, width}; errors those of SmartResize.
  StatusOr<std::pair<int64_t, int64_t>> ModelInputSize(int64_t height,
                                                       int64_t width) const override;

 private:
  Engine* engine_;
  LocalVlmOptions options_;
};

}  // namespace corgi::pipeline
