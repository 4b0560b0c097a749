#include "apps/cli/batch_runner.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "apps/cli/batch_item_dir.h"
#include "apps/cli/batch_progress.h"
#include "corgi/core/cancel.h"

namespace corgi::cli {
namespace {

namespace fs = std::filesystem;
using service::QueryOutcome;
using Clock = std::chrono::steady_clock;

BatchLine MakeLine(const BatchItem& item, const QueryOutcome& outcome,
                   const std::optional<std::string>& out_dir) {
  BatchLine line;
  line.id = item.id;
  line.image = item.image;
  line.question = item.question;
  line.answer = outcome.result.answer;
  line.explanation = outcome.result.explanation;
  line.error = outcome.error();
  for (const pipeline::PhaseTiming& t : outcome.result.timings)
    line.timings.emplace_back(t.phase, t.ms);
  if (outcome.failure) line.timings.emplace_back("total", outcome.seconds * 1000);
  line.output_dir = out_dir;
  return line;
}

// Test hook for the kill-and-resume tests: CORGI_TEST_KILL_AFTER_ITEMS=k makes the process
// SIGKILL itself right after the k-th result line of this run is on disk — exactly what an
// operator's kill -9 does between two appends (with --parallel, other items are in flight
// then). Unset in normal use.
void MaybeKillForTest(int64_t appended) {
  static const char* env = std::getenv("CORGI_TEST_KILL_AFTER_ITEMS");
  if (env != nullptr && appended == std::atoll(env)) ::raise(SIGKILL);
}

// An item taken by a worker: its folder (reserved under the lock) and when it began.
struct Taken {
  const BatchItem* item = nullptr;
  StatusOr<std::string> rel_dir = std::string();
  Clock::time_point start;
};

class Runner {
 public:
  Runner(const std::vector<const BatchItem*>& todo, const BatchRunOptions& options,
         std::map<std::string, std::string> dir_ids, ResultsWriter* writer, BatchTotals* totals)
      : todo_(todo),
        options_(options),
        dir_ids_(std::move(dir_ids)),
        writer_(writer),
        totals_(totals),
        progress_(options.total, totals->skipped, ::isatty(STDERR_FILENO) == 1, stderr,
                  options.workers) {}

  // One worker: items until none is left (or a fatal error). `slot`: its staging folder.
  void Work(int slot) {
    while (std::optional<Taken> taken = Take()) {
      std::optional<std::string> written_dir;
      QueryOutcome outcome = RunItem(*taken, slot, &written_dir);
      Record(*taken, outcome, written_dir);
    }
  }

  bool fatal() {
    std::lock_guard<std::mutex> lock(mu_);
    return fatal_;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    progress_.Close();
  }

 private:
  // The next item in input order, with its folder reserved: choosing and recording the
  // choice under one lock keeps two items in flight off one folder.
  std::optional<Taken> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (fatal_ || next_ >= todo_.size()) return std::nullopt;
    Taken taken;
    taken.item = todo_[next_++];
    taken.start = Clock::now();
    taken.rel_dir = ChooseItemDir(options_.out, taken.item->id, taken.item->dir_name, dir_ids_);
    if (taken.rel_dir.ok()) dir_ids_[*taken.rel_dir] = taken.item->id;
    progress_.Begin(taken.item->id);
    return taken;
  }

  // Runs the query and writes its folder, outside the lock.
  QueryOutcome RunItem(const Taken& taken, int slot, std::optional<std::string>* written_dir) {
    const BatchItem& item = *taken.item;
    QueryOutcome outcome;
    if (!item.problem.empty()) {
      outcome.failure = item.problem;  // a bad line of the input fails only its item
    } else {
      service::QueryInput input;
      input.image_path = item.image_path;
      input.question = item.question;
      input.cancel = cancel_;
      outcome = options_.service->Run(input);
    }
    if (outcome.failure) {
      // The folder a crashed run left for this id must not pass for this run's.
      std::error_code ec;
      if (taken.rel_dir.ok()) fs::remove_all(options_.out + "/" + *taken.rel_dir, ec);
      return outcome;
    }
    Status w = taken.rel_dir.status();
    if (w.ok()) {
      // Files first, then the line: a line in results.jsonl means the item is complete.
      w = WriteItemDir(options_.out, *taken.rel_dir, item.id, slot, [&](const std::string& dir) {
        return options_.service->WriteOutputs(outcome, dir);
      });
    }
    if (w.ok()) {
      *written_dir = *taken.rel_dir;
    } else {
      outcome.failure = "writing outputs: " + w.ToString();
    }
    return outcome;
  }

  // Appends the item's line and counts it. After a fatal error nothing more is appended:
  // the items still in flight then run again on resume.
  void Record(const Taken& taken, const QueryOutcome& outcome,
              const std::optional<std::string>& written_dir) {
    BatchLine line = MakeLine(*taken.item, outcome, written_dir);
    std::lock_guard<std::mutex> lock(mu_);
    if (fatal_) return;
    if (!written_dir && taken.rel_dir.ok()) dir_ids_.erase(*taken.rel_dir);  // no folder after all
    if (Status appended = writer_->Append(line); !appended.ok()) {
      fatal_ = true;
      cancel_.Cancel();
      progress_.Close();
      std::fprintf(stderr, "error: %s\n", appended.ToString().c_str());
      return;
    }
    (line.error ? totals_->failed : totals_->done)++;
    double seconds = std::chrono::duration<double>(Clock::now() - taken.start).count();
    totals_->item_seconds += seconds;
    progress_.End(taken.item->id, seconds, line.error);
    MaybeKillForTest(progress_.processed());
  }

  const std::vector<const BatchItem*>& todo_;
  const BatchRunOptions& options_;
  CancelToken cancel_;  // cancelled on a fatal error: the queries in flight end early

  std::mutex mu_;
  size_t next_ = 0;                             // guarded by mu_
  std::map<std::string, std::string> dir_ids_;  // guarded by mu_: folders taken, by id
  ResultsWriter* writer_;                       // guarded by mu_
  BatchTotals* totals_;                         // guarded by mu_
  BatchProgress progress_;                      // guarded by mu_
  bool fatal_ = false;                          // guarded by mu_
};

}  // namespace

bool RunBatchItems(const std::vector<const BatchItem*>& todo, const BatchRunOptions& options,
                   std::map<std::string, std::string> dir_ids, ResultsWriter* writer,
                   BatchTotals* totals) {
  auto start = Clock::now();
  Runner runner(todo, options, std::move(dir_ids), writer, totals);
  const int workers = static_cast<int>(
      std::min<size_t>(static_cast<size_t>(std::max(options.workers, 1)), todo.size()));
  std::vector<std::thread> threads;
  for (int slot = 1; slot < workers; ++slot)
    threads.emplace_back([&runner, slot] { runner.Work(slot); });
  runner.Work(0);  // the calling thread is worker 0: --parallel 1 starts no thread
  for (std::thread& t : threads) t.join();
  runner.Close();
  totals->run_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return !runner.fatal();
}

}  // namespace corgi::cli
