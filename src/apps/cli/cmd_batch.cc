// corgi batch: CoRGI over many (image, question) items with one model load. Each finished
// item appends one line to OUT/results.jsonl (fsync'd) after its files are in place under
// OUT/items/<id>/ (batch_item_dir.h); a rerun skips the ids already recorded, so a killed
// run resumes and never duplicates an item. OUT/.lock keeps a second run out of the
// folder while one works in it (batch_lock.h). --parallel K runs K items at once
// (batch_runner.h); --shard I/N runs the items of one shard (batch_shard.h), and
// `corgi batch merge` joins the shards' results (cmd_batch_merge.cc).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "apps/cli/batch_input.h"
#include "apps/cli/batch_item_dir.h"
#include "apps/cli/batch_lock.h"
#include "apps/cli/batch_progress.h"
#include "apps/cli/batch_results.h"
#include "apps/cli/batch_runner.h"
#include "apps/cli/batch_runtime.h"
#include "apps/cli/batch_shard.h"
#include "apps/cli/commands.h"
#include "apps/cli/flags.h"

namespace corgi::cli {
namespace {

namespace fs = std::filesystem;

// What this run covers: the input's items, or one shard of them.
struct Selection {
  std::vector<const BatchItem*> items;  // in input order
  int64_t input_items = 0;
  ShardSpec shard;
};

void PrintSummary(const BatchTotals& t, const Selection& selection, int workers, double seconds,
                  const std::string& out) {
  int64_t ran = t.done + t.failed, total = static_cast<int64_t>(selection.items.size());
  std::printf("batch: ");
  if (!selection.shard.all())
    std::printf("shard %s, ", selection.shard.ToString().c_str());
  std::printf("%lld items", static_cast<long long>(total));
  if (!selection.shard.all())
    std::printf(" of %lld", static_cast<long long>(selection.input_items));
  std::printf(": %lld done, %lld failed, %lld skipped (already in results.jsonl",
              static_cast<long long>(t.done), static_cast<long long>(t.failed),
              static_cast<long long>(t.skipped));
  if (t.previously_failed > 0)
    std::printf(", %lld of them failed; --retry-failed reruns them",
                static_cast<long long>(t.previously_failed));
  std::printf(")\n");
  std::printf("time: %s total (%s loading)", FormatDuration(seconds).c_str(),
              FormatDuration(t.load_seconds).c_str());
  if (ran > 0) {
    std::printf(", %s per item", FormatDuration(t.item_seconds / static_cast<double>(ran)).c_str());
    // With overlapping items, the wall time per item is what sizes a data set's run.
    if (workers > 1)
      std::printf(" (%d at a time: %s of wall time per item)", workers,
                  FormatDuration(t.run_seconds / static_cast<double>(ran)).c_str());
  }
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

// The selected items not yet in results.jsonl; the others counted as skipped. Notes the
// lines of ids outside the selection (another shard's, or an edited input's): kept, not
// counted.
std::vector<const BatchItem*> ItemsToDo(const Selection& selection, const ResultsState& state,
                                        const std::string& out, BatchTotals* totals) {
  std::vector<const BatchItem*> todo;
  int64_t recorded = 0;
  for (const BatchItem* item : selection.items) {
    if (!state.done_ids.count(item->id)) {
      todo.push_back(item);
      continue;
    }
    ++recorded;
    ++totals->skipped;
    if (state.failed_ids.count(item->id)) ++totals->previously_failed;
  }
  if (int64_t others = static_cast<int64_t>(state.done_ids.size()) - recorded; others > 0) {
    std::fprintf(stderr,
                 "note: %s/results.jsonl has %lld line(s) for ids outside this run's items "
                 "(another --shard, or another input); they are kept\n",
                 out.c_str(), static_cast<long long>(others));
  }
  return todo;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int RunBatch(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "merge") == 0) return RunBatchMerge(argc - 1, argv + 1);
  FlagParser flags(
      "corgi batch -m DIR --input FILE --out DIR [flags]\n"
      "       corgi batch merge [--input FILE] OUT SHARD...   (corgi batch merge --help)",
      "Runs CoRGI over every item of FILE: JSON lines {\"id\", \"image\", \"question\"} or\n"
      "'image|question' lines ('#' comments; id = line number). Image paths are relative to\n"
      "FILE's folder. Each item appends a line to OUT/results.jsonl and writes OUT/items/<id>/;\n"
      "rerunning skips ids already there, so an interrupted batch resumes. One run at a time\n"
      "per OUT (OUT/.lock); a line with an empty question or image fails only its item.\n"
      "--parallel K runs K items at once (their model calls decode together); with K > 1 the\n"
      "lines of results.jsonl are in the order items finish. --shard I/N runs only the items\n"
      "whose id hashes to shard I of N (stable when the input grows), each shard with its own\n"
      "--out; `corgi batch merge` joins the shards' results.\n"
      "Exit status: 0 every item answered, 1 some item failed (or a fatal error), 2 bad usage.");
  CommonFlags common = AddCommonFlags(&flags);
  std::string* input = flags.String("input", "", "the items (JSONL or image|question lines)", "FILE");
  std::string* out = flags.String("out", "", "output folder (results.jsonl, items/)", "DIR");
  bool* retry_failed =
      flags.Bool("retry-failed", "run again the items whose recorded result is an error");
  int64_t* parallel = flags.Int("parallel", 1, "items run at once, 1..64", "K");
  flags.Check("parallel", [](int64_t k) {
    return k >= 1 && k <= 64 ? std::string() : "must be in [1, 64], got " + std::to_string(k);
  });
  std::string* shard_text = flags.String(
      "shard", "", "run only shard I of N (0 <= I < N; by a hash of each id), e.g. 0/4", "I/N");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  std::optional<pipeline::PipelineConfig> config = CheckFlagsAndResolveConfig(
      common, flags, input->empty() || out->empty() ? "--input and --out are required" : "");
  if (!config) return 2;
  Selection selection;
  if (flags.WasSet("shard")) {
    StatusOr<ShardSpec> shard = ParseShard(*shard_text);
    if (!shard.ok()) {
      std::fprintf(stderr, "error: %s\n", shard.status().message().c_str());
      return 2;
    }
    selection.shard = *shard;
  }
  // Every line is checked before any work starts: a typo on line 900 should not surface
  // after an hour of computing.
  StatusOr<std::vector<BatchItem>> items = LoadBatchInput(*input);
  if (!items.ok()) return Fail(items.status());
  if (items->empty()) {
    std::fprintf(stderr, "error: %s: no items\n", input->c_str());
    return 1;
  }
  selection.input_items = static_cast<int64_t>(items->size());
  for (const BatchItem& item : *items)
    if (InShard(item.id, selection.shard)) selection.items.push_back(&item);

  StatusOr<OutputLock> lock = LockOutput(*out);
  if (!lock.ok()) return Fail(lock.status());
  StatusOr<ResultsState> state = PrepareOutput(*out, *retry_failed);
  if (!state.ok()) return Fail(state.status());
  // Opened (created) even when there is nothing to do: an empty shard still has its file
  // for `corgi batch merge`.
  StatusOr<ResultsWriter> writer = ResultsWriter::Open(*out + "/results.jsonl");
  if (!writer.ok()) return Fail(writer.status());

  BatchTotals totals;
  std::vector<const BatchItem*> todo = ItemsToDo(selection, *state, *out, &totals);
  auto start = std::chrono::steady_clock::now();
  if (!todo.empty()) {
    // The model loads only when there is work: a finished batch reruns in milliseconds.
    std::unique_ptr<QueryService> service;
    if (std::any_of(todo.begin(), todo.end(), [](const BatchItem* i) { return i->problem.empty(); })) {
      StatusOr<std::unique_ptr<QueryService>> created = CreateService(common, *config);
      if (!created.ok()) return Fail(created.status());
      service = std::move(*created);
    }
    totals.load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    BatchRunOptions options;
    options.out = *out;
    options.workers = static_cast<int>(*parallel);
    options.total = static_cast<int64_t>(selection.items.size());
    options.service = service.get();
    if (!RunBatchItems(todo, options, state->dir_ids, &*writer, &totals)) return 1;
    if (Status cleared = ClearStaging(*out); !cleared.ok()) return Fail(cleared);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PrintSummary(totals, selection, static_cast<int>(*parallel), seconds, *out);
  return totals.failed + totals.previously_failed > 0 ? 1 : 0;
}

}  // namespace corgi::cli
