// corgi batch: CoRGI over many (image, question) items with one model load. Each finished
// item appends one line to OUT/results.jsonl (fsync'd) after its files are in place under
// OUT/items/<id>/ (batch_item_dir.h); a rerun skips the ids already recorded, so a killed
// run resumes and never duplicates an item. OUT/.lock keeps a second run out of the
// folder while one works in it (batch_lock.h).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "apps/cli/batch_input.h"
#include "apps/cli/batch_item_dir.h"
#include "apps/cli/batch_lock.h"
#include "apps/cli/batch_progress.h"
#include "apps/cli/batch_results.h"
#include "apps/cli/batch_runtime.h"
#include "apps/cli/commands.h"
#include "apps/cli/flags.h"

namespace corgi::cli {
namespace {

namespace fs = std::filesystem;

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

// Test hook for the kill-and-resume test: CORGI_TEST_KILL_AFTER_ITEMS=k makes the process
// SIGKILL itself right after the k-th result line of this run is on disk — exactly what an
// operator's kill -9 between two items does. Unset in normal use.
void MaybeKillForTest(int64_t appended) {
  static const char* env = std::getenv("CORGI_TEST_KILL_AFTER_ITEMS");
  if (env != nullptr && appended == std::atoll(env)) ::raise(SIGKILL);
}

struct Totals {
  int64_t done = 0, failed = 0, skipped = 0, previously_failed = 0;
  double load_seconds = 0;  // model (or replay file) and OCR set-up
  double item_seconds = 0;  // the items themselves, outputs included
};

// Runs one item and writes its folder; the outcome says how it went.
QueryOutcome RunItem(const BatchItem& item, const std::string& out, QueryService* service,
                     std::map<std::string, std::string>* dir_ids, std::optional<std::string>* written_dir) {
  StatusOr<std::string> rel_dir = ChooseItemDir(out, item.id, item.dir_name, *dir_ids);
  QueryOutcome outcome;
  if (!item.problem.empty()) {
    outcome.failure = item.problem;  // a bad line of the input fails only its item
  } else {
    service::QueryInput input;
    input.image_path = item.image_path;
    input.question = item.question;
    outcome = service->Run(input);
  }
  if (outcome.failure) {
    // The folder a crashed run left for this id must not pass for this run's.
    std::error_code ec;
    if (rel_dir.ok()) fs::remove_all(out + "/" + *rel_dir, ec);
    return outcome;
  }
  Status w = rel_dir.status();
  if (w.ok()) {
    // Files first, then the line: a line in results.jsonl means the item is complete.
    w = WriteItemDir(out, *rel_dir, item.id,
                     [&](const std::string& dir) { return service->WriteOutputs(outcome, dir); });
  }
  if (w.ok()) {
    *written_dir = *rel_dir;
    (*dir_ids)[*rel_dir] = item.id;
  } else {
    outcome.failure = "writing outputs: " + w.ToString();
  }
  return outcome;
}

// Runs the items not yet in results.jsonl. Returns false on a fatal error (results.jsonl
// cannot be written); per-item failures are counted, not fatal. `service` may be null
// when every item has an input problem.
bool RunItems(const std::vector<const BatchItem*>& todo, int64_t total, const std::string& out,
              QueryService* service, std::map<std::string, std::string> dir_ids, Totals* totals) {
  StatusOr<ResultsWriter> writer = ResultsWriter::Open(out + "/results.jsonl");
  if (!writer.ok()) {
    std::fprintf(stderr, "error: %s\n", writer.status().ToString().c_str());
    return false;
  }
  BatchProgress progress(total, totals->skipped, ::isatty(STDERR_FILENO) == 1, stderr);
  for (const BatchItem* item : todo) {
    progress.Begin(item->id);
    auto item_start = std::chrono::steady_clock::now();
    std::optional<std::string> written_dir;
    QueryOutcome outcome = RunItem(*item, out, service, &dir_ids, &written_dir);
    BatchLine line = MakeLine(*item, outcome, written_dir);
    Status appended = writer->Append(line);
    if (!appended.ok()) {
      progress.Close();
      std::fprintf(stderr, "error: %s\n", appended.ToString().c_str());
      return false;
    }
    (line.error ? totals->failed : totals->done)++;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - item_start).count();
    totals->item_seconds += seconds;
    progress.End(item->id, seconds, line.error);
    MaybeKillForTest(progress.processed());
  }
  progress.Close();
  return true;
}

void PrintSummary(const Totals& t, int64_t total, double seconds, const std::string& out) {
  int64_t ran = t.done + t.failed;
  std::printf("batch: %lld items: %lld done, %lld failed, %lld skipped (already in results.jsonl",
              static_cast<long long>(total), static_cast<long long>(t.done),
              static_cast<long long>(t.failed), static_cast<long long>(t.skipped));
  if (t.previously_failed > 0)
    std::printf(", %lld of them failed; --retry-failed reruns them",
                static_cast<long long>(t.previously_failed));
  std::printf(")\n");
  std::printf("time: %s total (%s loading)", FormatDuration(seconds).c_str(),
              FormatDuration(t.load_seconds).c_str());
  if (ran > 0)
    std::printf(", %s per item", FormatDuration(t.item_seconds / static_cast<double>(ran)).c_str());
  std::printf("\nresults: %s/results.jsonl\n", out.c_str());
}

// Creates OUT and takes its lock (held until the process ends).
StatusOr<OutputLock> LockOutput(const std::string& out) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return IoError("cannot create '" + out + "': " + ec.message());
  return OutputLock::Acquire(out);
}

