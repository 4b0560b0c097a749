#include "engine/vision_cache.h"

namespace corgi {

int64_t ImageFeatures::bytes() const {
  int64_t n = static_cast<int64_t>(embeds.size());
  for (const auto& level : deepstack) n += static_cast<int64_t>(level.size());
  return n * static_cast<int64_t>(sizeof(float));
}

Hash128 ImageCacheKey(const RgbImage& image, const VisionPreprocessParams& p, const Hash128& model_identity) {
  Hasher h;
  h.Update("corgi.vision.v1");
  h.UpdatePod(model_identity);
  h.UpdatePod(image.width);
  h.UpdatePod(image.height);
  h.Update(image.pixels.data(), image.pixels.size());
  // Every field that changes the tensor the tower sees.
  h.UpdatePod(p.min_pixels);
  h.UpdatePod(p.max_pixels);
  h.UpdatePod(p.patch_size);
  h.UpdatePod(p.temporal_patch_size);
  h.UpdatePod(p.merge_size);
  h.UpdatePod(p.image_mean);
  h.UpdatePod(p.image_std);
  h.UpdatePod(p.rescale_factor);
  h.UpdatePod(p.do_resize);
  h.UpdatePod(p.precision);
  h.UpdatePod(p.normalize);
  return h.Finish();
}

std::shared_ptr<const ImageFeatures> VisionCache::Find(const Hash128& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.features;
}

void VisionCache::Insert(const Hash128& key, std::shared_ptr<const ImageFeatures> features) {
  const int64_t bytes = features->bytes();
  if (bytes > stats_.budget_bytes || entries_.count(key) > 0) return;
  while (stats_.bytes + bytes > stats_.budget_bytes && !lru_.empty()) {
    auto victim = entries_.find(lru_.back());
    stats_.bytes -= victim->second.features->bytes();
    entries_.erase(victim);
    lru_.pop_back();
    ++stats_.evictions;
  }
  lru_.push_front(key);
  entries_[key] = Entry{std::move(features), lru_.begin()};
  stats_.bytes += bytes;
  stats_.entries = static_cast<int64_t>(entries_.size());
}

}  // namespace corgi
