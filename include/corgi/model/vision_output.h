// What a vision tower hands the decoder, for every model family.
#pragma once

#include <cstdint>
#include <vector>

namespace corgi {

// What the vision tower produces for a set of images, in prompt order: merged embeddings
// and, for families that inject features into decoder layers, one block per level.
// The vision cache keeps exactly this per image.
struct VisionOutput {
  int64_t tokens = 0;                         // merged tokens over all images
  int64_t width = 0;                          // D
  std::vector<float> embeds;                  // [tokens, D] in prompt order
  std::vector<std::vector<float>> deepstack;  // [levels][tokens, D]; empty when none
};

}  // namespace corgi
