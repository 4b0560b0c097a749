// The item loop of `corgi batch`: the items still to do, run by K workers at once
// (--parallel K) through one QueryService, each finished item's folder installed
// (batch_item_dir.h) and then its line appended to results.jsonl (batch_results.h).
//
// Workers take items in input order. What they share — the next item, the folder names
// in use, the results file, the progress display, the totals — is behind one lock; the
// query and the writing of its folder run outside it. A line is appended (one write(2)
// and fsync, under the lock) only after the item's folder is in place, so lines are
// never interleaved and, whatever K is, a kill -9 leaves every finished item with exactly
// one line and every item in flight without one (it runs again on resume). With K > 1 the
// lines are in the order the items finish, not the input's.
//
// Thread-safety: RunBatchItems is called once per batch, from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "apps/cli/batch_input.h"
#include "apps/cli/batch_results.h"
#include "corgi/service/query_service.h"

namespace corgi::cli {

struct BatchTotals {
  int64_t done = 0, failed = 0, skipped = 0, previously_failed = 0;
  double load_seconds = 0;  // model (or replay file) and OCR set-up
  double item_seconds = 0;  // the items themselves, outputs included, summed over workers
  double run_seconds = 0;   // wall time of the item loop
};

struct BatchRunOptions {
  std::string out;    // the --out folder
  int workers = 1;    // --parallel K (1..64)
  int64_t total = 0;  // items of this run (the shard's), done or not: for the progress
  service::QueryService* service = nullptr;  // null when every item has an input problem
};

// Runs `todo` (pointers into the input, in its order). `dir_ids`: results.jsonl's
// "output_dir" -> id. Returns false on a fatal error (results.jsonl cannot be written:
// printed; the items in flight are cancelled and get no line); per-item failures are
// counted in `totals`, not fatal.
bool RunBatchItems(const std::vector<const BatchItem*>& todo, const BatchRunOptions& options,
                   std::map<std::string, std::string> dir_ids, ResultsWriter* writer,
                   BatchTotals* totals);

}  // namespace corgi::cli
