#include "corgi/model/checkpoint_files.h"

#include <algorithm>
#include <filesystem>

#include "corgi/core/log.h"
#include "corgi/core/mapped_file.h"

namespace corgi {
namespace {

// False only when nothing is at `path`: a dangling or looping symlink, or a path that cannot
// be checked, counts as present, so that reading it reports what is wrong instead of the
// file being taken as absent. Never throws.
bool Present(const std::string& path) {
  std::error_code ec;
  return std::filesystem::symlink_status(path, ec).type() != std::filesystem::file_type::not_found;
}

}  // namespace

Status CheckModelDirectory(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return NotFoundError("model directory '" + dir + "' does not exist");
  return Status::Ok();
}

StatusOr<CheckpointFiles> OpenCheckpointFiles(const std::string& dir,
                                              const CheckpointDefaults& defaults,
                                              int64_t vocab_size) {
  CheckpointFiles f;
  f.directory = dir;
  if (Present(dir + "/preprocessor_config.json")) {
    CORGI_ASSIGN_OR_RETURN(f.preprocessor,
                           LoadPreprocessorConfig(dir + "/preprocessor_config.json"));
  } else {
    // Not an error (some exports omit it), but the image size bounds and normalization then
    // come from the family's defaults, which a different checkpoint may not share.
    f.preprocessor = defaults.preprocessor;
    CORGI_LOG(WARNING) << "model directory '" << dir
                       << "' has no preprocessor_config.json; using the " << defaults.family
                       << " defaults (min_pixels " << f.preprocessor.min_pixels << ", max_pixels "
                       << f.preprocessor.max_pixels << ", patch_size " << f.preprocessor.patch_size
                       << ")";
  }
  if (Present(dir + "/generation_config.json")) {
    CORGI_ASSIGN_OR_RETURN(f.generation, LoadGenerationConfig(dir + "/generation_config.json"));
  }
  if (f.generation.eos_token_ids.empty()) f.generation.eos_token_ids = defaults.eos_token_ids;
  CORGI_ASSIGN_OR_RETURN(Tokenizer tok, Tokenizer::Load(dir));
  f.tokenizer = std::make_unique<Tokenizer>(std::move(tok));
  CORGI_ASSIGN_OR_RETURN(f.store, TensorStore::Open(dir));
  f.sampleable_vocab =
      static_cast<int32_t>(std::min<int64_t>(f.tokenizer->vocab_size(), vocab_size));

  Hasher h;
  CORGI_ASSIGN_OR_RETURN(std::string config_text, ReadFileToString(dir + "/config.json"));
  h.Update(config_text);
  for (const TensorInfo& info : f.store.tensors()) {
    h.Update(info.name);
    h.Update(DTypeName(info.dtype));
    h.UpdatePod(info.bytes);
  }
  f.identity = h.Finish();
  return f;
}

}  // namespace corgi
