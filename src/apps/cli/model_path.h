// Where a --model argument points: a checkpoint directory as given, or a Hugging Face
// repo id ("Qwen/Qwen3-VL-2B-Instruct") found in the local Hugging Face cache. corgi never
// downloads; a repo id missing from the cache is an error that says where it looked.
//
//   StatusOr<std::string> dir = ResolveModelPath("Qwen/Qwen3-VL-2B-Instruct");
//   // ~/.cache/huggingface/hub/models--Qwen--Qwen3-VL-2B-Instruct/snapshots/<rev>
//
// Cache layout (huggingface_hub): <cache>/models--<Owner>--<Name>/refs/main holds a
// revision hash; the files are in <cache>/models--<Owner>--<Name>/snapshots/<rev>/.
// Thread-safe (reads the environment and the file system only).
#pragma once

#include <string>

#include "apps/cli/flags.h"
#include "corgi/core/status.h"

namespace corgi::cli {

// The hub cache directory: $HF_HUB_CACHE, else $HF_HOME/hub, else
// ~/.cache/huggingface/hub ($XDG_CACHE_HOME/huggingface/hub when that is set).
std::string HubCacheDir();

// True for "owner/name" (one slash, letters, digits, '-', '_', '.'; not starting with '.').
bool LooksLikeRepoId(const std::string& arg);

// `arg` unchanged when it exists on disk (or is not a repo id: the loader then reports
// the missing path); else the snapshot directory of repo id `arg` in `cache_dir`.
// NotFound (naming the cache folder, suggesting `huggingface-cli download`) when the repo
// or its revision is not in the cache; InvalidArgument for an empty argument.
StatusOr<std::string> ResolveModelPathIn(const std::string& arg, const std::string& cache_dir);

// ResolveModelPathIn(arg, HubCacheDir()).
StatusOr<std::string> ResolveModelPath(const std::string& arg);

// Registers -m/--model (placeholder DIR) with `help` on `flags`.
std::string* AddModelFlag(FlagParser* flags, const std::string& help);

// Replaces a non-empty *model with ResolveModelPath(*model). On an error prints it
// ("error: ...") and returns false: the command exits with status 1.
bool ResolveModelFlag(std::string* model);

}  // namespace corgi::cli
