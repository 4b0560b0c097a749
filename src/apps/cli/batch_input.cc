#include "apps/cli/batch_input.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "corgi/core/hash.h"
#include "corgi/core/json_scan.h"
#include "corgi/core/mapped_file.h"

namespace corgi::cli {
namespace {

using Json = nlohmann::json;

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// A JSON line's field as a non-empty string; `what` is set to the problem otherwise.
bool ReadText(const Json& obj, const char* key, std::string* out, std::string* what) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    *what = std::string("missing \"") + key + "\"";
    return false;
  }
  if (!it->is_string()) {
    *what = std::string("\"") + key + "\" must be a string, got " + it->type_name();
    return false;
  }
  *out = Trim(it->get<std::string>());
  if (out->empty()) {
    *what = std::string("\"") + key + "\" is empty";
    return false;
  }
  return true;
}

// Fills item->id/image/question from a JSON line. False with *what for a broken line;
// a missing or empty image/question goes to item->problem (the item fails, not the batch).
bool ParseJsonLine(const std::string& line, BatchItem* item, std::string* what) {
  if (Status deep = CheckJsonDepth(line, "line"); !deep.ok()) {
    *what = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return false;
  }
  Json obj = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded()) {
    *what = "not valid JSON (expected {\"id\", \"image\", \"question\"})";
    return false;
  }
  if (!obj.is_object()) {
    *what = "expected a JSON object";
    return false;
  }
  if (auto id = obj.find("id"); id != obj.end() && !id->is_null()) {
    if (id->is_string()) {
      item->id = Trim(id->get<std::string>());
    } else if (id->is_number_integer()) {
      item->id = id->dump();
    } else {
      *what = std::string("\"id\" must be a string or an integer, got ") + id->type_name();
      return false;
    }
    if (item->id.empty()) {
      *what = "\"id\" is empty";
      return false;
    }
  }
  // The id is known from here on: a bad image or question fails only this item.
  if (ReadText(obj, "image", &item->image, &item->problem))
    ReadText(obj, "question", &item->question, &item->problem);
  return true;
}

bool ParsePipeLine(const std::string& line, BatchItem* item, std::string* what) {
  size_t bar = line.find('|');
  if (bar == std::string::npos) {
    *what = "expected 'image|question' or a JSON object";
    return false;
  }
  item->image = Trim(line.substr(0, bar));
  item->question = Trim(line.substr(bar + 1));
  // The id (the line number) is known: an empty part fails only this item.
  if (item->image.empty())
    item->problem = "the image path before '|' is empty";
  else if (item->question.empty())
    item->problem = "the question after '|' is empty";
  return true;
}

}  // namespace

std::string SafeDirName(const std::string& id) {
  std::string out;
  for (unsigned char c : id.substr(0, 100)) {
    out += (std::isalnum(c) || c == '-' || c == '_' || c == '.') ? static_cast<char>(c) : '_';
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

std::string ItemDirName(const std::string& id) {
  constexpr size_t kSuffixBytes = 9;  // "-" and 8 hex digits
  std::string out = SafeDirName(id);
  if (out == id) return out;
  // Changed (or cut): the readable part plus a hash of the whole id keeps ids apart.
  return out.substr(0, 100 - kSuffixBytes) + "-" + HashString(id).ToHex().substr(0, 8);
}

StatusOr<std::vector<BatchItem>> ParseBatchInput(const std::string& text,
                                                 const std::string& source_name,
                                                 const std::string& base_dir) {
  std::vector<BatchItem> items;
  std::map<std::string, int> id_lines;
  size_t pos = 0;
  for (int line_no = 1; pos < text.size(); ++line_no) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    BatchItem item;
    item.line = line_no;
    std::string what;
    bool ok =
        line[0] == '{' ? ParseJsonLine(line, &item, &what) : ParsePipeLine(line, &item, &what);
    std::string where = source_name + ":" + std::to_string(line_no) + ": ";
    if (!ok) return InvalidArgumentError(where + what);
    if (!item.problem.empty()) item.problem = where + item.problem;
    if (item.id.empty()) item.id = std::to_string(line_no);
    item.dir_name = ItemDirName(item.id);
    if (auto [it, fresh] = id_lines.emplace(item.id, line_no); !fresh)
      return InvalidArgumentError(where + "id '" + item.id + "' is already used on line " +
                                  std::to_string(it->second));
    std::filesystem::path image(item.image);
    item.image_path = image.is_absolute() || base_dir.empty()
                          ? image.string()
                          : (std::filesystem::path(base_dir) / image).string();
    items.push_back(std::move(item));
  }
  return items;
}

StatusOr<std::vector<BatchItem>> LoadBatchInput(const std::string& path) {
  CORGI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseBatchInput(text, path, std::filesystem::path(path).parent_path().string());
}

}  // namespace corgi::cli
