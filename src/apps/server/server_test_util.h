// Shared by the server tests: one tiny synthetic checkpoint per test binary, a server on
// an ephemeral loopback port, images as data URLs, and raw-socket requests.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/server/server.h"
#include "corgi/image/image.h"

namespace corgi::server::testing {

// The tiny checkpoint's folder (made on first use; removed at exit).
const std::string& TinyModelDir();
// Settings for fast queries on the tiny model (small budgets, VLM OCR, 2 steps).
pipeline::PipelineConfig FastConfig();
// Server options on 127.0.0.1, any port, the tiny model and FastConfig.
ServerOptions TestOptions();
// Starts a server and waits for the model (fails the test otherwise).
std::unique_ptr<Server> StartServer(const ServerOptions& options);

RgbImage TestImage(int64_t height = 48, int64_t width = 64);
std::string PngBytes(const RgbImage& image);
std::string PngDataUrl(const RgbImage& image);

// Sends `bytes` on a fresh connection to 127.0.0.1:port, in pieces of `piece` bytes with
// `pause_ms` between them, then reads until the server closes, a whole response with a
// Content-Length body has arrived, or `read_timeout_ms` passed.
// Returns what the server answered ("" if nothing).
std::string RawExchange(int port, const std::string& bytes, size_t piece = 0, int pause_ms = 0,
                        int read_timeout_ms = 15000, bool close_write = false);
// The status code of a raw HTTP response ("HTTP/1.1 400 ..." → 400; 0 if none).
int RawStatus(const std::string& response);

}  // namespace corgi::server::testing
