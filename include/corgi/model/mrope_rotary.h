// The text decoder's M-RoPE rotary table (Qwen2-VL onward): each of the head_dim/2
// frequency slots turns with one of the three position axes (t, h, w). Families differ
// only in which slot takes which axis — chunked (Qwen2/2.5-VL: [s0 | s1 | s2]) or
// interleaved (Qwen3-VL) — so they choose the layout and share the rest. All float math
// is float32 in the order transformers uses, so tables match bit for bit. Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace corgi {

enum class MropeLayout {
  kChunked,      // slots [0, s0) t, [s0, s0+s1) h, the rest w (apply_multimodal_rotary_pos_emb)
  kInterleaved,  // slots 1,4,7.. (< 3*s1) h, 2,5,8.. (< 3*s2) w, the rest t
                 // (apply_interleaved_mrope)
};

// Which position axis (0 = t, 1 = h, 2 = w) drives frequency slot k; `section` = [s0, s1, s2].
int MropeAxis(std::span<const int64_t> section, MropeLayout layout, int64_t k);

// The per-slot inverse frequencies and position axes, computed once per model (they
// depend only on the config).
struct MropeFrequencies {
  std::vector<float> inv_freq;  // [head_dim/2]: 1 / theta^(2k/head_dim)
  std::vector<int> axis;        // [head_dim/2]: MropeAxis of each slot
};
MropeFrequencies MakeMropeFrequencies(int64_t head_dim, double theta,
                                      std::span<const int64_t> section, MropeLayout layout);

// out [S, head_dim/2]: angle of slot k for token i = float(pos[axis(k)][i]) * inv_freq[k].
// pos: [3, S] (t, h, w rows) as in TextPositions::ids.
void MropeAngles(const MropeFrequencies& freq, std::span<const int32_t> pos, int64_t length,
                 float* out);

}  // namespace corgi
