#include "pipeline/remote/http_client.h"

#include <curl/curl.h>

#include <cmath>
#include <mutex>

namespace corgi::pipeline::remote {
namespace {

void GlobalInit() {
  static std::once_flag once;
  // curl_global_init is not thread-safe; everything after it is (with CURLOPT_NOSIGNAL).
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  int64_t received = 0;
  bool too_long = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  t->received += static_cast<int64_t>(n);
  if (t->received > t->request->max_body_bytes) {
    t->too_long = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  if (t->request->on_body) {
    if (!t->request->on_body(std::string_view(data, n))) {
      t->response->stopped_early = true;
      return 0;
    }
  } else {
    t->response->body.append(data, n);
  }
  return n;
}

// Header lines, one per call ("Name: value\r\n"); names are case-insensitive.
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    if (name == "retry-after") t->response->retry_after = std::string(value);
    if (name == "content-type") t->response->content_type = std::string(value);
  }
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->request->cancel && t->request->cancel->cancelled() ? 1 : 0;
}

long Millis(double seconds) { return static_cast<long>(std::ceil(seconds * 1000)); }

}  // namespace

struct HttpClient::Pool {
  std::mutex mutex;
  std::vector<CURL*> free;  // guarded by mutex

  CURL* Take() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!free.empty()) {
        CURL* h = free.back();
        free.pop_back();
        curl_easy_reset(h);  // keeps the handle's live connections
        return h;
      }
    }
    return curl_easy_init();
  }
  void Give(CURL* h) {
    std::lock_guard<std::mutex> lock(mutex);
    free.push_back(h);
  }
  ~Pool() {
    for (CURL* h : free) curl_easy_cleanup(h);
  }
};

HttpClient::HttpClient() : pool_(std::make_unique<Pool>()) { GlobalInit(); }
HttpClient::~HttpClient() = default;

StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  const std::string what = std::string(request.body ? "POST " : "GET ") + request.url;
  if (request.cancel && request.cancel->cancelled()) return CancelledError(what + ": cancelled");
  CURL* h = pool_->Take();
  if (h == nullptr) return InternalError("curl_easy_init failed");
  HttpResponse response;
  Transfer transfer{&request, &response};
  curl_slist* headers = nullptr;
  for (const std::string& line : request.headers) headers = curl_slist_append(headers, line.c_str());
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts: we are threaded
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, Millis(request.timeout_s));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, Millis(std::min(request.connect_timeout_s, request.timeout_s)));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  if (request.body) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body->data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body->size()));
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  pool_->Give(h);
  if (rc == CURLE_OK) return response;
  if (rc == CURLE_WRITE_ERROR && response.stopped_early) return response;
  if (transfer.too_long)
    return IoError(what + ": reply longer than " + std::to_string(request.max_body_bytes) + " bytes");
  if (rc == CURLE_ABORTED_BY_CALLBACK) return CancelledError(what + ": cancelled");
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return DeadlineExceededError(what + ": no complete reply within " +
                                 std::to_string(request.timeout_s) + " s (" + curl_easy_strerror(rc) + ")");
  return IoError(what + ": " + curl_easy_strerror(rc));
}

}  // namespace corgi::pipeline::remote
