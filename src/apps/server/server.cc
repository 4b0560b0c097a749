// The HTTP side of `corgi serve`: binding, auth, routing, the small endpoints (health,
// models, metrics, the page, run files) and the plumbing that hands requests to jobs and
// answers from them. The two model endpoints are in chat_handler.cc and ask_handler.cc.
#include "apps/server/server.h"

#include <httplib.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "apps/server/web_assets.h"

namespace corgi::server {
namespace {

using Clock = std::chrono::steady_clock;

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i % (b.empty() ? 1 : b.size())];
  return diff == 0 && !b.empty();
}

bool IsPagePath(const std::string& path) {
  return path == "/" || path == "/index.html" || path == "/app.js" || path == "/style.css";
}

const char* ContentTypeFor(const std::string& name) {
  auto ends = [&](const char* ext) {
    size_t n = std::strlen(ext);
    return name.size() >= n && name.compare(name.size() - n, n, ext) == 0;
  };
  if (ends(".png")) return "image/png";
  if (ends(".jpg") || ends(".jpeg")) return "image/jpeg";
  if (ends(".webp")) return "image/webp";
  if (ends(".json")) return "application/json";
  if (ends(".html")) return "text/html; charset=utf-8";
  return "application/octet-stream";
}

constexpr char kPlaceholderPage[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>corgi</title></head><body>"
    "<h1>corgi serve</h1><p>The web page was not built into this binary. The API is at "
    "<code>/v1/corgi/ask</code> and <code>/v1/chat/completions</code> (docs/SERVER.md).</p>"
    "</body></html>";

// The bundled samples (web/samples/, compiled in): samples.json's entries whose file was
// embedded, in its order, then any embedded file it does not name.
const nlohmann::json& SampleList() {
  static const nlohmann::json list = [] {
    nlohmann::json out = nlohmann::json::array();
    std::vector<std::string> listed;
    auto embedded = [](const std::string& file) {
      for (size_t i = 0; i < web::kSampleCount; ++i)
        if (file == web::kSamples[i].name) return true;
      return false;
    };
    auto url = [](const std::string& file) { return "/v1/corgi/samples/" + file; };
    nlohmann::json manifest = nlohmann::json::parse(
        reinterpret_cast<const char*>(web::kSamplesJson.data),
        reinterpret_cast<const char*>(web::kSamplesJson.data) + web::kSamplesJson.size, nullptr, false);
    if (manifest.is_object() && manifest.contains("samples") && manifest["samples"].is_array()) {
      for (const nlohmann::json& e : manifest["samples"]) {
        if (!e.is_object() || !e.contains("file") || !e["file"].is_string()) continue;
        const std::string file = e["file"];
        if (!embedded(file)) continue;
        nlohmann::json item = {{"name", e.value("name", file)}, {"url", url(file)}};
        if (e.contains("question") && e["question"].is_string()) item["question"] = e["question"];
        out.push_back(std::move(item));
        listed.push_back(file);
      }
    }
    for (size_t i = 0; i < web::kSampleCount; ++i) {
      const std::string file = web::kSamples[i].name;
      if (std::find(listed.begin(), listed.end(), file) == listed.end())
        out.push_back({{"name", file}, {"url", url(file)}});
    }
    return out;
  }();
  return list;
}

}  // namespace

