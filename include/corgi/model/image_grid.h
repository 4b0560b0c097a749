// An image's patch grid (Hugging Face's grid_thw), shared by every model family.
#pragma once

#include <cstdint>

namespace corgi {

// t temporal patches, h x w spatial patches (16 px for Qwen3-VL, 14 px for Qwen2.5-VL).
struct ImageGrid {
  int64_t t = 1, h = 0, w = 0;
  int64_t patches() const { return t * h * w; }
  // Decoder tokens after the merge x merge patch merger.
  int64_t merged_tokens(int64_t merge) const { return t * (h / merge) * (w / merge); }
};

}  // namespace corgi
