// The input of `corgi batch`: one query per line, in either of two formats.
//
//   JSONL:      {"id": "q1", "image": "imgs/a.jpg", "question": "What does the sign say?"}
//   prototype:  imgs/a.jpg|What does the sign say?
//
// A line starting with '{' is JSON; any other non-blank line is `image|question` (split at
// the first '|'). Blank lines and lines starting with '#' are skipped in both formats. A
// JSON line's "id" is a string or an integer and defaults to the line number; a prototype
// line's id is its line number. Other JSON fields (e.g. a reference answer) are ignored.
// Image paths are relative to the input file's directory unless absolute.
//
// A line whose structure is broken (not JSON, not an object, a bad or repeated id, no '|')
// rejects the whole input: its id cannot be trusted. A line whose id is known but whose
// image or question is missing or empty becomes that item's error (BatchItem::problem),
// recorded in results.jsonl like any failed item, and the other items run.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "corgi/core/status.h"

namespace corgi::cli {

struct BatchItem {
  std::string id;          // unique within the input
  std::string image;       // as written in the input
  std::string image_path;  // resolved: absolute, or relative to the working directory
  std::string question;
  int line = 0;          // 1-based line of the input
  std::string dir_name;  // the item's preferred folder under OUT/items/: ItemDirName(id)
  // Non-empty when the line cannot run ("in.jsonl:4: \"question\" is empty"): the item
  // fails with this error without reaching the model.
  std::string problem;
};

// Parses the whole input. InvalidArgument naming the source and line for a malformed line,
// a bad id, or an id used twice; a missing or empty image/question is the item's problem.
// `base_dir` resolves relative image paths. Whether the image exists is not checked here:
// a missing image fails its own item at run time, not the batch.
StatusOr<std::vector<BatchItem>> ParseBatchInput(const std::string& text,
                                                 const std::string& source_name,
                                                 const std::string& base_dir);

// Reads `path` and parses it with base_dir = the file's directory.
StatusOr<std::vector<BatchItem>> LoadBatchInput(const std::string& path);

// `id` as a folder name: letters, digits, '-', '_' and '.' kept, anything else '_';
// never empty, "." or "..", at most 100 bytes. Readable, but not one-to-one.
std::string SafeDirName(const std::string& id);

// An item's folder name: SafeDirName(id), with "-" and 8 hex digits of the id's hash
// appended (within the 100 bytes) when that changed the id, so "a/b" -> "a_b-<hash>" never
// meets the id "a_b" -> "a_b". Folders already on disk are checked too (batch_item_dir.h).
std::string ItemDirName(const std::string& id);

}  // namespace corgi::cli