std::string ModelId(const std::string& given, const std::string& resolved_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  static const std::regex kRepoId(R"([A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*)");
  // OWNER/NAME that is no local path (a local path resolves to itself).
  if (std::regex_match(given, kRepoId) && resolved_dir != given && !fs::exists(given, ec)) return given;
  const std::string dir = resolved_dir.empty() ? given : resolved_dir;
  fs::path path = fs::path(dir).lexically_normal();
  // Hugging Face cache: .../models--OWNER--NAME/snapshots/REVISION
  for (const fs::path& part : path) {
    const std::string p = part.string();
    if (p.rfind("models--", 0) != 0) continue;
    std::string rest = p.substr(8);
    size_t sep = rest.find("--");
    if (sep != std::string::npos && sep > 0 && sep + 2 < rest.size())
      return rest.substr(0, sep) + "/" + rest.substr(sep + 2);
  }
  std::string name = path.filename().string();
  if (name.empty() || name == "." || name == "..") {
    fs::path abs = fs::absolute(path, ec).lexically_normal();
    if (abs.has_filename()) name = abs.filename().string();
    else if (abs.has_parent_path()) name = abs.parent_path().filename().string();
  }
  if (name.empty() || name == "." || name == ".." || name == "/") name = "corgi";
  return name;
}

Server::Server(ServerOptions options) : options_(std::move(options)) {
  if (!options_.model_id.empty()) {
    model_id_ = options_.model_id;
  } else if (options_.service.model_dir.empty() && !options_.service.replay_path.empty()) {
    model_id_ = "replay:" + ModelId(options_.service.replay_path);
  } else {
    model_id_ = ModelId(options_.service.model_dir);
  }
}

Server::~Server() { Shutdown(0); }

Status Server::Start() {
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the process
  started_ = std::chrono::system_clock::now();
  CORGI_ASSIGN_OR_RETURN(runs_, RunsStore::Create(options_.runs_dir, options_.runs_keep,
                                                  options_.runs_max_bytes));
  CORGI_ASSIGN_OR_RETURN(jobs_, JobQueue::Create(std::max<int64_t>(1, options_.parallel),
                                                 std::max<int64_t>(0, options_.queue)));
  http_ = std::make_unique<httplib::Server>();
  int64_t threads = options_.http_threads > 0 ? options_.http_threads
                                              : options_.parallel + options_.queue + 8;
  threads = std::clamp<int64_t>(threads, 4, 1024);
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http_->set_payload_max_length(static_cast<size_t>(options_.limits.max_body_bytes));
  http_->set_read_timeout(options_.read_timeout_s, 0);
  http_->set_write_timeout(options_.write_timeout_s, 0);
  http_->set_keep_alive_max_count(100);
  http_->set_keep_alive_timeout(5);
  Routes();
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ <= 0) return IoError("cannot bind " + options_.host + " to any port");
  } else {
    if (!http_->bind_to_port(options_.host, options_.port))
      return IoError("cannot bind " + options_.host + ":" +
                              std::to_string(options_.port) +
                              " (in use, or not an address of this machine?)");
    port_ = options_.port;
  }
  listener_ = std::thread([this] { http_->listen_after_bind(); });
  loader_ = std::thread([this] { Load(); });
  return Status::Ok();
}

void Server::Load() {
  StatusOr<std::unique_ptr<service::QueryService>> s = service::QueryService::Create(options_.service);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok()) {
      service_ = std::move(*s);
      loaded_.store(true, std::memory_order_release);
    } else {
      load_error_ = s.status().ToString();
    }
  }
  loaded_cv_.notify_all();
}

bool Server::WaitUntilLoaded(double timeout_s) {
  std::unique_lock<std::mutex> lock(mu_);
  loaded_cv_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                      [&] { return loaded_.load() || load_error_.has_value(); });
  return loaded_.load();
}

std::optional<std::string> Server::load_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return load_error_;
}

service::QueryService* Server::service() const {
  return loaded_.load(std::memory_order_acquire) ? service_.get() : nullptr;
}

void Server::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  shut_down_cv_.wait(lock, [&] { return shut_down_; });
}

void Server::Shutdown(double grace_s) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_ || !http_) return;
  }
  draining_ = true;
  std::thread stopper([this] { http_->stop(); });  // closes the listening socket at once
  auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(std::max(0.0, grace_s)));
  if (!jobs_->WaitIdle(until)) {
    jobs_->CancelAll(CancelReason::kShutdown);
    jobs_->WaitIdle(Clock::now() + std::chrono::seconds(60));
  }
  stopper.join();
  if (listener_.joinable()) listener_.join();  // waits for the HTTP threads to finish
  if (loader_.joinable()) loader_.join();
  jobs_.reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
  }
  shut_down_cv_.notify_all();
}

