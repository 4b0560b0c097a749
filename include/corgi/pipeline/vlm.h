// The model as the pipeline sees it (DESIGN.md "The engine seam"): a vision-language
// model that answers requests. Implementations: the local engine (LocalVlm), a replay
// engine returning recorded completions (ReplayVlm), later a remote OpenAI-compatible one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/request/grounding_space.h"
#include "corgi/request/request.h"

namespace corgi::pipeline {

// How a model writes boxes (PIPELINE.md "Coordinates"): kRelative1000 for Qwen3-VL,
// kResizedInputPixels for Qwen2.5-VL (corgi/request/grounding_space.h).
using GroundingSpace = corgi::GroundingSpace;

// Contract (as engine.h's): Generate/GenerateBatch may be called from several threads at
// once; a request's images are borrowed only for the call; a failed call returns its
// Status (Cancelled when request.cancel fired) and never aborts the process; output text
// is untrusted (the parsers check it). Implementations: LocalVlm (engine), RemoteVlm
// (OpenAI-compatible HTTP), ReplayVlm (recordings), RoutedVlm (a model per phase).

// What the pipeline tells the Vlm about the call, so a replay engine can find the
// recorded completion and a trace can label it.
struct CallInfo {
  std::string phase;  // "reasoning" | "grounding" | "caption" | "ocr" | "synthesis"
  int step = 0;       // the step served (0 for whole-query calls)
};

class Vlm {
 public:
  virtual ~Vlm() = default;
  virtual StatusOr<Completion> Generate(const Request& request, const CallInfo& call) = 0;
  // Requests decoded together where the implementation can (default: one by one).
  virtual std::vector<StatusOr<Completion>> GenerateBatch(const std::vector<Request>& requests,
                                                          const std::vector<CallInfo>& calls);
  virtual std::string name() const = 0;
  virtual GroundingSpace grounding_space() const = 0;
  // For kResizedInputPixels: the model-input size the image is resized to.
  virtual StatusOr<std::pair<int64_t, int64_t>> ModelInputSize(int64_t height, int64_t width) const = 0;
  // The Vlm that serves `phase` ("reasoning", "grounding", ...): itself, unless calls are
  // routed per phase to different models (pipeline/routed_vlm.h) — whose boxes may live
  // in different grounding spaces, so each phase reads and writes boxes in its own.
  virtual const Vlm& ForPhase(const std::string& phase) const { return *this; }
};

}  // namespace corgi::pipeline
