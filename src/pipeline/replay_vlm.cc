#include "corgi/pipeline/replay_vlm.h"

#include <nlohmann/json.hpp>

#include "corgi/core/json_scan.h"
#include "corgi/core/read_file.h"
#include "corgi/image/resize.h"

namespace corgi::pipeline {
namespace {

using Json = nlohmann::json;

StatusOr<FinishReason> ParseFinish(const std::string& name) {
  if (name.empty() || name == "eos") return FinishReason::kEos;
  if (name == "stop") return FinishReason::kStop;
  if (name == "length") return FinishReason::kLength;
  return InvalidArgumentError("unknown finish_reason \"" + name + "\" (eos | stop | length)");
}

// One entry of "calls" (trace: raw_output) or "completions" (hand-written: output).
StatusOr<RecordedCompletion> ReadEntry(const Json& e, const std::string& where) {
  if (!e.is_object()) return DataLossError(where + ": not a JSON object");
  RecordedCompletion r;
  if (!e.contains("phase") || !e["phase"].is_string()) {
    return DataLossError(where + ": missing string \"phase\"");
  }
  r.phase = e["phase"].get<std::string>();
  if (e.contains("step") && !e["step"].is_number_integer()) {
    return DataLossError(where + ": \"step\" must be an integer");
  }
  r.step = e.value("step", 0);
  const char* key = e.contains("raw_output") ? "raw_output" : "output";
  if (!e.contains(key) || !e[key].is_string()) {
    return DataLossError(where + ": missing string \"output\" (or \"raw_output\")");
  }
  r.output = e[key].get<std::string>();
  if (e.contains("finish_reason") && e["finish_reason"].is_string()) {
    r.finish_reason = e["finish_reason"].get<std::string>();
  }
  StatusOr<FinishReason> finish = ParseFinish(r.finish_reason);
  if (!finish.ok()) return DataLossError(where + ": " + finish.status().message());
  if (e.contains("prompt_tokens") && e["prompt_tokens"].is_number_integer()) {
    r.prompt_tokens = e["prompt_tokens"].get<int64_t>();
  }
  if (e.contains("generated_tokens") && e["generated_tokens"].is_number_integer()) {
    r.generated_tokens = e["generated_tokens"].get<int64_t>();
  }
  return r;
}

}  // namespace

StatusOr<std::unique_ptr<ReplayVlm>> ReplayVlm::FromFile(const std::string& path,
                                                         const ReplayOptions& options) {
  CORGI_ASSIGN_OR_RETURN(std::string text,
                         ReadRegularFile(path, kMaxReplayFileBytes, "replay file"));
  return FromJson(text, path, options);
}

StatusOr<std::unique_ptr<ReplayVlm>> ReplayVlm::FromJson(const std::string& json_text,
                                                         const std::string& source_name,
                                                         const ReplayOptions& options) {
  CORGI_RETURN_IF_ERROR(CheckJsonDepth(json_text, source_name));
  Json root;
  try {
    root = Json::parse(json_text);
  } catch (const Json::exception& e) {
    return DataLossError(source_name + ": not valid JSON (" + e.what() + ")");
  }
  const char* key = root.is_object() && root.contains("calls") ? "calls" : "completions";
  if (!root.is_object() || !root.contains(key) || !root[key].is_array()) {
    return DataLossError(source_name +
                         ": expected an object with a \"calls\" or \"completions\" array");
  }
  GroundingSpace space = GroundingSpace::kRelative1000;
  if (options.grounding_space) {
    space = *options.grounding_space;
  } else if (root.contains("grounding_space") && root["grounding_space"].is_string()) {
    StatusOr<GroundingSpace> s = ParseGroundingSpace(root["grounding_space"].get<std::string>());
    if (!s.ok()) return DataLossError(source_name + ": " + s.status().message());
    space = *s;
  }
  std::vector<RecordedCompletion> recordings;
  for (size_t i = 0; i < root[key].size(); ++i) {
    std::string where = source_name + ": " + key + "[" + std::to_string(i) + "]";
    CORGI_ASSIGN_OR_RETURN(RecordedCompletion r, ReadEntry(root[key][i], where));
    recordings.push_back(std::move(r));
  }
  return std::make_unique<ReplayVlm>(std::move(recordings), space, options);
}

ReplayVlm::ReplayVlm(std::vector<RecordedCompletion> recordings, GroundingSpace space,
                     ReplayOptions options)
    : recordings_(std::move(recordings)), space_(space), options_(std::move(options)) {
  Rewind();
}

void ReplayVlm::Rewind() {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.clear();
  for (size_t i = 0; i < recordings_.size(); ++i) {
    pending_[{recordings_[i].phase, recordings_[i].step}].push_back(i);
  }
}

size_t ReplayVlm::remaining() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (const auto& [key, queue] : pending_) n += queue.size();
  return n;
}

StatusOr<Completion> ReplayVlm::Generate(const Request& request, const CallInfo& call) {
  size_t index = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pending_.find({call.phase, call.step});
    if (it == pending_.end() || it->second.empty()) {
      return NotFoundError("replay: no recorded completion left for phase \"" + call.phase +
                           "\" step " + std::to_string(call.step));
    }
    index = it->second.front();
    it->second.pop_front();
  }
  const RecordedCompletion& r = recordings_[index];
  Completion c;
  c.text = r.output;
  StatusOr<FinishReason> finish = ParseFinish(r.finish_reason);
  c.finish = finish.ok() ? *finish : FinishReason::kEos;
  c.timings.prompt_tokens = r.prompt_tokens;
  c.timings.generated_tokens = r.generated_tokens;
  // A recording streams as one piece, so streaming consumers see the same text.
  if (request.on_token && !c.text.empty()) request.on_token(-1, c.text);
  return c;
}

StatusOr<std::pair<int64_t, int64_t>> ReplayVlm::ModelInputSize(int64_t height,
                                                                int64_t width) const {
  CORGI_ASSIGN_OR_RETURN(ResizeTarget t, SmartResize(height, width, options_.factor,
                                                     options_.min_pixels, options_.max_pixels));
  return std::make_pair(t.height, t.width);
}

}  // namespace corgi::pipeline
