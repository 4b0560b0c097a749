// Where a `corgi batch` item's files go under OUT/items/, and how they get there.
//
// Choosing: the item's preferred folder (ItemDirName of its id) unless that folder
// belongs to another id, as recorded by a results.jsonl line ("output_dir") or by the
// folder's marker file (kItemIdFile, holding the id that wrote it); then "<name>-2",
// "<name>-3", ... So two ids never share a folder, whatever earlier runs left.
//
// Writing: into OUT/.staging/<slot>/new (marker included), then renamed into place; an
// older folder of the same id (from a run that died before writing its results line) is
// first moved aside to OUT/.staging/<slot>/old and then removed. items/<name> is thus
// absent or complete at every moment, and a crash leaves at most OUT/.staging, which
// ClearStaging removes when the next run starts.
//
// Thread-safety: one batch run per folder (batch_lock.h). Within it, WriteItemDir may run
// on several threads at once for different folders when each thread has its own `slot`;
// ChooseItemDir must be serialized by the caller together with recording its answer (so
// two items in flight never choose one folder).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "corgi/core/status.h"

namespace corgi::cli {

// The marker file in every item folder: the item's id, exactly as in the input.
inline constexpr char kItemIdFile[] = ".corgi-item-id";

// The folder for `id`, relative to out_dir ("items/<name>"). `recorded` maps the
// "output_dir" of results.jsonl lines to their ids. ResourceExhausted when 1000 names
// are all taken.
StatusOr<std::string> ChooseItemDir(const std::string& out_dir, const std::string& id,
                                    const std::string& preferred,
                                    const std::map<std::string, std::string>& recorded);

// Removes OUT/.staging (what a crash inside WriteItemDir left). IoError when it cannot.
Status ClearStaging(const std::string& out_dir);

// Runs write(dir) on an empty staging folder (OUT/.staging/<slot>/new), adds the marker,
// and installs the folder as OUT/rel_dir (replacing an older one). On an error nothing is
// installed and any older folder at rel_dir is removed (the item then has no folder, as
// its failed line says). `slot`: the writing thread's own staging folder (0..).
Status WriteItemDir(const std::string& out_dir, const std::string& rel_dir, const std::string& id,
                    int slot, const std::function<Status(const std::string& dir)>& write);

}  // namespace corgi::cli
