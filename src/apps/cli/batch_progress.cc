#include "apps/cli/batch_progress.h"

#include <algorithm>
#include <cmath>

namespace corgi::cli {

std::string FormatDuration(double seconds) {
  char text[64];
  if (seconds < 60) {
    std::snprintf(text, sizeof(text), seconds < 1 ? "%.2f s" : "%.1f s", seconds);
    return text;
  }
  int64_t s = static_cast<int64_t>(std::llround(seconds));
  if (s < 3600) {
    std::snprintf(text, sizeof(text), "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  }
  return text;
}

std::string RenderProgressBar(int64_t done, int64_t total, double eta_seconds, int width,
                              const std::string& current) {
  double fraction = total > 0 ? std::clamp(static_cast<double>(done) / total, 0.0, 1.0) : 1.0;
  int filled = static_cast<int>(fraction * width);
  std::string bar = "[";
  bar.append(filled, '#').append(width - filled, '-').append("]");
  char text[96];
  std::snprintf(text, sizeof(text), " %lld/%lld %3d%%", static_cast<long long>(done),
                static_cast<long long>(total), static_cast<int>(fraction * 100));
  std::string out = bar + text;
  out += "  ETA ";
  out += eta_seconds < 0 ? std::string("?") : FormatDuration(eta_seconds);
  // Long ids would wrap the line and break the redraw; keep the tail, which is the distinctive
  // part.
  if (!current.empty()) {
    out += "  ";
    out += current.size() > 32 ? "..." + current.substr(current.size() - 29) : current;
  }
  return out;
}

BatchProgress::BatchProgress(int64_t total, int64_t skipped, bool interactive, FILE* out,
                             int workers)
    : total_(total),
      skipped_(skipped),
      interactive_(interactive),
      out_(out),
      workers_(std::max(workers, 1)) {}

double BatchProgress::EtaSeconds() const {
  if (processed_ == 0) return -1;
  // The items left go `workers_` at a time, each taking the mean so far.
  int64_t left = total_ - skipped_ - processed_;
  int64_t rounds = (left + workers_ - 1) / workers_;
  return busy_seconds_ / processed_ * static_cast<double>(rounds);
}

void BatchProgress::Draw() {
  std::string current;
  if (!running_.empty()) {
    current = running_.back();
    if (running_.size() > 1) current += " +" + std::to_string(running_.size() - 1);
  }
  std::fprintf(out_, "\r\033[K%s",
               RenderProgressBar(skipped_ + processed_, total_, EtaSeconds(), 24, current).c_str());
  std::fflush(out_);
  bar_shown_ = true;
}

void BatchProgress::Begin(const std::string& id) {
  running_.push_back(id);
  if (interactive_) Draw();
}

void BatchProgress::End(const std::string& id, double seconds,
                        const std::optional<std::string>& error) {
  ++processed_;
  busy_seconds_ += seconds;
  if (auto it = std::find(running_.begin(), running_.end(), id); it != running_.end())
    running_.erase(it);
  if (interactive_) {
    // Failures scroll above the bar so they stay visible; successes only move the bar.
    if (error) std::fprintf(out_, "\r\033[K%s failed: %s\n", id.c_str(), error->c_str());
    Draw();
    return;
  }
  std::fprintf(out_, "[%lld/%lld] %s ... %s in %s%s%s\n",
               static_cast<long long>(skipped_ + processed_), static_cast<long long>(total_),
               id.c_str(), error ? "failed" : "done", FormatDuration(seconds).c_str(),
               error ? ": " : "", error ? error->c_str() : "");
  std::fflush(out_);
}

void BatchProgress::Close() {
  if (interactive_ && bar_shown_) std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
  bar_shown_ = false;
}

}  // namespace corgi::cli
