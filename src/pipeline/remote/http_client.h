// A small HTTP client over libcurl for the remote Vlm: POST (or GET) with headers, a
// timeout, cancellation, and optional streaming of the body as it arrives. Connections
// are reused across calls (a pool of curl handles; each keeps its connection cache).
//
// Thread-safety: Send may be called from any number of threads at once (each call takes
// its own handle from the pool). Failures: transport problems (refused, reset, cut-off
// body) are IoError, a timeout is DeadlineExceeded, a cancelled call is Cancelled; an
// HTTP error status is not a failure of Send (it is in HttpResponse::status).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "corgi/core/cancel.h"
#include "corgi/core/status.h"

namespace corgi::pipeline::remote {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::optional<std::string> body;   // set: POST with this body; unset: GET
  double timeout_s = 600;            // the whole exchange
  double connect_timeout_s = 10;
  int64_t max_body_bytes = int64_t{64} << 20;  // a longer reply is cut off as an IoError
  std::optional<CancelToken> cancel;
  // Streaming: called with each piece of the body as it arrives (the body is then not
  // kept); returning false ends the transfer early (Send returns what it had, OK).
  std::function<bool(std::string_view piece)> on_body;
};

struct HttpResponse {
  long status = 0;
  std::string body;          // empty when on_body consumed it
  std::string content_type;
  std::string retry_after;   // the Retry-After header's value, if any
  bool stopped_early = false;  // on_body returned false
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  StatusOr<HttpResponse> Send(const HttpRequest& request);

 private:
  struct Pool;
  std::unique_ptr<Pool> pool_;
};

}  // namespace corgi::pipeline::remote
