// ReplayVlm: a Vlm that returns recorded completions instead of running a model, so
// parsing, routing, OCR and outputs can be exercised and debugged without weights.
//
//   auto vlm = ReplayVlm::FromFile("out/trace.json", ReplayOptions{});
//   Pipeline pipeline(vlm->get(), ocr.get(), config);
//
// Input: a trace.json written by this pipeline ({"calls": [{"phase", "step",
// "raw_output", ...}]}) or a hand-written file {"completions": [{"phase": "reasoning",
// "step": 0, "output": "..."}, ...]} (docs/RESULTS.md). A call is answered with the next
// unused recording of the same (phase, step), in recorded order. Constraints in the
// request are ignored (the recordings are replayed as written).
//
// Thread-safety: Generate may be called from several threads (internally locked).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "corgi/pipeline/vlm.h"

namespace corgi::pipeline {

struct ReplayOptions {
  // nullopt: the file's "grounding_space" ("relative_1000" | "resized_input_pixels"),
  // else relative_1000 (Qwen3-VL).
  std::optional<GroundingSpace> grounding_space;
  std::string name = "replay";
  // smart_resize parameters of the replayed model, for kResizedInputPixels. The defaults
  // are Qwen2.5-VL's (factor 28, 3136..12845056 pixels).
  int64_t factor = 28;
  int64_t min_pixels = 3136;
  int64_t max_pixels = 12845056;
};

struct RecordedCompletion {
  std::string phase;
  int step = 0;
  std::string output;
  std::string finish_reason = "eos";  // "eos" | "stop" | "length"
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
};

// Largest replay (or trace) file FromFile reads.
inline constexpr int64_t kMaxReplayFileBytes = int64_t{256} << 20;

class ReplayVlm : public Vlm {
 public:
  // Errors: reading the file as ReadRegularFile (read_file.h; at most kMaxReplayFileBytes);
  // DataLoss naming the entry when the JSON is malformed (no "calls"/"completions" array, an
  // entry without phase or output) or nested deeper than kMaxJsonDepth levels.
  static StatusOr<std::unique_ptr<ReplayVlm>> FromFile(const std::string& path,
                                                       const ReplayOptions& options);
  static StatusOr<std::unique_ptr<ReplayVlm>> FromJson(const std::string& json_text,
                                                       const std::string& source_name,
                                                       const ReplayOptions& options);
  ReplayVlm(std::vector<RecordedCompletion> recordings, GroundingSpace space,
            ReplayOptions options);

  // NotFound naming the phase and step when no unused recording is left for them.
  StatusOr<Completion> Generate(const Request& request, const CallInfo& call) override;
  std::string name() const override { return options_.name; }
  GroundingSpace grounding_space() const override { return space_; }
  // smart_resize with the options' factor and bounds; {height, width}.
  StatusOr<std::pair<int64_t, int64_t>> ModelInputSize(int64_t height,
                                                       int64_t width) const override;

  // Recordings not consumed yet; Rewind makes all of them available again.
  size_t remaining() const;
  void Rewind();

 private:
  using Key = std::pair<std::string, int>;
  std::vector<RecordedCompletion> recordings_;
  GroundingSpace space_;
  ReplayOptions options_;
  mutable std::mutex mutex_;
  std::map<Key, std::deque<size_t>> pending_;  // guarded by mutex_
};

}  // namespace corgi::pipeline
