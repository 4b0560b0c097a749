// Recorded runs read back from disk: a replay file (trace.json or {"completions": ...}),
// trace.json and results.json — every input goes through all three readers. Accepted
// traces and results are written again and must read back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "corgi/core/check.h"
#include "corgi/pipeline/replay_vlm.h"
#include "corgi/pipeline/results_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace p = corgi::pipeline;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto replay = p::ReplayVlm::FromJson(text, "fuzz.json", p::ReplayOptions{});
  if (replay.ok()) {
    auto input = (*replay)->ModelInputSize(480, 640);
    (void)input;
  }
  corgi::StatusOr<p::Trace> trace = p::TraceFromJson(text, "trace.json");
  if (trace.ok()) {
    corgi::StatusOr<p::Trace> again = p::TraceFromJson(p::TraceToJson(*trace), "again.json");
    CORGI_CHECK(again.ok()) << again.status().ToString();
  }
  corgi::StatusOr<p::Result> result = p::ResultFromJson(text, "results.json");
  if (result.ok()) {
    corgi::StatusOr<p::Result> again = p::ResultFromJson(p::ResultToJson(*result), "again.json");
    CORGI_CHECK(again.ok()) << again.status().ToString();
  }
  return 0;
}
