#include "corgi/model/mrope_rotary.h"

#include <cmath>

namespace corgi {

int MropeAxis(std::span<const int64_t> sec, MropeLayout layout, int64_t k) {
  if (layout == MropeLayout::kInterleaved) {
    if (k % 3 == 1 && k < 3 * sec[1]) return 1;
    if (k % 3 == 2 && k < 3 * sec[2]) return 2;
    return 0;
  }
  if (k < sec[0]) return 0;
  if (k < sec[0] + sec[1]) return 1;
  return 2;
}

MropeFrequencies MakeMropeFrequencies(int64_t head_dim, double theta,
                                      std::span<const int64_t> section, MropeLayout layout) {
  // transformers' default rope init: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), float32.
  const int64_t half = head_dim / 2;
  MropeFrequencies f;
  f.inv_freq.resize(half);
  f.axis.resize(half);
  const float base = static_cast<float>(theta);
  for (int64_t k = 0; k < half; ++k) {
    const float exponent = static_cast<float>(2 * k) / static_cast<float>(head_dim);
    f.inv_freq[k] = 1.0f / std::pow(base, exponent);
    f.axis[k] = MropeAxis(section, layout, k);
  }
  return f;
}

void MropeAngles(const MropeFrequencies& freq, std::span<const int32_t> pos, int64_t length,
                 float* out) {
  const int64_t half = static_cast<int64_t>(freq.inv_freq.size());
  for (int64_t i = 0; i < length; ++i)
    for (int64_t k = 0; k < half; ++k)
      out[i * half + k] = static_cast<float>(pos[freq.axis[k] * length + i]) * freq.inv_freq[k];
}

}  // namespace corgi
