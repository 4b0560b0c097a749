#include "corgi/pipeline/remote_vlm.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include "corgi/image/encode.h"
#include "corgi/image/resize.h"
#include "pipeline/config/models_config.h"
#include "pipeline/remote/endpoint_pool.h"
#include "pipeline/remote/http_client.h"
#include "pipeline/remote/openai_chat.h"
#include "pipeline/report/html.h"

namespace corgi::pipeline {
namespace {

using remote::HttpRequest;
using remote::HttpResponse;
using remote::ReasoningFormat;

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// 408, 429 and 5xx are worth another try (the server was busy or broke); other 4xx are
// the request's fault and fail at once.
bool RetryableStatus(long status) { return status == 408 || status == 429 || status >= 500; }
bool RetryableError(const Status& s) {
  return s.code() == StatusCode::kIoError || s.code() == StatusCode::kDeadlineExceeded ||
         s.code() == StatusCode::kDataLoss;
}

std::string ErrorMessage(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"];
    if (e.is_string()) return e;
  }
  return body.substr(0, 200);
}

// Sleeps up to `seconds`, waking early when `cancel` fires. False when cancelled.
bool SleepUnlessCancelled(double seconds, const std::optional<CancelToken>& cancel) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (cancel && cancel->cancelled()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return !(cancel && cancel->cancelled());
}

}  // namespace

struct RemoteVlm::Impl {
  RemoteModelConfig config;
  GroundingSpace space = GroundingSpace::kRelative1000;
  std::vector<ReasoningFormat> formats;   // per endpoint
  std::vector<std::string> auth_headers;  // per endpoint: "Authorization: Bearer ..." or ""
  remote::HttpClient http;
  std::unique_ptr<remote::EndpointPool> pool;
  std::mutex names_mutex;
  std::vector<std::string> model_names;  // per endpoint; filled from GET /models when empty
  std::atomic<int64_t> retries{0};
  // The last images sent and their data: URLs: a query's reasoning, grounding and
  // synthesis calls share one decoded original, which is then encoded once, not per call.
  std::mutex urls_mutex;
  std::vector<std::pair<std::weak_ptr<const RgbImage>, std::string>> recent_urls;  // guarded
  static constexpr size_t kRecentUrls = 8;

  std::vector<std::string> Headers(size_t i) const {
    std::vector<std::string> h = {"Content-Type: application/json", "Accept: application/json, text/event-stream"};
    if (!auth_headers[i].empty()) h.push_back(auth_headers[i]);
    return h;
  }

