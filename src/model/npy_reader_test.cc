#include "model/npy_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace corgi {
namespace {

// Builds a .npy file the way numpy.save does: magic, version, little-endian header
// length, the dict padded with spaces to a 64-byte boundary and ended by '\n', data.
std::string MakeNpy(const std::string& dict, const std::string& data, int major = 1) {
  const size_t prefix = 8 + (major == 1 ? 2 : 4);
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const uint32_t len = static_cast<uint32_t>(header.size());
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + header + data;
}

template <typename T>
std::string Bytes(std::initializer_list<T> values) {
  std::string s(values.size() * sizeof(T), '\0');
  std::memcpy(s.data(), values.begin(), s.size());
  return s;
}

TEST(NpyReaderTest, ReadsFloat32Matrix) {
  auto a = ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                            Bytes<float>({1, 2, 3, 4, 5, -6.5f})));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->dtype, NpyDType::kF32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->f32, (std::vector<float>{1, 2, 3, 4, 5, -6.5f}));
}

TEST(NpyReaderTest, ReadsInt64VectorAndInt32Version2) {
  auto a = ParseNpy(MakeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                            Bytes<int64_t>({151644, -280, 7})));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->ints, (std::vector<int64_t>{151644, -280, 7}));
  auto b = ParseNpy(MakeNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }",
                            Bytes<int32_t>({-1, 2}), /*major=*/2));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->dtype, NpyDType::kI32);
  EXPECT_EQ(b->ints, (std::vector<int64_t>{-1, 2}));
}

TEST(NpyReaderTest, ReadsScalar) {
  auto a = ParseNpy(
      MakeNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", Bytes<int64_t>({-5})));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(a->shape.empty());
  EXPECT_EQ(a->numel(), 1);
  EXPECT_EQ(a->ints[0], -5);
}

TEST(NpyReaderTest, RefusesWhatItDoesNotSupport) {
  const std::string four = Bytes<float>({1, 2, 3, 4});
  struct Case {
    std::string file;
    StatusCode code;
  } cases[] = {
      {MakeNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", four),
       StatusCode::kUnimplemented},
      {MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", four),
       StatusCode::kUnimplemented},
      {MakeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four),
       StatusCode::kUnimplemented},
      {MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four, /*major=*/3),
       StatusCode::kUnimplemented},
      {MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", four),
       StatusCode::kDataLoss},
      {MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", four),
       StatusCode::kDataLoss},
      {MakeNpy(
           "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }",
           four),
       StatusCode::kDataLoss},
      {MakeNpy("{'descr': '<f4', 'fortran_order': False}", four), StatusCode::kDataLoss},
      {MakeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", four),
       StatusCode::kDataLoss},
      {MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (4", ""), StatusCode::kDataLoss},
      {"\x93NUMPX\x01\x00", StatusCode::kDataLoss},
      {"", StatusCode::kDataLoss},
  };
  for (const Case& c : cases) {
    auto a = ParseNpy(c.file);
    ASSERT_FALSE(a.ok()) << c.file;
    EXPECT_EQ(a.status().code(), c.code) << a.status().ToString();
  }
  // A header length pointing past the end of the file.
  std::string truncated =
      MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four);
  truncated.resize(20);
  EXPECT_EQ(ParseNpy(truncated).status().code(), StatusCode::kDataLoss);
}

TEST(NpyReaderTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadNpyFile("/nonexistent/x.npy").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace corgi
