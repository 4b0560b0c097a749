#include "apps/cli/batch_merge.h"

#include <filesystem>
#include <map>
#include <set>

#include "apps/cli/batch_results.h"
#include "corgi/core/mapped_file.h"

namespace corgi::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// "'a', 'b' and 3 more": a problem's ids, few enough to read.
std::string ListIds(const std::vector<std::string>& ids) {
  constexpr size_t kShown = 10;
  std::string text;
  for (size_t i = 0; i < ids.size() && i < kShown; ++i)
    text += (i == 0 ? "'" : ", '") + ids[i] + "'";
  if (ids.size() > kShown) text += " and " + std::to_string(ids.size() - kShown) + " more";
  return text;
}

struct Line {
  std::string text;   // the line to write, output_dir rebased
  std::string where;  // "shard0/results.jsonl:4"
  bool failed = false;
};

// Adds the lines of `shard` to `lines` (by id, in `order`) and every place an id occurs
// to `places`. DataLoss naming the line for one that is not a results line.
Status CollectLines(const ShardResults& shard, const std::string& out_dir,
                    std::map<std::string, Line>* lines, std::vector<std::string>* order,
                    std::map<std::string, std::vector<std::string>>* places) {
  int64_t line_no = 0;
  for (size_t pos = 0; pos < shard.text.size();) {
    ++line_no;
    size_t end = shard.text.find('\n', pos);
    if (end == std::string::npos) end = shard.text.size();
    const std::string text = shard.text.substr(pos, end - pos);
    pos = end + 1;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = shard.name + ":" + std::to_string(line_no);
    std::optional<Json> obj = ParseResultsLine(text);
    if (!obj) {
      return DataLossError(where +
                           ": not a complete results line (a JSON object with a string \"id\"); "
                           "if that shard was interrupted, resume it (the same corgi batch "
                           "command) before merging");
    }
    const std::string id = (*obj)["id"].get<std::string>();
    (*places)[id].push_back(where);
    if (lines->count(id)) continue;  // a duplicate: reported with all its places
    if (auto dir = obj->find("output_dir"); dir != obj->end() && dir->is_string())
      *dir = RebaseOutputDir(shard.dir, dir->get<std::string>(), out_dir);
    auto error = obj->find("error");
    Line line{FormatResultsJson(*obj), where, error != obj->end() && !error->is_null()};
    lines->emplace(id, std::move(line));
    order->push_back(id);
  }
  return Status::Ok();
}

}  // namespace

std::string RebaseOutputDir(const std::string& shard_dir, const std::string& output_dir,
                            const std::string& out_dir) {
  std::error_code ec;
  fs::path item = fs::absolute(fs::path(shard_dir) / output_dir, ec).lexically_normal();
  fs::path base = fs::absolute(out_dir.empty() ? "." : out_dir, ec).lexically_normal();
  fs::path rel = item.lexically_relative(base);
  return rel.empty() ? item.string() : rel.string();
}

StatusOr<MergedResults> MergeResults(const std::vector<ShardResults>& shards,
                                     const std::vector<std::string>* input_ids,
                                     const std::string& out_dir) {
  std::map<std::string, Line> lines;
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> places;
  for (const ShardResults& shard : shards)
    CORGI_RETURN_IF_ERROR(CollectLines(shard, out_dir, &lines, &order, &places));

  std::vector<std::string> problems;
  std::vector<std::string> duplicated;
  std::string duplicate_places;
  for (const std::string& id : order) {
    const std::vector<std::string>& at = places[id];
    if (at.size() < 2) continue;
    duplicated.push_back(id);
    if (duplicated.size() > 10) continue;  // ListIds shows 10
    duplicate_places += duplicate_places.empty() ? "" : "; ";
    duplicate_places += "'" + id + "' at";
    for (const std::string& where : at) duplicate_places += " " + where;
  }
  if (!duplicated.empty()) {
    problems.push_back(std::to_string(duplicated.size()) + " id(s) have more than one line: " +
                       duplicate_places + (duplicated.size() > 10 ? "; ..." : "") +
                       " (was one shard's --out used for two shards, or a shard run twice?)");
  }
  if (input_ids != nullptr) {
    std::set<std::string> wanted(input_ids->begin(), input_ids->end());
    std::vector<std::string> missing, unknown;
    for (const std::string& id : *input_ids)
      if (!lines.count(id)) missing.push_back(id);
    for (const std::string& id : order)
      if (!wanted.count(id)) unknown.push_back(id);
    if (!missing.empty()) {
      problems.push_back(std::to_string(missing.size()) +
                         " id(s) of the input have no line: " + ListIds(missing) +
                         " (a shard not given, not finished, or not run: resume it)");
    }
    if (!unknown.empty()) {
      problems.push_back(std::to_string(unknown.size()) + " id(s) are not in the input: " +
                         ListIds(unknown) + " (another input file's results?)");
    }
    order = *input_ids;
  }
  if (!problems.empty()) {
    std::string message = "cannot merge: ";
    for (size_t i = 0; i < problems.size(); ++i) message += (i == 0 ? "" : "; ") + problems[i];
    return FailedPreconditionError(message);
  }
  MergedResults merged;
  for (const std::string& id : order) {
    const Line& line = lines.at(id);
    merged.text += line.text + "\n";
    ++merged.lines;
    if (line.failed) ++merged.failed;
  }
  return merged;
}

StatusOr<ShardResults> ReadShardResults(const std::string& path) {
  std::error_code ec;
  ShardResults shard;
  if (fs::is_directory(path, ec)) {
    shard.dir = path;
    shard.name = (fs::path(path) / "results.jsonl").string();
  } else {
    shard.dir = fs::path(path).parent_path().string();
    shard.name = path;
  }
  if (!fs::exists(shard.name, ec))
    return NotFoundError("no results file '" + shard.name + "' (has that shard run?)");
  CORGI_ASSIGN_OR_RETURN(shard.text, ReadFileToString(shard.name));
  return shard;
}

}  // namespace corgi::cli
