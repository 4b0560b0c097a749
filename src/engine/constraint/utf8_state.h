// UTF-8 validation as a tiny automaton over bytes, shared by the vocabulary tables and
// the grammar machine.
#pragma once

#include <cstdint>

namespace corgi::constraint {

// UTF-8 validation state: 0 when between characters, else continuation bytes still
// needed (bits 0-1) and the allowed range of the next one (bits 2-4, see Utf8Step).
inline constexpr int kUtf8States = 20;

// The state after byte `b`, or -1 when `b` would make the text invalid UTF-8 (overlong
// forms, surrogates and values above U+10FFFF are rejected as in RFC 3629).
inline int Utf8Step(int state, uint8_t b) {
  if (state == 0) {
    if (b < 0x80) return 0;
    if (b >= 0xC2 && b <= 0xDF) return 1;
    if (b == 0xE0) return 2 | (1 << 2);
    if (b == 0xED) return 2 | (2 << 2);
    if (b >= 0xE1 && b <= 0xEF) return 2;
    if (b == 0xF0) return 3 | (3 << 2);
    if (b == 0xF4) return 3 | (4 << 2);
    if (b >= 0xF1 && b <= 0xF3) return 3;
    return -1;
  }
  static constexpr uint8_t kLo[5] = {0x80, 0xA0, 0x80, 0x90, 0x80};
  static constexpr uint8_t kHi[5] = {0xBF, 0xBF, 0x9F, 0xBF, 0x8F};
  const int range = state >> 2;
  if (b < kLo[range] || b > kHi[range]) return -1;
  return (state & 3) - 1;  // the following bytes take the plain 80..BF range
}
inline int Utf8Pending(int state) { return state & 3; }

// The state after a run of `n` continuation bytes from `state` (which they are known to
// fit): the same need, lowered, with the plain 80..BF range.
inline int Utf8AfterContinuations(int state, int n) {
  const int need = (state & 3) - n;
  return need <= 0 ? 0 : need;
}

}  // namespace corgi::constraint
