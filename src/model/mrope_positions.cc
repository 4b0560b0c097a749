#include "corgi/model/mrope_positions.h"

#include <algorithm>
#include <string>

namespace corgi {

StatusOr<TextPositions> ComputeMropePositions(std::span<const int32_t> tokens, int32_t image_token_id,
                                             std::span<const ImageGrid> grids, int64_t merge_size) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  TextPositions out;
  out.length = n;
  out.ids.assign(3 * n, 0);
  int64_t s = 0, max_pos = -1;
  size_t image = 0;
  for (int64_t i = 0; i < n;) {
    if (tokens[i] != image_token_id) {
      for (int a = 0; a < 3; ++a) out.ids[a * n + i] = static_cast<int32_t>(s);
      max_pos = s;
      ++s;
      ++i;
      continue;
    }
    int64_t run = 0;
    while (i + run < n && tokens[i + run] == image_token_id) ++run;
    if (image >= grids.size()) {
      return InvalidArgumentError("prompt has more image-token runs than images (" + std::to_string(grids.size()) + ")");
    }
    const ImageGrid& g = grids[image++];
    const int64_t mh = g.h / merge_size, mw = g.w / merge_size;
    if (run != g.t * mh * mw) {
      return InvalidArgumentError("image " + std::to_string(image - 1) + " has " + std::to_string(run) +
                                  " placeholder tokens but its grid gives " + std::to_string(g.t * mh * mw));
    }
    int64_t k = i;
    for (int64_t f = 0; f < g.t; ++f)
      for (int64_t r = 0; r < mh; ++r)
        for (int64_t c = 0; c < mw; ++c, ++k) {
          out.ids[k] = static_cast<int32_t>(s + f);
          out.ids[n + k] = static_cast<int32_t>(s + r);
          out.ids[2 * n + k] = static_cast<int32_t>(s + c);
        }
    max_pos = s + std::max({g.t - 1, mh - 1, mw - 1});
    s = max_pos + 1;
    i += run;
  }
  if (image != grids.size()) {
    return InvalidArgumentError(std::to_string(grids.size()) + " images given but the prompt has " +
                                std::to_string(image) + " image placeholder runs");
  }
  out.rope_delta = (max_pos + 1) - n;
  return out;
}

}  // namespace corgi