  // The model name endpoint i serves: configured, else the first id of its GET /models.
  StatusOr<std::string> ModelName(size_t i, const std::optional<CancelToken>& cancel) {
    {
      std::lock_guard<std::mutex> lock(names_mutex);
      if (!model_names[i].empty()) return model_names[i];
    }
    HttpRequest get;
    get.url = TrimSlash(config.endpoints[i].url) + "/models";
    get.headers = Headers(i);
    get.timeout_s = std::min(config.timeout_s, 60.0);
    get.cancel = cancel;
    CORGI_ASSIGN_OR_RETURN(HttpResponse r, http.Send(get));
    if (r.status != 200)
      return RetryableStatus(r.status) ? IoError(get.url + " answered " + std::to_string(r.status))
                                       : InvalidArgumentError(get.url + " answered " + std::to_string(r.status) +
                                                              ": " + ErrorMessage(r.body) +
                                                              " (set the endpoint's model)");
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("data") || !j["data"].is_array() || j["data"].empty() ||
        !j["data"][0].is_object() || !j["data"][0].contains("id") || !j["data"][0]["id"].is_string())
      return DataLossError(get.url + ": no model id in the reply (set the endpoint's model)");
    std::lock_guard<std::mutex> lock(names_mutex);
    model_names[i] = j["data"][0]["id"].get<std::string>();
    return model_names[i];
  }

  StatusOr<std::string> DataUrl(const std::shared_ptr<const RgbImage>& image) {
    {
      std::lock_guard<std::mutex> lock(urls_mutex);
      for (const auto& [seen, url] : recent_urls)
        if (seen.lock() == image) return url;
    }
    const bool jpeg = config.image_format == "jpeg";
    CORGI_ASSIGN_OR_RETURN(std::string bytes, jpeg ? EncodeJpeg(*image, static_cast<int>(config.jpeg_quality))
                                                   : EncodePng(*image));
    std::string url = std::string(jpeg ? "data:image/jpeg;base64," : "data:image/png;base64,") +
                      report_internal::Base64Encode(bytes);
    std::lock_guard<std::mutex> lock(urls_mutex);
    if (recent_urls.size() >= kRecentUrls) recent_urls.erase(recent_urls.begin());
    recent_urls.emplace_back(image, url);
    return url;
  }

  StatusOr<std::vector<std::string>> ImageUrls(const Request& request) {
    std::vector<std::string> urls;
    for (const Message& m : request.messages) {
      for (const ContentPart& part : m.content) {
        if (part.kind != ContentPart::Kind::kImage) continue;
        if (!part.image) return InvalidArgumentError("an image part without an image");
        CORGI_ASSIGN_OR_RETURN(std::string url, DataUrl(part.image));
        urls.push_back(std::move(url));
      }
    }
    return urls;
  }

  // One HTTP exchange on endpoint i. Retryable failures come back as IoError,
  // DeadlineExceeded or DataLoss (with `retry_after` set when the server gave one).
  StatusOr<Completion> Exchange(size_t i, const Request& request, const std::vector<std::string>& image_urls,
                                std::string* retry_after) {
    CORGI_ASSIGN_OR_RETURN(std::string model, ModelName(i, request.cancel));
    remote::ChatBodyOptions o{model, config.endpoints[i].dialect, formats[i], bool(request.on_token)};
    CORGI_ASSIGN_OR_RETURN(std::string body, remote::BuildChatBody(request, image_urls, o));
    HttpRequest post;
    post.url = TrimSlash(config.endpoints[i].url) + "/chat/completions";
    post.headers = Headers(i);
    post.body = std::move(body);
    post.timeout_s = config.timeout_s;
    post.cancel = request.cancel;
    std::optional<remote::ChatStreamParser> stream;
    std::string error_body;  // a streamed request's error reply is plain JSON
    if (request.on_token) {
      stream.emplace([&request](const std::string& piece) { return request.on_token(-1, piece); });
      post.on_body = [&stream, &error_body](std::string_view piece) {
        if (error_body.size() < 65536) error_body.append(piece);
        return stream->Feed(piece);
      };
    }
    CORGI_ASSIGN_OR_RETURN(HttpResponse r, http.Send(post));
    *retry_after = r.retry_after;
    if (r.status != 200) {
      std::string message = post.url + " answered " + std::to_string(r.status) + ": " +
                            ErrorMessage(stream ? error_body : r.body);
      return RetryableStatus(r.status) ? IoError(message) : InvalidArgumentError(message);
    }
    StatusOr<Completion> c = stream ? stream->Finish() : remote::ParseChatReply(r.body);
    if (!c.ok()) return c.status().WithContext(post.url);
    if (!request.constraint.free_text_until.empty() && formats[i] == ReasoningFormat::kJson)
      c->text = remote::JsonReasoningToTagged(c->text, request.constraint);
    return c;
  }
};