bool Server::Authorized(const httplib::Request& req) const {
  if (options_.api_key.empty() || req.path == "/health" || IsPagePath(req.path)) return true;
  const std::string header = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0) return false;
  return ConstantTimeEquals(header.substr(prefix.size()), options_.api_key);
}

void Server::Reply(httplib::Response& res, const ApiError& error) const {
  res.status = error.status;
  if (error.status == 503) res.set_header("Retry-After", "1");
  res.set_content(error.Body(), "application/json");
}

void Server::Routes() {
  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (draining_) {
      ApiError e = CancelledError(CancelReason::kShutdown);
      Reply(res, e);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!Authorized(req)) {
      ApiError e = BadRequest("missing or wrong API key: send Authorization: Bearer <key>",
                              "invalid_api_key");
      e.status = 401;
      e.type = "authentication_error";
      Reply(res, e);
      res.set_header("WWW-Authenticate", "Bearer");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Errors httplib answers by itself (unknown path, oversized body or URI, unparsable
  // request) get the same JSON shape as ours; ours already have a body.
  http_->set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req,
                                                                  httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ApiError e;
    e.status = res.status;
    switch (res.status) {
      case 404:
        e.code = "not_found";
        e.message = "no endpoint " + req.method + " " + req.path.substr(0, 200) +
                    " (docs/SERVER.md lists them)";
        break;
      case 413:
        e.code = "body_too_large";
        e.message = "request body too large";
        break;
      case 414:
        e.code = "uri_too_long";
        e.message = "request URI too long";
        break;
      case 431:
        e.code = "headers_too_large";
        e.message = "request headers too large";
        break;
      default:
        e.code = "bad_request";
        e.message = "malformed HTTP request";
        if (res.status >= 500) e.type = "server_error";
        break;
    }
    res.set_content(e.Body(), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  http_->set_exception_handler(
      [this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        ApiError e = BadRequest("internal error", "internal_error");
        e.status = 500;
        e.type = "server_error";
        Reply(res, e);
      });
  // Counted before the response is written (the logger runs after it is sent), so a client
  // that reads /metrics right after a reply always sees that reply counted.
  http_->set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    metrics_.CountRequest(req.method, req.path, res.status);
  });

  auto page = [](const web::Asset& asset, const char* type) {
    return [&asset, type](const httplib::Request&, httplib::Response& res) {
      if (asset.size == 0 && std::string(type).rfind("text/html", 0) == 0) {
        res.set_content(kPlaceholderPage, type);
      } else {
        res.set_content(reinterpret_cast<const char*>(asset.data), asset.size, type);
      }
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Content-Type-Options", "nosniff");
    };
  };
  http_->Get("/", page(web::kIndexHtml, "text/html; charset=utf-8"));
  http_->Get("/index.html", page(web::kIndexHtml, "text/html; charset=utf-8"));
  http_->Get("/app.js", page(web::kAppJs, "text/javascript; charset=utf-8"));
  http_->Get("/style.css", page(web::kStyleCss, "text/css; charset=utf-8"));
  using namespace std::placeholders;
  http_->Get("/health", [this](const auto& req, auto& res) { HandleHealth(req, res); });
  http_->Get("/v1/models", [this](const auto& req, auto& res) { HandleModels(req, res); });
  http_->Get("/metrics", [this](const auto& req, auto& res) { HandleMetrics(req, res); });
  http_->Post("/v1/chat/completions",
              [this](const httplib::Request& req, httplib::Response& res) { HandleChat(req, res); });
  http_->Post("/v1/corgi/ask",
              [this](const httplib::Request& req, httplib::Response& res) { HandleAsk(req, res); });
  http_->Get("/v1/corgi/samples", [this](const auto& req, auto& res) { HandleSamples(req, res); });
  http_->Get(R"(/v1/corgi/samples/([^/]+))",
             [this](const auto& req, auto& res) { HandleSampleFile(req, res); });
  http_->Get(R"(/v1/corgi/runs/([^/]+)/(.+))",
             [this](const auto& req, auto& res) { HandleRunFile(req, res); });
}

void Server::HandleHealth(const httplib::Request&, httplib::Response& res) {
  nlohmann::json body;
  double uptime = std::chrono::duration<double>(std::chrono::system_clock::now() - started_).count();
  if (service() != nullptr) {
    body = {{"status", "ok"}, {"model", model_id_}, {"uptime_s", uptime},
            {"jobs_running", jobs_->running()}, {"jobs_waiting", jobs_->waiting()}};
  } else if (std::optional<std::string> error = load_error()) {
    res.status = 503;
    body = {{"status", "error"}, {"error", *error}};
  } else {
    res.status = 503;
    res.set_header("Retry-After", "1");
    body = {{"status", "loading"}, {"uptime_s", uptime}};
  }
  res.set_content(body.dump(), "application/json");
}

namespace {
ApiError NotLoaded(const std::optional<std::string>& error) {
  ApiError e;
  e.status = 503;
  e.type = "server_error";
  e.code = error ? "model_load_failed" : "model_loading";
  e.message = error ? "the model failed to load: " + *error : "the model is still loading";
  return e;
}
}  // namespace

void Server::HandleModels(const httplib::Request&, httplib::Response& res) {
  service::QueryService* s = service();
  if (s == nullptr) return Reply(res, NotLoaded(load_error()));
  nlohmann::json model = {
      {"id", model_id_},
      {"object", "model"},
      {"created", std::chrono::duration_cast<std::chrono::seconds>(started_.time_since_epoch()).count()},
      {"owned_by", "corgi"}};
  res.set_content(nlohmann::json{{"object", "list"}, {"data", {model}}}.dump(), "application/json");
}

void Server::HandleMetrics(const httplib::Request&, httplib::Response& res) {
  ServerGauges g;
  g.loaded = loaded_.load();
  g.jobs_waiting = jobs_->waiting();
  g.jobs_running = jobs_->running();
  g.runs_kept = runs_->runs();
  g.runs_bytes = runs_->bytes();
  std::optional<EngineStats> stats;
  if (service::QueryService* s = service(); s != nullptr && s->engine() != nullptr)
    stats = s->engine()->Stats();
  res.set_content(metrics_.Render(g, stats ? &*stats : nullptr), "text/plain; version=0.0.4");
}

void Server::HandleSamples(const httplib::Request&, httplib::Response& res) {
  res.set_content(SampleList().dump(), "application/json");
}

void Server::HandleSampleFile(const httplib::Request& req, httplib::Response& res) {
  const std::string name = req.matches[1];
  for (size_t i = 0; i < web::kSampleCount; ++i) {
    if (name != web::kSamples[i].name) continue;
    const web::Asset& a = web::kSamples[i].asset;
    res.set_content(reinterpret_cast<const char*>(a.data), a.size, ContentTypeFor(name));
    res.set_header("Cache-Control", "public, max-age=3600");
    res.set_header("X-Content-Type-Options", "nosniff");
    return;
  }
  ApiError e = BadRequest("no such sample (GET /v1/corgi/samples lists them)", "not_found");
  e.status = 404;
  Reply(res, e);
}

void Server::HandleRunFile(const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1];
  const std::string name = req.matches[2];
  std::optional<std::string> path = runs_->FilePath(id, name);
  ApiError missing = BadRequest("no such run or file (runs are kept for the last " +
                                    std::to_string(options_.runs_keep) + " queries)",
                                "not_found");
  missing.status = 404;
  if (!path) return Reply(res, missing);
  std::ifstream in(*path, std::ios::binary);
  std::ostringstream data;
  data << in.rdbuf();
  if (!in) return Reply(res, missing);
  res.set_content(data.str(), ContentTypeFor(name));
  res.set_header("X-Content-Type-Options", "nosniff");
}

