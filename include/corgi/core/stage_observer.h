// A hook that sees named intermediate tensors as the forward pass produces them
// (`corgi generate --dump`, reference comparisons). Names are stable and documented
// where each stage is emitted, e.g. "vision.patch_embed", "text.layer3.out".
#pragma once

#include <functional>
#include <string>

#include "corgi/core/tensor.h"

namespace corgi {

// Called synchronously with float32 data valid only during the call.
using StageObserver = std::function<void(const std::string& name, const float* data, const Shape& shape)>;

inline void Observe(const StageObserver* observer, const std::string& name, const float* data, Shape shape) {
  if (observer != nullptr && *observer) (*observer)(name, data, shape);
}

}  // namespace corgi
