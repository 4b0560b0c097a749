#include "corgi/pipeline/vlm.h"

namespace corgi::pipeline {

// The default batch runs the requests one by one, in order; implementations that can
// decode together (the local engine) override it.
std::vector<StatusOr<Completion>> Vlm::GenerateBatch(const std::vector<Request>& requests,
                                                     const std::vector<CallInfo>& calls) {
  std::vector<StatusOr<Completion>> out;
  out.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    if (i >= calls.size()) {
      out.push_back(InvalidArgumentError("GenerateBatch: fewer CallInfos than requests"));
      continue;
    }
    out.push_back(Generate(requests[i], calls[i]));
  }
  return out;
}

}  // namespace corgi::pipeline