bool Server::Enqueue(const std::shared_ptr<Job>& job, httplib::Response& res) {
  job->deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(options_.timeout_s));
  // Busy time (the throughput gauges' denominator): from a worker taking the job up to
  // the end of its work.
  job->run = [this, run = std::move(job->run)](Job* j) {
    struct Busy {
      Metrics& m;
      explicit Busy(Metrics& m) : m(m) { m.JobStarted(); }
      ~Busy() { m.JobEnded(); }
    } busy(metrics_);
    run(j);
  };
  if (jobs_->Submit(job)) return true;
  ApiError e;
  e.status = 503;
  e.type = "server_error";
  e.code = draining_ ? "shutting_down" : "queue_full";
  e.message = draining_ ? "the server is shutting down"
                        : "the server is busy (" + std::to_string(options_.queue) +
                              " requests already wait); retry later";
  Reply(res, e);
  return false;
}

void Server::AwaitAndReply(const std::shared_ptr<Job>& job, httplib::Response& res) {
  if (!job->channel.WaitFinished(job->deadline)) {
    job->Cancel(CancelReason::kDeadline);
    if (!job->channel.WaitFinished(Clock::now() + std::chrono::seconds(30)))
      return Reply(res, CancelledError(CancelReason::kDeadline));
  }
  res.status = job->channel.status();
  if (res.status == 503) res.set_header("Retry-After", "1");
  res.set_content(job->channel.body(), "application/json");
}

