// Mutation testing without libFuzzer: flip random bytes of a valid file (fixed seed)
// and check Parse never crashes or reads out of bounds (run under ASan/UBSan), and
// that whatever it accepts satisfies the invariants the rest of corgi relies on.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "corgi/io/safetensors.h"
#include "io/io_test_util.h"

namespace corgi {
namespace {

std::string ValidFile() {
  std::string header = R"({"__metadata__":{"format":"pt"},)"
                       R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                       R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},)"
                       R"("c":{"dtype":"F16","shape":[1,2,2],"data_offsets":[32,40]},)"
                       R"("d":{"dtype":"F32","shape":[],"data_offsets":[40,44]}})";
  return io_test::SafetensorsBytes(header, std::string(44, '\x5a'));
}

// What every accepted file must satisfy.
void ExpectInvariants(const std::vector<TensorInfo>& tensors, size_t size) {
  std::vector<const TensorInfo*> sorted;
  for (const TensorInfo& t : tensors) {
    ASSERT_LE(t.data_offset, size);
    ASSERT_LE(t.bytes, size - t.data_offset);
    ASSERT_EQ(t.bytes, static_cast<size_t>(t.shape.numel()) * DTypeSize(t.dtype));
    ASSERT_TRUE(t.dtype == DType::kF32 || t.dtype == DType::kF16 || t.dtype == DType::kBF16);
    for (int d = 0; d < t.shape.rank(); ++d) ASSERT_GE(t.shape[d], 0);
    if (t.bytes > 0) sorted.push_back(&t);
  }
  std::sort(sorted.begin(), sorted.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->data_offset < b->data_offset;
  });
  for (size_t i = 1; i < sorted.size(); ++i) {
    ASSERT_GE(sorted[i]->data_offset, sorted[i - 1]->data_offset + sorted[i - 1]->bytes);
  }
}

TEST(SafetensorsMutation, RandomByteFlipsNeverCrash) {
  const std::string valid = ValidFile();
  {
    std::vector<TensorInfo> tensors;
    std::map<std::string, std::string> metadata;
    std::vector<uint8_t> bytes(valid.begin(), valid.end());
    ASSERT_TRUE(SafetensorsFile::Parse(bytes.data(), bytes.size(), &tensors, &metadata).ok());
    ASSERT_EQ(tensors.size(), 4u);
  }
  std::mt19937 rng(20240611);
  // Most flips land in the header (where parsing happens); the length prefix and
  // data bytes get their share too.
  const size_t header_end = valid.size() - 44;
  const uint8_t interesting[] = {'"', '{', '}',  '[',  ']',  ',',  ':',  '-',
                                 '0', '9', 0x00, 0x80, 0xff, 0xc0, 0xed, '\\'};
  int accepted = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<uint8_t> bytes(valid.begin(), valid.end());
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      size_t pos = (rng() % 8 == 0) ? rng() % bytes.size() : rng() % header_end;
      switch (rng() % 3) {
        case 0:
          bytes[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 1:
          bytes[pos] = static_cast<uint8_t>(rng());
          break;
        default:
          bytes[pos] = interesting[rng() % sizeof(interesting)];
          break;
      }
    }
    if (rng() % 10 == 0) bytes.resize(rng() % bytes.size());  // truncation
    bytes.shrink_to_fit();  // exact-size buffer so ASan sees any overread
    std::vector<TensorInfo> tensors;
    std::map<std::string, std::string> metadata;
    Status s = SafetensorsFile::Parse(bytes.data(), bytes.size(), &tensors, &metadata);
    if (s.ok()) {
      ++accepted;
      ExpectInvariants(tensors, bytes.size());
    } else {
      EXPECT_FALSE(s.message().empty());
      EXPECT_TRUE(tensors.empty());
    }
  }
  // Data-byte flips and harmless edits stay valid, so some mutants must pass; most must not.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 2000);
}

}  // namespace
}  // namespace corgi