// Under the lock: creates OUT/items, removes what an interrupted run left in
// OUT/.staging, and reads what earlier runs recorded in OUT/results.jsonl (cutting a torn
// last line; dropping failed items' lines with --retry-failed).
StatusOr<ResultsState> PrepareOutput(const std::string& out, bool retry_failed) {
  std::error_code ec;
  fs::create_directories(out + "/items", ec);
  if (ec) return IoError("cannot create '" + out + "/items': " + ec.message());
  CORGI_RETURN_IF_ERROR(ClearStaging(out));
  const std::string results_path = out + "/results.jsonl";
  CORGI_ASSIGN_OR_RETURN(ResultsState state, LoadAndRepairResults(results_path));
  if (state.truncated_partial_line)
    std::fprintf(stderr, "note: %s ended in a partial line from an interrupted run; removed it\n",
                 results_path.c_str());
  if (retry_failed && !state.failed_ids.empty()) {
    CORGI_RETURN_IF_ERROR(DropFailedResults(results_path).status());
    CORGI_ASSIGN_OR_RETURN(state, LoadAndRepairResults(results_path));
  }
  return state;
}

}  // namespace

int RunBatch(int argc, char** argv) {
  FlagParser flags(
      "corgi batch -m DIR --input FILE --out DIR [flags]",
      "Runs CoRGI over every item of FILE: JSON lines {\"id\", \"image\", \"question\"} or\n"
      "'image|question' lines ('#' comments; id = line number). Image paths are relative to\n"
      "FILE's folder. Each item appends a line to OUT/results.jsonl and writes OUT/items/<id>/;\n"
      "rerunning skips ids already there, so an interrupted batch resumes. One run at a time\n"
      "per OUT (OUT/.lock); a line with an empty question or image fails only its item.\n"
      "Exit status: 0 every item answered, 1 some item failed (or a fatal error), 2 bad usage.");
  CommonFlags common = AddCommonFlags(&flags);
  std::string* input = flags.String("input", "", "the items (JSONL or image|question lines)", "FILE");
  std::string* out = flags.String("out", "", "output folder (results.jsonl, items/)", "DIR");
  bool* retry_failed =
      flags.Bool("retry-failed", "run again the items whose recorded result is an error");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  std::optional<pipeline::PipelineConfig> config = CheckFlagsAndResolveConfig(
      common, flags, input->empty() || out->empty() ? "--input and --out are required" : "");
  if (!config) return 2;
  // Every line is checked before any work starts: a typo on line 900 should not surface
  // after an hour of computing.
  StatusOr<std::vector<BatchItem>> items = LoadBatchInput(*input);
  if (!items.ok() || items->empty()) {
    std::fprintf(stderr, "error: %s\n",
                 items.ok() ? (*input + ": no items").c_str() : items.status().ToString().c_str());
    return 1;
  }
  StatusOr<OutputLock> lock = LockOutput(*out);
  if (!lock.ok()) {
    std::fprintf(stderr, "error: %s\n", lock.status().ToString().c_str());
    return 1;
  }
  StatusOr<ResultsState> state = PrepareOutput(*out, *retry_failed);
  if (!state.ok()) {
    std::fprintf(stderr, "error: %s\n", state.status().ToString().c_str());
    return 1;
  }

  Totals totals;
  std::vector<const BatchItem*> todo;
  for (const BatchItem& item : *items) {
    if (!state->done_ids.count(item.id)) {
      todo.push_back(&item);
      continue;
    }
    ++totals.skipped;
    if (state->failed_ids.count(item.id)) ++totals.previously_failed;
  }
  auto start = std::chrono::steady_clock::now();
  if (!todo.empty()) {
    // The model loads only when there is work: a finished batch reruns in milliseconds.
    std::unique_ptr<QueryService> service;
    if (std::any_of(todo.begin(), todo.end(), [](const BatchItem* i) { return i->problem.empty(); })) {
      StatusOr<std::unique_ptr<QueryService>> created = CreateService(common, *config);
      if (!created.ok()) {
        std::fprintf(stderr, "error: %s\n", created.status().ToString().c_str());
        return 1;
      }
      service = std::move(*created);
    }
    totals.load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!RunItems(todo, static_cast<int64_t>(items->size()), *out, service.get(), state->dir_ids, &totals))
      return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PrintSummary(totals, static_cast<int64_t>(items->size()), seconds, *out);
  return totals.failed + totals.previously_failed > 0 ? 1 : 0;
}

}  // namespace corgi::cli
