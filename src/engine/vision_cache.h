// The vision cache (DESIGN.md "Caches and batching"): what the decoder needs from one
// image — its grid, merged embeddings and DeepStack features — keyed by the image's
// content, every preprocessing parameter and the model's identity (ImageCacheKey), so a
// hit can never pair an image's tokens with another image's features. Least recently
// used entries are dropped to stay within a byte budget; an entry larger than the whole
// budget is not kept. Entries are shared_ptr: a request holds its features even if the
// cache drops them meanwhile. Not thread-safe (the engine serializes access).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <vector>

#include "corgi/core/hash.h"
#include "corgi/engine.h"
#include "corgi/model/image_grid.h"

namespace corgi {

struct ImageFeatures {
  ImageGrid grid;
  int64_t tokens = 0;                          // merged tokens
  int64_t width = 0;                           // D
  std::vector<float> embeds;                   // [tokens, D]
  std::vector<std::vector<float>> deepstack;   // [levels][tokens, D]
  int64_t bytes() const;
};

// Key of one image: decoded RGB pixels and size, the preprocessing parameters that
// shape the model input, and the model identity.
Hash128 ImageCacheKey(const RgbImage& image, const VisionPreprocessParams& params, const Hash128& model_identity);

class VisionCache {
 public:
  explicit VisionCache(int64_t budget_bytes) { stats_.budget_bytes = budget_bytes; }
  // The cached features, or nullptr (a miss). Counts the hit or miss.
  std::shared_ptr<const ImageFeatures> Find(const Hash128& key);
  void Insert(const Hash128& key, std::shared_ptr<const ImageFeatures> features);
  const VisionCacheStats& stats() const { return stats_; }

 private:
  using Lru = std::list<Hash128>;  // front = most recent
  struct Entry {
    std::shared_ptr<const ImageFeatures> features;
    Lru::iterator lru;
  };
  std::map<Hash128, Entry> entries_;
  Lru lru_;
  VisionCacheStats stats_;
};

}  // namespace corgi
