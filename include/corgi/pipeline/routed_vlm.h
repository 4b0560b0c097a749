// A model per phase (config `models:`): calls go to the Vlm named for their phase
// ("reasoning", "grounding", "caption", "ocr", "synthesis"), else to the default one.
// Borrows the Vlms (the owner keeps them alive). Thread-safe as the Vlms it routes to.
#pragma once

#include <map>
#include <string>

#include "corgi/pipeline/vlm.h"

namespace corgi::pipeline {

class RoutedVlm : public Vlm {
 public:
  RoutedVlm(Vlm* default_vlm, std::map<std::string, Vlm*> by_phase);

  StatusOr<Completion> Generate(const Request& request, const CallInfo& call) override;
  // Consecutive calls of one phase go to their Vlm's GenerateBatch together.
  std::vector<StatusOr<Completion>> GenerateBatch(const std::vector<Request>& requests,
                                                  const std::vector<CallInfo>& calls) override;
  // "reasoning=NAME, caption=NAME, ..." — every distinct model.
  std::string name() const override;
  GroundingSpace grounding_space() const override { return ForPhase("reasoning").grounding_space(); }
  StatusOr<std::pair<int64_t, int64_t>> ModelInputSize(int64_t height, int64_t width) const override {
    return ForPhase("reasoning").ModelInputSize(height, width);
  }
  const Vlm& ForPhase(const std::string& phase) const override { return *Route(phase); }

 private:
  Vlm* Route(const std::string& phase) const;
  Vlm* default_;
  std::map<std::string, Vlm*> by_phase_;
};

}  // namespace corgi::pipeline