void Server::StreamReply(const std::shared_ptr<Job>& job, httplib::Response& res,
                         std::function<std::string(int, const std::string&)> error_chunk) {
  auto first = std::make_shared<std::string>();
  JobChannel::Next next = job->channel.Wait(job->deadline, first.get());
  if (next == JobChannel::Next::kTimeout) {
    job->Cancel(CancelReason::kDeadline);
    job->channel.WaitFinished(Clock::now() + std::chrono::seconds(30));
    return Reply(res, CancelledError(CancelReason::kDeadline));
  }
  if (next == JobChannel::Next::kFinished && job->channel.status() != 200) {
    res.status = job->channel.status();
    if (res.status == 503) res.set_header("Retry-After", "1");
    res.set_content(job->channel.body(), "application/json");
    return;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [job, first, error_chunk](size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& text) {
          if (text.empty() || sink.write(text.data(), text.size())) return true;
          job->Cancel(CancelReason::kClientGone);  // frees the engine's KV pages
          return false;
        };
        if (!write(*first)) return false;
        first->clear();
        auto last_write = Clock::now();
        while (true) {
          std::string chunk;
          auto until = std::min(Clock::now() + std::chrono::milliseconds(500), job->deadline);
          if (job->reason() != CancelReason::kNone) until = Clock::now() + std::chrono::milliseconds(500);
          JobChannel::Next n = job->channel.Wait(until, &chunk);
          if (n == JobChannel::Next::kChunk) {
            if (!write(chunk)) return false;
            last_write = Clock::now();
          } else if (n == JobChannel::Next::kFinished) {
            int status = job->channel.status();
            std::string body = job->channel.body();
            write(status == 200 ? body : error_chunk(status, body));
            sink.done();
            return true;
          } else {
            if (Clock::now() >= job->deadline) job->Cancel(CancelReason::kDeadline);
            // A comment line: clients ignore it; a gone client makes the write fail.
            if (Clock::now() - last_write >= std::chrono::seconds(1)) {
              if (!write(": keep-alive\n\n")) return false;
              last_write = Clock::now();
            }
          }
        }
      });
}

}  // namespace corgi::server
