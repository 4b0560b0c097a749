// corgi serve: the model loaded once, CoRGI and an OpenAI-compatible chat endpoint over
// HTTP, and the web page (docs/SERVER.md). Exits 0 after SIGINT/SIGTERM (running requests
// get --grace-s seconds, then are cancelled), 1 when the model fails to load or the
// address cannot be bound, 2 on bad usage.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "apps/cli/commands.h"
#include "apps/cli/flags.h"
#include "apps/cli/model_path.h"
#include "apps/server/server.h"
#include "corgi/pipeline/config.h"

namespace corgi::cli {
namespace {

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

int RunServe(int argc, char** argv) {
  FlagParser flags(
      "corgi serve --model DIR [--host ADDR] [--port N] [--api-key KEY] [flags]",
      "Serves CoRGI over HTTP with the model loaded once: POST /v1/corgi/ask (results.json or\n"
      "live events), POST /v1/chat/completions (OpenAI-compatible), the web page at /, and\n"
      "/health, /v1/models, /metrics. docs/SERVER.md describes every endpoint and limit.");
  std::string* model = AddModelFlag(&flags, "checkpoint directory or Hugging Face repo id");
  std::string* host = flags.String("host", "127.0.0.1", "address to listen on", "ADDR");
  int64_t* port = flags.Int("port", 8080, "port to listen on (0: any free port)", "N");
  std::string* api_key = flags.String(
      "api-key", "", "require Authorization: Bearer KEY (default: $CORGI_API_KEY)", "KEY");
  std::string* config_path = flags.String("config", "", "settings file (docs/CONFIG.md)", "PATH");
  int64_t* parallel = flags.Int("parallel", 4, "requests worked on at once", "N");
  int64_t* queue = flags.Int("queue", 32, "requests that may wait beyond those (more: 503)", "N");
  double* timeout = flags.Double("timeout-s", 600, "per-request deadline in seconds (then 504)", "S");
  int64_t* runs_keep = flags.Int("runs-keep", 64, "CoRGI runs whose files are kept", "N");
  int64_t* runs_mb = flags.Int("runs-max-mb", 1024, "most megabytes of kept runs", "N");
  std::string* runs_dir = flags.String("runs-dir", "", "folder for kept runs (default: a temporary one)", "DIR");
  int64_t* threads = AddThreadsFlag(&flags, "engine threads, 0: all cores (config: engine.threads)");
  std::string* weights = AddWeightsFlag(&flags);
  double* grace = flags.Double("grace-s", 10, "on SIGINT/SIGTERM, seconds running requests may finish", "S");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  auto usage_error = [&](const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    flags.PrintUsage();
    return 2;
  };
  if (model->empty()) return usage_error("--model is required");
  if (!flags.positional().empty()) return usage_error("unexpected argument '" + flags.positional()[0] + "'");
  if (*port < 0 || *port > 65535) return usage_error("--port must be in [0, 65535]");
  if (*parallel < 1 || *parallel > 256) return usage_error("--parallel must be in [1, 256]");
  if (*queue < 0 || *queue > 4096) return usage_error("--queue must be in [0, 4096]");
  if (!(*timeout > 0)) return usage_error("--timeout-s must be positive");
  if (*runs_keep < 0 || *runs_mb < 0) return usage_error("--runs-keep and --runs-max-mb must be >= 0");
  const std::string model_given = *model;
  if (!ResolveModelFlag(model)) return 1;

  server::ServerOptions o;
  if (!config_path->empty()) {
    StatusOr<pipeline::PipelineConfig> c = pipeline::LoadConfigFile(*config_path);
    if (!c.ok()) {
      std::fprintf(stderr, "error: %s\n", c.status().message().c_str());
      return 2;
    }
    o.service.config = *c;
  }
  if (flags.WasSet("threads")) o.service.config.engine.threads = *threads;
  if (flags.WasSet("weights")) o.service.config.engine.weights = *weights;
  o.service.model_dir = *model;
  o.model_id = server::ModelId(model_given, *model);
  o.host = *host;
  o.port = static_cast<int>(*port);
  o.api_key = *api_key;
  if (o.api_key.empty())
    if (const char* env = std::getenv("CORGI_API_KEY")) o.api_key = env;
  o.parallel = *parallel;
  o.queue = *queue;
  o.timeout_s = *timeout;
  o.runs_keep = *runs_keep;
  o.runs_max_bytes = *runs_mb << 20;
  o.runs_dir = *runs_dir;
  if (!IsLoopback(o.host) && o.api_key.empty())
    std::fprintf(stderr,
                 "warning: listening on %s without an API key: anyone who can reach this "
                 "address can use the model (set --api-key or CORGI_API_KEY)\n",
                 o.host.c_str());

  // SIGINT/SIGTERM are taken by a watcher thread (sigwait), so no handler runs in a
  // signal context; every thread started from here inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server::Server srv(o);
  Status started = srv.Start();
  if (!started.ok()) {
    std::fprintf(stderr, "error: %s\n", started.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "corgi serve: listening on http://%s:%d (loading %s)\n", o.host.c_str(),
               srv.port(), model->c_str());
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGINT || sig == SIGTERM) {
      std::fprintf(stderr, "corgi serve: %s, stopping (grace %.0f s)\n",
                   sig == SIGINT ? "SIGINT" : "SIGTERM", *grace);
      srv.Shutdown(*grace);
    }
  });
  bool loaded = srv.WaitUntilLoaded(1e9);
  int code = 0;
  if (loaded) {
    std::fprintf(stderr, "corgi serve: model loaded, ready\n");
  } else if (std::optional<std::string> error = srv.load_error()) {
    std::fprintf(stderr, "error: %s\n", error->c_str());
    code = 1;
    kill(getpid(), SIGTERM);  // wakes the watcher, which shuts down
  }
  srv.Wait();
  watcher.join();
  return code;
}

}  // namespace corgi::cli
