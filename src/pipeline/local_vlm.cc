#include "corgi/pipeline/local_vlm.h"

#include "corgi/image/resize.h"

namespace corgi::pipeline {

LocalVlm::LocalVlm(Engine* engine, LocalVlmOptions options)
    : engine_(engine), options_(std::move(options)) {
  CORGI_CHECK(engine_ != nullptr) << "LocalVlm needs an engine";
}

StatusOr<Completion> LocalVlm::Generate(const Request& request, const CallInfo& call) {
  // The pipeline adds the phase and step to errors; CallInfo is only for replay and traces.
  return engine_->Generate(request);
}

std::vector<StatusOr<Completion>> LocalVlm::GenerateBatch(const std::vector<Request>& requests,
                                                          const std::vector<CallInfo>& calls) {
  return engine_->GenerateBatch(requests);
}

std::string LocalVlm::name() const {
  return options_.name.empty() ? engine_->model().directory() : options_.name;
}

StatusOr<std::pair<int64_t, int64_t>> LocalVlm::ModelInputSize(int64_t height,
                                                               int64_t width) const {
  const VisionPreprocessParams& pre = engine_->preprocess_params();
  CORGI_ASSIGN_OR_RETURN(ResizeTarget t, SmartResize(height, width, pre.factor(), pre.min_pixels, pre.max_pixels));
  return std::make_pair(t.height, t.width);
}

}  // namespace corgi::pipeline
