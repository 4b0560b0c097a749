// corgi ask: one CoRGI query — reasoning with grounding, evidence, synthesis — with a
// human summary, results.json (--json) or streaming events (--events) on stdout, and the
// full outputs (results.json, trace.json, annotated image, crops, report) in --out.
// Progress (phases, steps, and on a terminal the chain of thought as it is written) goes
// to stderr unless --json, --events or --quiet.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "apps/cli/ask_progress.h"
#include "apps/cli/batch_input.h"
#include "apps/cli/batch_progress.h"
#include "apps/cli/batch_runtime.h"
#include "apps/cli/commands.h"
#include "apps/cli/flags.h"
#include "corgi/image/decode.h"
#include "corgi/pipeline/results_json.h"

namespace corgi::cli {
namespace {

using pipeline::Result;

// out/<YYYYmmdd-HHMMSS>-<image name>, with -2, -3... if that folder exists already.
std::string DefaultOutDir(const std::string& image_path) {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &local);
  std::string base = "out/" + std::string(stamp) + "-" +
                     SafeDirName(std::filesystem::path(image_path).stem().string());
  std::string dir = base;
  std::error_code ec;
  for (int n = 2; std::filesystem::exists(dir, ec); ++n) dir = base + "-" + std::to_string(n);
  return dir;
}

std::string BoxText(const pipeline::Box& b) {
  char text[96];
  std::snprintf(text, sizeof(text), "[%.3f, %.3f, %.3f, %.3f]", b.x1, b.y1, b.x2, b.y2);
  return text;
}

const char* StepKind(const pipeline::Step& s) {
  return s.need_text ? "text" : s.need_object ? "object" : "reasoning";
}

// What is wrong with --image / --question, or "" when both are usable.
std::string ImageAndQuestionProblem(const FlagParser& flags, const std::string& image,
                                    const std::string& question) {
  if (!flags.WasSet("image") || !flags.WasSet("question")) return "--image and --question are required";
  if (image.empty()) return "--image is empty (give the path of a JPEG, PNG or WebP file)";
  if (question.empty()) return "--question is empty";
  if (question.find_first_not_of(" \t\r\n\v\f") == std::string::npos)
    return "--question holds only whitespace";
  return "";
}

// Creates a file in `dir` and removes it: finds a read-only file system, a full disk or
// missing rights (even as root, where access() says yes) before the model runs.
std::string WriteProbeError(const std::string& dir) {
  const std::string probe = dir + "/.corgi-write-test-" + std::to_string(::getpid());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return "";
}

// One line per item, long texts kept whole: the summary is for reading, not for tables.
void PrintSummary(const Result& r, const std::string& out_dir) {
  std::printf("Question:    %s\n", r.question.c_str());
  std::printf("Answer:      %s\n", r.answer.empty() ? "(none)" : r.answer.c_str());
  if (!r.explanation.empty()) std::printf("Explanation: %s\n", r.explanation.c_str());
  std::printf("\nSteps (%zu):\n", r.steps.size());
  for (const pipeline::Step& s : r.steps) {
    std::printf("  S%d [%s] %s\n", s.index, StepKind(s), s.statement.c_str());
    for (const pipeline::Box& b : s.boxes)
      std::printf("       box %s from %s\n", BoxText(b).c_str(),
                  pipeline::BoxSourceName(s.box_source));
  }
  std::printf("\nEvidence (%zu):\n", r.evidence.size());
  for (const pipeline::Evidence& e : r.evidence) {
    std::string conf;
    if (e.confidence)
      conf = ", confidence " + std::to_string(static_cast<int>(*e.confidence * 100 + 0.5)) + "%";
    std::printf("  S%d %s %s (%s, %.0f ms%s)\n      %s\n", e.step,
                pipeline::EvidenceKindName(e.kind), BoxText(e.box).c_str(), e.engine.c_str(), e.ms,
                conf.c_str(), e.text.empty() ? "(no text)" : e.text.c_str());
  }
  if (!r.key_evidence.empty()) {
    std::printf("\nKey evidence:\n");
    for (const pipeline::KeyEvidence& k : r.key_evidence)
      std::printf("  %s %s — %s\n", BoxText(k.box).c_str(), k.description.c_str(),
                  k.reasoning.c_str());
  }
  for (const std::string& w : r.warnings) std::printf("warning: %s\n", w.c_str());
  std::printf("\nTimings:");
  for (const pipeline::PhaseTiming& t : r.timings) {
    std::string time = t.ms < 1000 ? std::to_string(static_cast<int64_t>(t.ms + 0.5)) + " ms"
                                   : FormatDuration(t.ms / 1000);
    std::printf("  %s %s", t.phase.c_str(), time.c_str());
  }
  std::printf("\nModel calls: %lld, tokens generated: %lld\n",
              static_cast<long long>(r.counts.model_calls),
              static_cast<long long>(r.counts.tokens_generated));
  if (!out_dir.empty()) std::printf("Outputs:     %s/\n", out_dir.c_str());
}

// Streams each event as one JSON line: {"event": TYPE, "data": PAYLOAD}.
void PrintEventLine(const std::string& type, const std::string& payload_json) {
  std::string line =
      "{\"event\":" + nlohmann::json(type).dump() + ",\"data\":" + payload_json + "}\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

int RunAsk(int argc, char** argv) {
  FlagParser flags(
      "corgi ask -m DIR --image PATH --question TEXT [flags]",
      "Answers a question about an image with CoRGI: reasoning steps tied to regions, evidence\n"
      "read from each region (captions, OCR), an answer citing it. Prints a summary (or JSON)\n"
      "and writes results.json, trace.json, annotated.png, crops/ and report.html into --out.\n"
      "Progress goes to stderr (the chain of thought too, on a terminal) unless --quiet.\n"
      "Exit status: 0 answered, 1 the query failed (error printed), 2 bad usage or settings.");
  CommonFlags common = AddCommonFlags(&flags);
  std::string* image = flags.String("image", "", "the image (JPEG, PNG or WebP)", "PATH");
  std::string* question = flags.String("question", "", "the question", "TEXT");
  std::string* out =
      flags.String("out", "", "output folder (default: out/<time>-<image name>)", "DIR");
  bool* json = flags.Bool("json", "print results.json to stdout instead of the summary");
  bool* events = flags.Bool(
      "events", "stream events to stdout as JSON lines {\"event\", \"data\"} as they happen");
  bool* quiet = flags.Bool("quiet", "no progress on stderr (errors only)");
  flags.Alias("q", "quiet");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  std::optional<pipeline::PipelineConfig> config =
      CheckFlagsAndResolveConfig(common, flags, ImageAndQuestionProblem(flags, *image, *question));
  if (!config) return 2;

  // The cheap checks first: a typo in the image path or an unwritable --out should not
  // cost a model load.
  StatusOr<RgbImage> decoded = DecodeImageFile(*image, pipeline::ImageDecodeOptions(*config));
  if (!decoded.ok()) {
    std::fprintf(stderr, "error: image: %s\n", decoded.status().ToString().c_str());
    return 1;
  }
  std::string out_dir = out->empty() ? DefaultOutDir(*image) : *out;
  std::error_code ec;
  const bool out_existed = std::filesystem::exists(out_dir, ec);
  std::filesystem::create_directories(out_dir, ec);
  if (ec || !std::filesystem::is_directory(out_dir)) {
    std::fprintf(stderr, "error: --out: cannot create '%s'%s%s\n", out_dir.c_str(),
                 ec ? ": " : " (a file is in the way)", ec ? ec.message().c_str() : "");
    return 1;
  }
  if (std::string why = WriteProbeError(out_dir); !why.empty()) {
    std::fprintf(stderr, "error: --out: '%s' is not writable: %s\n", out_dir.c_str(), why.c_str());
    if (!out_existed) std::filesystem::remove(out_dir, ec);
    return 1;
  }
  // Undo the folder made above when the query ends without files (only if still empty).
  auto drop_new_out_dir = [&]() {
    std::error_code ignored;
    if (!out_existed) std::filesystem::remove(out_dir, ignored);
  };

  const bool show_progress = !*json && !*events && !*quiet;
  if (show_progress) {
    const std::string& what = !common.replay->empty() ? *common.replay
                              : !common.remote->empty() ? *common.remote
                              : !common.model->empty()  ? *common.model
                                                        : *common.config;
    std::fprintf(stderr, "loading %s…\n", what.c_str());
  }
  StatusOr<std::unique_ptr<QueryService>> service = CreateService(common, *config);
  if (!service.ok()) {
    std::fprintf(stderr, "error: %s\n", service.status().ToString().c_str());
    drop_new_out_dir();
    return 1;
  }

  AskProgress progress(stderr, ::isatty(STDERR_FILENO) == 1);
  pipeline::EventSink sink = [&](const pipeline::Event& e) {
    if (*events)
      PrintEventLine(e.type, e.json);
    else
      progress.OnEvent(e);
  };
  service::QueryInput input;
  input.image_path = *image;
  input.image = std::move(*decoded);
  input.question = *question;
  input.events = *events || show_progress ? &sink : nullptr;
  QueryOutcome outcome = (*service)->Run(input);
  if (outcome.failure) {
    std::fprintf(stderr, "error: %s\n", outcome.failure->c_str());
    drop_new_out_dir();
    return 1;
  }
  // A query that failed midway still gets its files: the trace shows what went wrong.
  Status written = (*service)->WriteOutputs(outcome, out_dir);
  if (!written.ok())
    std::fprintf(stderr, "error: writing outputs: %s\n", written.ToString().c_str());

  const Result& result = outcome.result;
  if (*json && *events) {
    PrintEventLine("result", pipeline::ResultToJson(result, -1));
  } else if (*json) {
    std::printf("%s\n", pipeline::ResultToJson(result).c_str());
  } else if (!*events) {
    if (show_progress) std::fprintf(stderr, "\n");
    PrintSummary(result, written.ok() ? out_dir : "");
  }
  if (result.error) {
    std::fprintf(stderr, "error: %s\n", result.error->c_str());
    return 1;
  }
  return written.ok() ? 0 : 1;
}

}  // namespace corgi::cli
