// Round trips through the writer and reader, byte-exact format checks against the
// safetensors layout, sharding, and the zero-copy guarantee.
#include "corgi/io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "corgi/core/half.h"
#include "io/io_test_util.h"

namespace corgi {
namespace {

using io_test::ReadBytes;
using io_test::SafetensorsBytes;
using io_test::TempDir;

// A tensor whose byte i is (seed + i) mod 251, so every tensor's bytes are distinct.
TensorToWrite PatternTensor(const std::string& name, DType dtype, Shape shape, int seed) {
  TensorToWrite t;
  t.name = name;
  t.dtype = dtype;
  t.shape = shape;
  size_t n = t.bytes();
  t.fill = [n, seed](uint8_t* dst) {
    for (size_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>((seed + i) % 251);
  };
  return t;
}

bool HasPattern(const TensorView& v, int seed) {
  const uint8_t* p = static_cast<const uint8_t*>(v.data);
  for (size_t i = 0; i < v.bytes(); ++i)
    if (p[i] != static_cast<uint8_t>((seed + i) % 251)) return false;
  return true;
}

std::vector<TensorToWrite> SampleTensors() {
  return {PatternTensor("model.norm.weight", DType::kF32, Shape{2, 3}, 1),
          PatternTensor("model.embed.weight", DType::kBF16, Shape{5, 7}, 2),
          PatternTensor("a.f16", DType::kF16, Shape{1, 1, 3}, 3),
          PatternTensor("scalar", DType::kF32, Shape{}, 4),
          PatternTensor("empty", DType::kF32, Shape{0, 4}, 5)};
}

// The exact bytes the format prescribes for a small file: compact JSON header padded
// with spaces to a multiple of 8, then the raw little-endian data.
TEST(SafetensorsWriter, BytesMatchTheFormat) {
  TempDir dir;
  TensorToWrite t;
  t.name = "w";
  t.dtype = DType::kF32;
  t.shape = Shape{2};
  t.fill = [](uint8_t* dst) {
    const float values[2] = {1.0f, -2.0f};
    std::memcpy(dst, values, sizeof(values));
  };
  ASSERT_TRUE(WriteSafetensors(dir.File("w.safetensors"), {t}, {{"format", "pt"}}).ok());
  std::string header =
      R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_EQ(header.size(), 85u);
  header.append(3, ' ');                                          // 88 = 11 * 8
  const std::string data("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);  // 1.0f, -2.0f
  EXPECT_EQ(ReadBytes(dir.File("w.safetensors")), SafetensorsBytes(header, data));
}

// Reading a file written by hand (not by our writer), as another tool would produce it.
TEST(SafetensorsFile, ParsesHandWrittenFile) {
  TempDir dir;
  std::string header =
      R"({"b":{"dtype":"BF16","shape":[3],"data_offsets":[8,14]},)"
      R"("a":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},"__metadata__":{"k":"v"}})";
  const uint16_t bf16[3] = {0x3FC0, 0xC040, 0x3E80};  // 1.5, -3.0, 0.25
  float f32[2] = {7.0f, 8.0f};
  std::string data(reinterpret_cast<const char*>(f32), 8);
  data.append(reinterpret_cast<const char*>(bf16), 6);
  io_test::WriteBytes(dir.File("m.safetensors"), SafetensorsBytes(header, data));

  StatusOr<SafetensorsFile> file = SafetensorsFile::Open(dir.File("m.safetensors"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ(file->tensors().size(), 2u);
  const TensorInfo& a = file->tensors()[0];
  const TensorInfo& b = file->tensors()[1];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.dtype, DType::kF32);
  EXPECT_EQ(a.shape, (Shape{2, 1}));
  EXPECT_EQ(a.data_offset, 8 + header.size());
  EXPECT_EQ(a.bytes, 8u);
  EXPECT_EQ(b.name, "b");
  EXPECT_EQ(b.dtype, DType::kBF16);
  EXPECT_EQ(b.data_offset, 8 + header.size() + 8);
  EXPECT_EQ(file->metadata().at("k"), "v");

  StatusOr<TensorStore> store = TensorStore::Open(dir.File("m.safetensors"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  TensorView vb = store->View(*store->Find("b"));
  EXPECT_EQ(Bf16ToF32(vb.as<uint16_t>()[0]), 1.5f);
  EXPECT_EQ(Bf16ToF32(vb.as<uint16_t>()[1]), -3.0f);
  EXPECT_EQ(Bf16ToF32(vb.as<uint16_t>()[2]), 0.25f);
  float a1;
  std::memcpy(&a1, static_cast<const char*>(store->View(*store->Find("a")).data) + 4, 4);
  EXPECT_EQ(a1, 8.0f);
}

TEST(SafetensorsRoundTrip, SingleFile) {
  TempDir dir;
  std::vector<TensorToWrite> tensors = SampleTensors();
  ASSERT_TRUE(WriteCheckpointTensors(dir.path(), tensors, 1 << 20, {{"note", "x"}}).ok());
  EXPECT_TRUE(std::filesystem::exists(dir.File("model.safetensors")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("model.safetensors.index.json")));
  // No temporary files left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);

  StatusOr<TensorStore> store = TensorStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_EQ(store->tensors().size(), tensors.size());
  size_t data_bytes = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo* info = store->Find(tensors[i].name);
    ASSERT_NE(info, nullptr) << tensors[i].name;
    EXPECT_EQ(info->dtype, tensors[i].dtype);
    EXPECT_EQ(info->shape, tensors[i].shape);
    EXPECT_EQ(info->bytes, tensors[i].bytes());
    EXPECT_TRUE(HasPattern(store->View(*info), static_cast<int>(i) + 1)) << tensors[i].name;
    data_bytes += info->bytes;
  }
  EXPECT_EQ(store->total_tensor_bytes(), data_bytes);
  EXPECT_EQ(store->Find("missing"), nullptr);
  // Header padded to a multiple of 8; file = 8 + header + data exactly.
  std::string bytes = ReadBytes(dir.File("model.safetensors"));
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ(header_len % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + header_len + data_bytes);
  EXPECT_EQ(store->total_file_bytes(), bytes.size());
  // WriteCheckpointTensors adds the "format" key transformers requires.
  StatusOr<SafetensorsFile> file = SafetensorsFile::Open(dir.File("model.safetensors"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->metadata().at("format"), "pt");
  EXPECT_EQ(file->metadata().at("note"), "x");
}

TEST(SafetensorsRoundTrip, ShardedWithIndex) {
  TempDir dir;
  // Seven 64-byte tensors with a 150-byte limit: shards of 2,2,2,1.
  std::vector<TensorToWrite> tensors;
  for (int i = 0; i < 7; ++i) {
    tensors.push_back(
        PatternTensor("layers." + std::to_string(i) + ".w", DType::kF32, Shape{4, 4}, 10 + i));
  }
  ASSERT_TRUE(WriteCheckpointTensors(dir.path(), tensors, 150).ok());
  const char* names[] = {"model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                         "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors"};
  for (const char* name : names) EXPECT_TRUE(std::filesystem::exists(dir.File(name))) << name;
  EXPECT_FALSE(std::filesystem::exists(dir.File("model.safetensors")));

  nlohmann::json index = nlohmann::json::parse(ReadBytes(dir.File("model.safetensors.index.json")));
  EXPECT_EQ(index["metadata"]["total_size"], 7 * 64);
  EXPECT_EQ(index["weight_map"].size(), 7u);
  EXPECT_EQ(index["weight_map"]["layers.0.w"], names[0]);
  EXPECT_EQ(index["weight_map"]["layers.1.w"], names[0]);
  EXPECT_EQ(index["weight_map"]["layers.2.w"], names[1]);
  EXPECT_EQ(index["weight_map"]["layers.6.w"], names[3]);

  for (const std::string& path : {dir.path(), dir.File("model.safetensors.index.json")}) {
    StatusOr<TensorStore> store = TensorStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(store->file_paths().size(), 4u);
    ASSERT_EQ(store->tensors().size(), 7u);
    for (int i = 0; i < 7; ++i) {
      const TensorInfo* info = store->Find("layers." + std::to_string(i) + ".w");
      ASSERT_NE(info, nullptr);
      EXPECT_TRUE(std::filesystem::path(store->file_paths()[info->file_index]).filename() ==
                  names[i / 2]);
      EXPECT_TRUE(HasPattern(store->View(*info), 10 + i));
    }
  }
}

TEST(SafetensorsRoundTrip, OversizedTensorGetsItsOwnShard) {
  TempDir dir;
  std::vector<TensorToWrite> tensors = {PatternTensor("a", DType::kF32, Shape{4}, 1),
                                        PatternTensor("big", DType::kF32, Shape{100}, 2),
                                        PatternTensor("c", DType::kF32, Shape{4}, 3)};
  ASSERT_TRUE(WriteCheckpointTensors(dir.path(), tensors, 40).ok());
  StatusOr<TensorStore> store = TensorStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store->file_paths().size(), 3u);
  EXPECT_TRUE(HasPattern(store->View(*store->Find("big")), 2));
}

TEST(SafetensorsRoundTrip, RewritingAsSingleFileRemovesStaleIndex) {
  TempDir dir;
  std::vector<TensorToWrite> tensors = {PatternTensor("a", DType::kF32, Shape{16}, 1),
                                        PatternTensor("b", DType::kF32, Shape{16}, 2)};
  ASSERT_TRUE(WriteCheckpointTensors(dir.path(), tensors, 64).ok());
  ASSERT_TRUE(std::filesystem::exists(dir.File("model.safetensors.index.json")));
  tensors[0] = PatternTensor("a", DType::kF32, Shape{16}, 7);
  ASSERT_TRUE(WriteCheckpointTensors(dir.path(), tensors, 1 << 20).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.File("model.safetensors.index.json")));
  StatusOr<TensorStore> store = TensorStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(HasPattern(store->View(*store->Find("a")), 7));
}

TEST(TensorStore, ViewsPointIntoTheMapping) {
  TempDir dir;
  ASSERT_TRUE(WriteCheckpointTensors(dir.path(), SampleTensors(), 1 << 20).ok());
  StatusOr<TensorStore> store = TensorStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  StatusOr<SafetensorsFile> probe = SafetensorsFile::Open(dir.File("model.safetensors"));
  ASSERT_TRUE(probe.ok());
  // The store's own mapping: recover it through a tensor's offset and compare ranges.
  for (const TensorInfo& info : store->tensors()) {
    TensorView v = store->View(info);
    const uint8_t* p = static_cast<const uint8_t*>(v.data);
    const uint8_t* base = p - info.data_offset;
    EXPECT_EQ(v.shape, info.shape);
    EXPECT_TRUE(v.is_contiguous());
    // Every view of the store shares one base address (one mapping, no copies).
    EXPECT_EQ(base, static_cast<const uint8_t*>(store->View(store->tensors()[0]).data) -
                        store->tensors()[0].data_offset);
    // And that base maps the file: its first 8 bytes are the header length.
    EXPECT_EQ(std::memcmp(base, probe->file().data(), 8), 0);
    // Views are stable: asking twice yields the same pointer.
    EXPECT_EQ(store->View(info).data, v.data);
  }
}

TEST(SafetensorsFile, ViewDataIsInsideTheMappedFile) {
  TempDir dir;
  ASSERT_TRUE(WriteSafetensors(dir.File("x.safetensors"), SampleTensors()).ok());
  StatusOr<SafetensorsFile> file = SafetensorsFile::Open(dir.File("x.safetensors"));
  ASSERT_TRUE(file.ok());
  const uint8_t* begin = file->file().data();
  const uint8_t* end = begin + file->file().size();
  for (const TensorInfo& info : file->tensors()) {
    const uint8_t* p = begin + info.data_offset;
    EXPECT_GE(p, begin);
    EXPECT_LE(p + info.bytes, end);
  }
  // The store, moved around, keeps views valid (the mapping is shared, not copied).
  StatusOr<TensorStore> store = TensorStore::Open(dir.File("x.safetensors"));
  ASSERT_TRUE(store.ok());
  TensorStore moved = std::move(store).value();
  TensorStore copy = moved;
  const TensorInfo* info = copy.Find("model.embed.weight");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(copy.View(*info).data, moved.View(*moved.Find("model.embed.weight")).data);
  EXPECT_TRUE(HasPattern(copy.View(*info), 2));
}

TEST(SafetensorsWriter, RejectsBadInput) {
  TempDir dir;
  std::vector<TensorToWrite> dup = {PatternTensor("a", DType::kF32, Shape{1}, 1),
                                    PatternTensor("a", DType::kF32, Shape{1}, 2)};
  Status s = WriteSafetensors(dir.File("d.safetensors"), dup);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("twice"), std::string::npos);

  TensorToWrite no_fill = PatternTensor("a", DType::kF32, Shape{1}, 1);
  no_fill.fill = nullptr;
  EXPECT_EQ(WriteSafetensors(dir.File("n.safetensors"), {no_fill}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteSafetensors(dir.File("m.safetensors"),
                             {PatternTensor("__metadata__", DType::kF32, Shape{1}, 1)})
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteSafetensors(dir.File("no/such/dir/x.safetensors"), SampleTensors()).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(WriteCheckpointTensors(dir.path(), SampleTensors(), 0).code(),
            StatusCode::kInvalidArgument);
  // Nothing was left behind by the failed writes.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(SafetensorsWriter, FillThatThrowsIsAnErrorAndLeavesNoFile) {
  TempDir dir;
  TensorToWrite t = PatternTensor("a", DType::kF32, Shape{4}, 1);
  t.fill = [](uint8_t*) { throw std::runtime_error("boom"); };
  Status s = WriteSafetensors(dir.File("t.safetensors"), {t});
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace corgi
