// TensorStore: all tensors of a checkpoint, from one file or from shards listed in
// model.safetensors.index.json.
//
// Shard policy (strict on purpose, so a half-copied checkpoint fails at load rather
// than at the first missing weight): every shard named in the weight_map must exist,
// must contain each tensor the map assigns to it, and must contain nothing else. A
// tensor found in a shard the map does not assign it to is an error naming both shards.
#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "corgi/io/safetensors.h"
#include "io/json_util.h"
#include "io/safetensors_index.h"

namespace corgi {
namespace {

using nlohmann::json;

constexpr char kIndexName[] = "model.safetensors.index.json";
constexpr char kSingleName[] = "model.safetensors";

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Shard names are plain file names beside the index: nothing that could reach
// outside its directory ("../x", "/etc/x", "a/../../x").
Status CheckShardName(const std::string& shard, const std::string& tensor) {
  if (shard.empty() || shard == "." || shard == ".." || shard.find('/') != std::string::npos ||
      shard.find('\\') != std::string::npos || shard.find('\0') != std::string::npos) {
    return DataLossError("weight_map[\"" + tensor + "\"] names shard \"" + shard +
                         "\", which is not a plain file name in the index's directory");
  }
  return Status::Ok();
}

}  // namespace

Status io_internal::ParseSafetensorsIndex(const std::string& text,
                                          std::map<std::string, std::string>* weight_map) {
  json root;
  CORGI_RETURN_IF_ERROR(
      io_internal::ParseJson(text, "index", /*reject_duplicate_keys=*/true, &root));
  if (!root.is_object()) {
    return DataLossError("index must be a JSON object, got " + io_internal::DescribeJson(root));
  }
  auto it = root.find("weight_map");
  if (it == root.end()) return DataLossError("index has no \"weight_map\"");
  if (!it->is_object()) {
    return DataLossError("index \"weight_map\" must be an object, got " +
                         io_internal::DescribeJson(*it));
  }
  for (const auto& [tensor, shard] : it->items()) {
    if (!shard.is_string()) {
      return DataLossError("weight_map[\"" + tensor + "\"] must be a file name string, got " +
                           io_internal::DescribeJson(shard));
    }
    CORGI_RETURN_IF_ERROR(CheckShardName(shard.get<std::string>(), tensor));
    (*weight_map)[tensor] = shard.get<std::string>();
  }
  if (weight_map->empty()) return DataLossError("index \"weight_map\" is empty");
  return Status::Ok();
}

StatusOr<TensorStore> TensorStore::Open(const std::string& path) {
  std::string file = path;
  if (IsDirectory(path)) {
    std::string dir = path.empty() || path.back() == '/' ? path : path + "/";
    if (Exists(dir + kIndexName)) {
      file = dir + kIndexName;
    } else if (Exists(dir + kSingleName)) {
      file = dir + kSingleName;
    } else {
      return NotFoundError("checkpoint directory '" + path + "' has neither " + kSingleName +
                           " nor " + kIndexName);
    }
  }
  TensorStore store;
  if (!EndsWith(file, ".json")) {
    CORGI_ASSIGN_OR_RETURN(SafetensorsFile single, SafetensorsFile::Open(file));
    store.files_.push_back(std::make_shared<SafetensorsFile>(std::move(single)));
    store.file_paths_.push_back(file);
    store.tensors_ = store.files_[0]->tensors();
  } else {
    CORGI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(file));
    std::map<std::string, std::string> weight_map;
    Status status = io_internal::ParseSafetensorsIndex(text, &weight_map);
    if (!status.ok()) return status.WithContext(file);
    CORGI_RETURN_IF_ERROR(store.OpenShards(DirName(file), file, weight_map));
  }
  std::sort(store.tensors_.begin(), store.tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
  for (size_t i = 0; i < store.tensors_.size(); ++i) store.by_name_[store.tensors_[i].name] = i;
  return store;
}

Status TensorStore::OpenShards(const std::string& dir, const std::string& index_path,
                               const std::map<std::string, std::string>& weight_map) {
  // Shards in order of first mention by tensor name, so file_index is deterministic.
  std::map<std::string, size_t> shard_index;
  for (const auto& [tensor, shard] : weight_map) {
    if (shard_index.count(shard) != 0) continue;
    std::string shard_path = dir + "/" + shard;
    StatusOr<SafetensorsFile> opened = SafetensorsFile::Open(shard_path);
    if (!opened.ok()) {
      if (opened.status().code() == StatusCode::kNotFound) {
        return NotFoundError(index_path + ": shard '" + shard + "' (holding '" + tensor +
                             "') is missing: " + opened.status().message());
      }
      return opened.status();
    }
    shard_index[shard] = files_.size();
    files_.push_back(std::make_shared<SafetensorsFile>(std::move(opened).value()));
    file_paths_.push_back(shard_path);
  }
  for (const auto& [shard, index] : shard_index) {
    for (const TensorInfo& info : files_[index]->tensors()) {
      auto it = weight_map.find(info.name);
      if (it == weight_map.end()) {
        return DataLossError(index_path + ": shard '" + shard + "' contains tensor '" + info.name +
                             "', which the weight_map does not list");
      }
      if (it->second != shard) {
        return DataLossError(index_path + ": tensor '" + info.name + "' is in shard '" + shard +
                             "' but the weight_map assigns it to '" + it->second +
                             "' (a tensor may appear in only one shard)");
      }
      TensorInfo copy = info;
      copy.file_index = index;
      tensors_.push_back(std::move(copy));
    }
  }
  if (tensors_.size() != weight_map.size()) {
    // Some mapped tensor was not found in its shard; name the first.
    std::map<std::string, bool> found;
    for (const TensorInfo& t : tensors_) found[t.name] = true;
    for (const auto& [tensor, shard] : weight_map) {
      if (found.count(tensor) == 0) {
        return DataLossError(index_path + ": weight_map places tensor '" + tensor + "' in shard '" +
                             shard + "', which does not contain it");
      }
    }
  }
  return Status::Ok();
}

const TensorInfo* TensorStore::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

TensorView TensorStore::View(const TensorInfo& info) const {
  CORGI_CHECK(info.file_index < files_.size())
      << "TensorInfo '" << info.name << "' does not belong to this store";
  const MappedFile& file = files_[info.file_index]->file();
  CORGI_CHECK(info.data_offset + info.bytes <= file.size())
      << "TensorInfo '" << info.name << "' lies outside its file";
  return TensorView(file.data() + info.data_offset, info.dtype, info.shape);
}

size_t TensorStore::total_file_bytes() const {
  size_t total = 0;
  for (const auto& f : files_) total += f->file().size();
  return total;
}

size_t TensorStore::total_tensor_bytes() const {
  size_t total = 0;
  for (const TensorInfo& t : tensors_) total += t.bytes;
  return total;
}

}  // namespace corgi
