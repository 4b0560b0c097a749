// `corgi serve`: CoRGI and an OpenAI-compatible chat endpoint over HTTP (docs/SERVER.md).
//
//   ServerOptions o;  o.service.model_dir = "models/tiny";  o.port = 0;  // 0: any free port
//   Server server(o);
//   Status s = server.Start();      // binds, then loads the model on a background thread
//   server.WaitUntilLoaded(60);     // /health answers 503 until then
//   ... server.port() ...
//   server.Shutdown(10);            // stop accepting, cancel what is still running after 10 s
//
// Threads: cpp-httplib's pool parses, validates and enqueues (never touching the model);
// --parallel worker threads run the jobs (engine completions and CoRGI queries, which meet
// in the engine's scheduler); one loader thread. Thread-safety: every method may be
// called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "apps/server/http_common.h"
#include "apps/server/jobs.h"
#include "apps/server/metrics.h"
#include "apps/server/runs_store.h"
#include "corgi/core/status.h"
#include "corgi/service/query_service.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace corgi::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;      // 0: any free port (see port())
  std::string api_key;  // non-empty: Authorization: Bearer KEY on all but /health and the page
  // The id /v1/models and chat answers report; empty: ModelId(service.model_dir) (or the
  // replay file's name). `corgi serve` passes ModelId(--model as given, resolved dir).
  std::string model_id;
  service::ServiceOptions service;
  int64_t parallel = 4;       // worker threads: requests worked on at once
  int64_t queue = 32;         // requests waiting beyond those; more are answered 503
  double timeout_s = 600;     // per-request deadline: cancelled and answered 504
  int64_t runs_keep = 64;     // CoRGI runs whose files are kept
  int64_t runs_max_bytes = int64_t{1} << 30;
  std::string runs_dir;       // empty: a temporary folder removed at exit
  int64_t http_threads = 0;   // 0: parallel + queue + 8
  int read_timeout_s = 10;    // per read of a request (slow senders are cut off)
  int write_timeout_s = 10;
  ServerLimits limits;
};

// A clean model id for /v1/models from --model as `given` and the directory it resolved
// to: `given` itself when it is a Hugging Face repo id (OWNER/NAME that is no existing path
// and did not resolve to itself); the OWNER/NAME of a Hugging Face cache folder
// (.../models--OWNER--NAME/snapshots/REV); else the directory's base name.
std::string ModelId(const std::string& given, const std::string& resolved_dir = "");

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // Shutdown(0) if still running

  // Binds the address and starts serving and loading. Errors: the address cannot be bound.
  Status Start();
  int port() const { return port_; }
  // True once the model is loaded; false on timeout or a failed load (load_error()).
  bool WaitUntilLoaded(double timeout_s);
  std::optional<std::string> load_error() const;
  // Blocks until Shutdown (from another thread or a signal watcher) has finished.
  void Wait();
  // Stops accepting connections, lets running requests finish for up to `grace_s` seconds,
  // cancels the rest, and joins every thread. Idempotent.
  void Shutdown(double grace_s);

  service::QueryService* service() const;  // null until loaded
  const ServerOptions& options() const { return options_; }
  const std::string& model_id() const { return model_id_; }

 private:
  void Load();
  void Routes();
  bool Authorized(const httplib::Request& req) const;
  void Reply(httplib::Response& res, const ApiError& error) const;
  // Enqueues `job` with the request deadline; false (and `res` set to 503) when full.
  bool Enqueue(const std::shared_ptr<Job>& job, httplib::Response& res);
  // Answers with the job's final result (non-streaming), 504 after the deadline.
  void AwaitAndReply(const std::shared_ptr<Job>& job, httplib::Response& res);
  // Streams the job's chunks as text/event-stream; `error_chunk` formats a failure that
  // comes after the stream started. The response status waits for the first chunk, so a
  // request that fails before streaming is a plain JSON error.
  void StreamReply(const std::shared_ptr<Job>& job, httplib::Response& res,
                   std::function<std::string(int status, const std::string& body)> error_chunk);

  void HandleHealth(const httplib::Request& req, httplib::Response& res);
  void HandleModels(const httplib::Request& req, httplib::Response& res);
  void HandleMetrics(const httplib::Request& req, httplib::Response& res);
  void HandleChat(const httplib::Request& req, httplib::Response& res);   // chat_handler.cc
  void HandleAsk(const httplib::Request& req, httplib::Response& res);    // ask_handler.cc
  void HandleRunFile(const httplib::Request& req, httplib::Response& res);
  void HandleSamples(const httplib::Request& req, httplib::Response& res);
  void HandleSampleFile(const httplib::Request& req, httplib::Response& res);

  ServerOptions options_;
  std::string model_id_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<JobQueue> jobs_;
  std::unique_ptr<RunsStore> runs_;
  Metrics metrics_;
  int port_ = 0;
  std::chrono::system_clock::time_point started_;

  mutable std::mutex mu_;
  std::unique_ptr<service::QueryService> service_;  // set once by the loader
  std::optional<std::string> load_error_;
  std::condition_variable loaded_cv_;
  std::atomic<bool> loaded_{false};
  std::atomic<bool> draining_{false};
  bool shut_down_ = false;
  std::condition_variable shut_down_cv_;

  std::thread listener_, loader_;
};

}  // namespace corgi::server