RemoteVlm::RemoteVlm(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RemoteVlm::~RemoteVlm() = default;

StatusOr<std::unique_ptr<RemoteVlm>> RemoteVlm::Create(const RemoteModelConfig& config) {
  if (config.endpoints.empty()) return InvalidArgumentError("a remote model needs at least one endpoint");
  PhaseModelConfig as_phase;
  as_phase.remote = config;
  ModelsConfig check;
  check.default_model = as_phase;
  CORGI_RETURN_IF_ERROR(ValidateModels(check));
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  CORGI_ASSIGN_OR_RETURN(impl->space, ParseGroundingSpace(config.grounding_space));
  std::vector<int64_t> slots;
  for (size_t i = 0; i < config.endpoints.size(); ++i) {
    const EndpointConfig& e = config.endpoints[i];
    CORGI_ASSIGN_OR_RETURN(ReasoningFormat f, remote::ResolveReasoningFormat(e.dialect, config.reasoning_format));
    impl->formats.push_back(f);
    std::string auth;
    if (!e.api_key_env.empty()) {
      const char* key = std::getenv(e.api_key_env.c_str());
      if (key == nullptr || *key == '\0')
        return FailedPreconditionError("endpoint " + e.url + ": environment variable " + e.api_key_env +
                                       " (api_key_env) is not set");
      auth = std::string("Authorization: Bearer ") + key;
    }
    impl->auth_headers.push_back(auth);
    impl->model_names.push_back(e.model);
    slots.push_back(e.max_in_flight);
  }
  impl->pool = std::make_unique<remote::EndpointPool>(slots, config.eject_s);
  return std::unique_ptr<RemoteVlm>(new RemoteVlm(std::move(impl)));
}

StatusOr<Completion> RemoteVlm::Generate(const Request& request, const CallInfo& call) {
  Impl& m = *impl_;
  CORGI_ASSIGN_OR_RETURN(std::vector<std::string> image_urls, m.ImageUrls(request));
  thread_local std::mt19937_64 jitter_rng(std::random_device{}());
  Status last = Status::Ok();
  for (int64_t attempt = 0;; ++attempt) {
    CORGI_ASSIGN_OR_RETURN(size_t i, m.pool->Acquire(request.cancel));
    std::string retry_after;
    StatusOr<Completion> c = m.Exchange(i, request, image_urls, &retry_after);
    const bool retryable = !c.ok() && RetryableError(c.status());
    m.pool->Release(i, retryable);
    if (c.ok() || !retryable) return c;
    last = c.status();
    if (attempt >= m.config.max_retries) break;
    ++m.retries;
    // Retry-After (seconds) wins, up to a minute; else exponential backoff with jitter.
    double wait = m.config.retry_backoff_s * std::pow(2.0, static_cast<double>(attempt));
    wait = std::min(wait, 30.0) * std::uniform_real_distribution<double>(0.8, 1.2)(jitter_rng);
    if (!retry_after.empty()) {
      char* end = nullptr;
      double s = std::strtod(retry_after.c_str(), &end);
      if (end != retry_after.c_str() && std::isfinite(s) && s >= 0) wait = std::min(s, 60.0);
    }
    if (!SleepUnlessCancelled(wait, request.cancel)) return CancelledError("cancelled while waiting to retry");
  }
  return Status(last.code(), last.message() + " (after " + std::to_string(m.config.max_retries) + " retries)");
}

std::vector<StatusOr<Completion>> RemoteVlm::GenerateBatch(const std::vector<Request>& requests,
                                                           const std::vector<CallInfo>& calls) {
  std::vector<StatusOr<Completion>> out(requests.size(), Status(InternalError("not run")));
  std::vector<std::thread> threads;
  for (size_t k = 0; k < requests.size(); ++k)
    threads.emplace_back([&, k] { out[k] = Generate(requests[k], calls[k]); });
  for (std::thread& t : threads) t.join();
  return out;
}

std::string RemoteVlm::name() const {
  const EndpointConfig& e = impl_->config.endpoints[0];
  return "remote:" + (e.model.empty() ? e.url : e.model + "@" + e.url);
}

GroundingSpace RemoteVlm::grounding_space() const { return impl_->space; }

StatusOr<std::pair<int64_t, int64_t>> RemoteVlm::ModelInputSize(int64_t height, int64_t width) const {
  const RemoteModelConfig& c = impl_->config;
  CORGI_ASSIGN_OR_RETURN(ResizeTarget t, SmartResize(height, width, c.patch_size * c.merge_size,
                                                     c.min_pixels, c.max_pixels));
  return std::make_pair(t.height, t.width);
}

std::vector<RemoteEndpointStats> RemoteVlm::Stats() const {
  std::vector<RemoteEndpointStats> out;
  std::vector<remote::EndpointCounters> counters = impl_->pool->counters();
  for (size_t i = 0; i < counters.size(); ++i)
    out.push_back({impl_->config.endpoints[i].url, counters[i].requests, counters[i].failures,
                   counters[i].ejections});
  return out;
}

int64_t RemoteVlm::retries() const { return impl_->retries.load(); }

}  // namespace corgi::pipeline
