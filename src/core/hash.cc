#include "corgi/core/hash.h"

#include <xxhash.h>

#include <cstdio>

#include "corgi/core/check.h"

namespace corgi {

std::string Hash128::ToHex() const {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(high),
                static_cast<unsigned long long>(low));
  return buf;
}

Hash128 HashBytes(const void* data, size_t size) {
  XXH128_hash_t h = XXH3_128bits(data, size);
  return Hash128{h.high64, h.low64};
}

struct Hasher::State {
  XXH3_state_t* xxh = nullptr;
};

Hasher::Hasher() : state_(new State) {
  state_->xxh = XXH3_createState();
  CORGI_CHECK(state_->xxh != nullptr);
  XXH3_128bits_reset(state_->xxh);
}

Hasher::~Hasher() { XXH3_freeState(state_->xxh); }

void Hasher::Update(const void* data, size_t size) { XXH3_128bits_update(state_->xxh, data, size); }

Hash128 Hasher::Finish() const {
  XXH128_hash_t h = XXH3_128bits_digest(state_->xxh);
  return Hash128{h.high64, h.low64};
}

}  // namespace corgi
