#include "apps/cli/ask_progress.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace corgi::cli {

namespace {

constexpr std::string_view kOpen = "<THINKING>";
constexpr std::string_view kClose = "</THINKING>";

// Length of the longest suffix of `s` that is a proper prefix of `tag`.
size_t PartialTagAtEnd(std::string_view s, std::string_view tag) {
  for (size_t n = std::min(s.size(), tag.size() - 1); n > 0; --n)
    if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
  return 0;
}

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string ThoughtFilter::Push(const std::string& delta) {
  if (done_) return "";
  buffer_ += delta;
  std::string_view all(buffer_);
  // Skip leading whitespace and the opening tag, once it can be told apart.
  size_t lead = all.find_first_not_of(" \t\r\n");
  if (lead == std::string_view::npos) return "";
  std::string_view rest = all.substr(lead);
  size_t start = lead;
  if (rest.size() < kOpen.size() && kOpen.substr(0, rest.size()) == rest) return "";
  if (rest.substr(0, kOpen.size()) == kOpen) start = lead + kOpen.size();
  std::string_view body = all.substr(start);
  size_t end = body.find(kClose);
  if (end != std::string_view::npos) {
    done_ = true;
  } else {
    end = body.size() - PartialTagAtEnd(body, kClose);
  }
  if (end <= shown_) return "";
  std::string out(body.substr(shown_, end - shown_));
  shown_ = end;
  return out;
}

void AskProgress::EndLine() {
  if (mid_line_) std::fputc('\n', out_);
  mid_line_ = false;
}

void AskProgress::OnEvent(const pipeline::Event& event) {
  nlohmann::json j = nlohmann::json::parse(event.json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return;
  const std::string& type = event.type;
  if (type == "delta") {
    if (!stream_thoughts_ || Str(j, "phase") != "reasoning") return;
    std::string text = thoughts_.Push(Str(j, "text"));
    if (text.empty()) return;
    std::fputs(text.c_str(), out_);
    mid_line_ = text.back() != '\n';
    std::fflush(out_);
    return;
  }
  if (type == "phase_start") {
    EndLine();
    std::fprintf(out_, "» %s…\n", Str(j, "phase").c_str());
  } else if (type == "phase_end") {
    EndLine();
    double ms = j.value("ms", 0.0);
    std::fprintf(out_, "  %s done (%.1f s)\n", Str(j, "phase").c_str(), ms / 1000);
  } else if (type == "step") {
    EndLine();
    const char* kind = j.value("need_text_ocr", false)              ? "text"
                       : j.value("need_object_captioning", false) ? "object"
                                                                  : "reasoning";
    std::fprintf(out_, "  S%d [%s] %s\n", j.value("index", 0), kind,
                 Str(j, "statement").c_str());
  } else if (type == "evidence") {
    EndLine();
    std::string text = Str(j, "text");
    if (text.size() > 100) text = text.substr(0, 97) + "...";
    std::fprintf(out_, "  S%d %s: %s\n", j.value("step", 0), Str(j, "kind").c_str(),
                 text.empty() ? "(no text)" : text.c_str());
  } else if (type == "warning") {
    EndLine();
    std::fprintf(out_, "  warning: %s\n", Str(j, "message").c_str());
  } else {
    return;
  }
  std::fflush(out_);
}

}  // namespace corgi::cli
