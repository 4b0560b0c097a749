#include "apps/cli/token_ids.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "corgi/core/json_scan.h"

namespace corgi::cli {

StatusOr<std::vector<int32_t>> ParseTokenIds(std::string_view text) {
  if (Status deep = CheckJsonDepth(text, "stdin"); !deep.ok())
    return InvalidArgumentError(deep.message() + "; expected a JSON array of token ids");
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array())
    return InvalidArgumentError("stdin is not a JSON array of token ids");
  std::vector<int32_t> ids;
  ids.reserve(j.size());
  for (const nlohmann::json& v : j) {
    if (!v.is_number_integer() || v.get<int64_t>() < std::numeric_limits<int32_t>::min() ||
        v.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      std::string shown = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
      return InvalidArgumentError("not a token id: " + shown);
    }
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return ids;
}

}  // namespace corgi::cli
