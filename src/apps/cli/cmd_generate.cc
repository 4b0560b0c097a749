// corgi generate: one completion from the local engine, with timings and stage dumps.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "apps/cli/commands.h"
#include "apps/cli/flags.h"
#include "apps/cli/load_model.h"
#include "apps/cli/model_path.h"
#include "apps/cli/npy.h"
#include "corgi/engine.h"
#include "corgi/image/decode.h"
#include "corgi/model/registry.h"

namespace corgi::cli {
namespace {

// "0,1,27" -> {0,1,27}; "all" or "" -> empty (meaning all).
bool ParseLayerList(const std::string& text, std::set<int64_t>* out) {
  if (text.empty() || text == "all") return true;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 0) return false;
    out->insert(v);
  }
  return true;
}

// text.layer{i}.out -> i, or -1 for other stages.
int64_t LayerOf(const std::string& name) {
  if (name.rfind("text.layer", 0) != 0) return -1;
  return std::strtol(name.c_str() + 10, nullptr, 10);
}

}  // namespace

int RunGenerate(int argc, char** argv) {
  FlagParser flags("corgi generate -m DIR [--image PATH]... --prompt TEXT [flags]",
                   "Generates one completion; prints it, then timings (vision ms, prefill and decode tokens/s).");
  std::string* model_dir = AddModelFlag(&flags, "checkpoint directory (or OWNER/NAME in the Hugging Face cache)");
  std::vector<std::string>* images = flags.Strings("image", "image file (repeatable; placed before the prompt)", "PATH");
  std::string* prompt = flags.String("prompt", "", "the user message", "TEXT");
  std::string* system = flags.String("system", "", "system message", "TEXT");
  int64_t* max_tokens = flags.Int("max-tokens", 128, "tokens to generate at most");
  double* temperature = flags.Double("temperature", 0.0, "0 = greedy");
  int64_t* top_k = flags.Int("top-k", 0, "top-k cut (0 = off)");
  double* top_p = flags.Double("top-p", 1.0, "nucleus cut (1 = off)");
  int64_t* seed = flags.Int("seed", 0, "sampling seed");
  std::vector<std::string>* stops = flags.Strings("stop", "stop string (repeatable)");
  bool* ignore_eos = flags.Bool("ignore-eos", "keep generating past end-of-sequence tokens");
  int64_t* threads = AddThreadsFlag(&flags, "worker threads (0: all cores)");
  std::string* weights = AddWeightsFlag(&flags);
  int64_t* max_context = flags.Int("ctx-size", 8192, "context capacity in tokens per sequence");
  flags.Alias("c", "ctx-size");
  flags.Alias("max-context", "ctx-size");  // the old spelling
  std::string* dump = flags.String("dump", "", "write named stage outputs as .npy into this directory", "DIR");
  std::string* dump_layers = flags.String("dump-layers", "all", "decoder layers to dump, e.g. 0,1,27");
  bool* json = flags.Bool("json", "print one JSON object instead of text");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  std::set<int64_t> layers;
  if (model_dir->empty() || prompt->empty() || !ParseLayerList(*dump_layers, &layers)) {
    std::fprintf(stderr, "error: -m/--model and --prompt are required (and --dump-layers is a comma list)\n");
    flags.PrintUsage();
    return 2;
  }
  if (!ResolveModelFlag(model_dir)) return 1;

  StatusOr<std::unique_ptr<LoadedModel>> model = [&]() -> StatusOr<std::unique_ptr<LoadedModel>> {
    CORGI_ASSIGN_OR_RETURN(std::unique_ptr<ThreadPool> load_pool, ThreadPool::Create(static_cast<size_t>(*threads)));
    return LoadModelWithWeights(*model_dir, *weights, load_pool.get());
  }();
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().ToString().c_str());
    return 1;
  }
  EngineOptions options;
  options.threads = *threads;
  options.max_context = *max_context;
  StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(model->get(), options);
  if (!engine.ok()) {
    std::fprintf(stderr, "error: %s\n", engine.status().ToString().c_str());
    return 2;
  }

  Request request;
  if (!system->empty()) request.messages.push_back(Message::System(*system));
  std::vector<ContentPart> parts;
  for (const std::string& path : *images) {
    StatusOr<RgbImage> rgb = DecodeImageFile(path);
    if (!rgb.ok()) {
      std::fprintf(stderr, "error: %s: %s\n", path.c_str(), rgb.status().ToString().c_str());
      return 1;
    }
    parts.push_back(ContentPart::Image(std::move(*rgb)));
  }
  parts.push_back(ContentPart::Text(*prompt));
  request.messages.push_back(Message::User(std::move(parts)));
  request.max_tokens = *max_tokens;
  request.sampling = SamplingParams{*temperature, *top_k, *top_p, static_cast<uint64_t>(*seed)};
  request.stop = *stops;
  request.ignore_eos = *ignore_eos;
  if (!*json) {
    request.on_token = [](int32_t, const std::string& piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return true;
    };
  }
  Status dump_status;
  StageObserver observer = [&](const std::string& name, const float* data, const Shape& shape) {
    int64_t layer = LayerOf(name);
    if (layer >= 0 && !layers.empty() && !layers.count(layer)) return;
    std::vector<int64_t> dims;
    for (int i = 0; i < shape.rank(); ++i) dims.push_back(shape[i]);
    Status s = WriteNpyF32(*dump + "/" + name + ".npy", data, dims);
    if (!s.ok() && dump_status.ok()) dump_status = s;
  };
  if (!dump->empty()) {
    std::error_code ec;
    std::filesystem::create_directories(*dump, ec);
    request.observer = &observer;
  }

  StatusOr<Completion> c = (*engine)->Generate(request);
  if (!c.ok()) {
    std::fprintf(stderr, "\nerror: %s\n", c.status().ToString().c_str());
    return 1;
  }
  if (!dump->empty()) {
    std::vector<int64_t> ids(c->tokens.begin(), c->tokens.end());
    if (dump_status.ok()) dump_status = WriteNpyI64(*dump + "/generated_tokens.npy", ids.data(), {(int64_t)ids.size()});
    if (!dump_status.ok()) {
      std::fprintf(stderr, "error: writing the dump: %s\n", dump_status.ToString().c_str());
      return 1;
    }
  }
  const Timings& t = c->timings;
  if (*json) {
    nlohmann::json j = {{"text", c->text},
                        {"tokens", c->tokens},
                        {"finish_reason", FinishReasonName(c->finish)},
                        {"timings", {{"preprocess_ms", t.preprocess_ms}, {"vision_ms", t.vision_ms},
                                     {"prefill_ms", t.prefill_ms}, {"decode_ms", t.decode_ms},
                                     {"prompt_tokens", t.prompt_tokens}, {"generated_tokens", t.generated_tokens},
                                     {"prefill_tokens_per_s", t.prefill_tokens_per_s()},
                                     {"decode_tokens_per_s", t.decode_tokens_per_s()}}}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("\n");
    std::fprintf(stderr,
                 "[%s] prompt %lld tokens, generated %lld | preprocess %.1f ms | vision %.1f ms | "
                 "prefill %.1f ms (%.1f tok/s) | decode %.1f ms (%.2f tok/s)\n",
                 FinishReasonName(c->finish), (long long)t.prompt_tokens, (long long)t.generated_tokens,
                 t.preprocess_ms, t.vision_ms, t.prefill_ms, t.prefill_tokens_per_s(), t.decode_ms,
                 t.decode_tokens_per_s());
  }
  return 0;
}

}  // namespace corgi::cli
