#include "corgi/pipeline/routed_vlm.h"

namespace corgi::pipeline {

RoutedVlm::RoutedVlm(Vlm* default_vlm, std::map<std::string, Vlm*> by_phase)
    : default_(default_vlm), by_phase_(std::move(by_phase)) {}

Vlm* RoutedVlm::Route(const std::string& phase) const {
  auto it = by_phase_.find(phase);
  return it == by_phase_.end() || it->second == nullptr ? default_ : it->second;
}

StatusOr<Completion> RoutedVlm::Generate(const Request& request, const CallInfo& call) {
  return Route(call.phase)->Generate(request, call);
}

std::vector<StatusOr<Completion>> RoutedVlm::GenerateBatch(const std::vector<Request>& requests,
                                                           const std::vector<CallInfo>& calls) {
  std::vector<StatusOr<Completion>> out;
  for (size_t begin = 0; begin < requests.size();) {
    Vlm* vlm = Route(calls[begin].phase);
    size_t end = begin + 1;
    while (end < requests.size() && Route(calls[end].phase) == vlm) ++end;
    std::vector<Request> part(requests.begin() + begin, requests.begin() + end);
    std::vector<CallInfo> infos(calls.begin() + begin, calls.begin() + end);
    for (StatusOr<Completion>& c : vlm->GenerateBatch(part, infos)) out.push_back(std::move(c));
    begin = end;
  }
  return out;
}

std::string RoutedVlm::name() const {
  std::string out = default_->name();
  for (const auto& [phase, vlm] : by_phase_)
    if (vlm != nullptr && vlm != default_) out += ", " + phase + "=" + vlm->name();
  return out;
}

}  // namespace corgi::pipeline
