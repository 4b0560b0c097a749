#include "apps/server/server_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "apps/server/http_common.h"
#include "corgi/image/encode.h"
#include "model/synthetic_checkpoint_test_util.h"

namespace corgi::server::testing {
namespace fs = std::filesystem;

namespace {
std::string MakeTiny() {
  std::string dir = (fs::temp_directory_path() / ("corgi_server_test_tiny_" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  Status s = test_models::WriteTinyCheckpoint(dir, /*seed=*/5, DType::kF32);
  CORGI_CHECK(s.ok()) << s.ToString();
  static std::string to_remove = dir;
  std::atexit([] { std::error_code ec; fs::remove_all(to_remove, ec); });
  return dir;
}
// True when `out` holds a whole response with a Content-Length body (a streamed or
// close-delimited body is complete only when the server closes).
bool ResponseComplete(const std::string& out) {
  size_t end = out.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::string head = out.substr(0, end + 2);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = head.find("\r\ncontent-length:");
  if (at == std::string::npos) return false;
  long long length = std::atoll(head.c_str() + at + 17);
  return length >= 0 && out.size() >= end + 4 + static_cast<size_t>(length);
}

}  // namespace

const std::string& TinyModelDir() {
  static const std::string dir = MakeTiny();
  return dir;
}

pipeline::PipelineConfig FastConfig() {
  pipeline::PipelineConfig c;
  c.budgets.reasoning = 256;
  c.budgets.grounding = 64;
  c.budgets.caption = 8;
  c.budgets.ocr_vlm = 8;
  c.budgets.synthesis = 128;
  c.max_steps = 2;
  c.ocr.engine = "vlm";
  c.engine.threads = 2;
  c.engine.max_context = 2048;
  return c;
}

ServerOptions TestOptions() {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.service.model_dir = TinyModelDir();
  o.service.config = FastConfig();
  o.parallel = 4;
  o.queue = 16;
  o.timeout_s = 120;
  o.read_timeout_s = 2;
  return o;
}

std::unique_ptr<Server> StartServer(const ServerOptions& options) {
  auto server = std::make_unique<Server>(options);
  Status s = server->Start();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(server->WaitUntilLoaded(120)) << server->load_error().value_or("timeout");
  return server;
}

RgbImage TestImage(int64_t height, int64_t width) {
  RgbImage img = RgbImage::Make(height, width);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>((i * 37) % 251);
  return img;
}

std::string PngBytes(const RgbImage& image) {
  StatusOr<std::string> png = EncodePng(image);
  CORGI_CHECK(png.ok());
  return *png;
}

std::string PngDataUrl(const RgbImage& image) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes = PngBytes(image), out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out += i + 1 < bytes.size() ? std::string(1, kAlphabet[(v >> 6) & 63]) + "=" : "==";
  }
  return "data:image/png;base64," + out;
}

std::string RawExchange(int port, const std::string& bytes, size_t piece, int pause_ms,
                        int read_timeout_ms, bool close_write) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  if (piece == 0) piece = bytes.size();
  for (size_t at = 0; at < bytes.size(); at += piece) {
    ssize_t n = ::send(fd, bytes.data() + at, std::min(piece, bytes.size() - at), MSG_NOSIGNAL);
    if (n <= 0) break;
    if (pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  if (close_write) ::shutdown(fd, SHUT_WR);
  std::string out;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(read_timeout_ms);
  char buf[4096];
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (ResponseComplete(out)) break;  // no need to wait for a keep-alive connection to close
  }
  ::close(fd);
  return out;
}

int RawStatus(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::atoi(response.substr(9, 3).c_str());
}

}  // namespace corgi::server::testing
