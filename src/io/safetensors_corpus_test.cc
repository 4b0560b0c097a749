// A corpus of malformed safetensors files and indexes, built byte by byte inside the
// test so it cannot go stale. Every case must fail with a specific code and message.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "corgi/io/safetensors.h"
#include "io/io_test_util.h"

namespace corgi {
namespace {

using io_test::LittleEndian64;
using io_test::SafetensorsBytes;
using io_test::TempDir;
using io_test::WriteBytes;

struct BadFile {
  const char* name;
  std::string bytes;
  StatusCode code;
  const char* message_part;  // must appear in the error message
};

// {"t": {"dtype": D, "shape": S, "data_offsets": O}} with `data` bytes of payload.
std::string OneTensor(const std::string& dtype, const std::string& shape,
                      const std::string& offsets, size_t data) {
  std::string header =
      R"({"t":{"dtype":)" + dtype + R"(,"shape":)" + shape + R"(,"data_offsets":)" + offsets + "}}";
  return SafetensorsBytes(header, std::string(data, '\x01'));
}

std::string Header(const std::string& header, size_t data = 0) {
  return SafetensorsBytes(header, std::string(data, '\0'));
}

const char kValidEntry[] = R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

std::vector<BadFile> BadFiles() {
  const StatusCode kLoss = StatusCode::kDataLoss;
  const StatusCode kUnimpl = StatusCode::kUnimplemented;
  const std::string valid = std::string(R"({"t":)") + kValidEntry + "}";
  return {
      {"empty file", "", kLoss, "0 bytes, too short"},
      {"7 bytes", std::string(7, '\0'), kLoss, "7 bytes, too short"},
      {"header length 0", LittleEndian64(0) + "{}", kLoss, "header length is 0"},
      {"truncated header", LittleEndian64(100) + valid.substr(0, 20), kLoss,
       "runs past the end of the file"},
      {"header length one past the end", LittleEndian64(valid.size() + 1) + valid, kLoss,
       "runs past the end"},
      {"header length over the cap", LittleEndian64(200'000'000) + valid, kLoss, "exceeds"},
      {"header length 2^63", LittleEndian64(uint64_t{1} << 63) + valid, kLoss, "exceeds"},
      {"bad JSON", Header(R"({"t":{"dtype":"F32",)"), kLoss, "not valid JSON"},
      {"trailing garbage", Header("{} x"), kLoss, "not valid JSON"},
      {"comment", Header("/*c*/{}"), kLoss, "not valid JSON"},
      {"JSON array", Header("[1,2,3]"), kLoss, "must be a JSON object"},
      {"JSON string", Header("\"abc\""), kLoss, "must be a JSON object"},
      {"byte 0xFF in a name", Header("{\"\xff\":" + std::string(kValidEntry) + "}", 8), kLoss,
       "UTF-8"},
      {"overlong UTF-8", Header("{\"\xc0\xaf\":" + std::string(kValidEntry) + "}", 8), kLoss,
       "UTF-8"},
      {"UTF-8 surrogate", Header("{\"\xed\xa0\x80\":" + std::string(kValidEntry) + "}", 8), kLoss,
       "UTF-8"},
      {"truncated UTF-8 sequence", Header("{\"\xe2\x82\":" + std::string(kValidEntry) + "}", 8),
       kLoss, "UTF-8"},
      {"code point above U+10FFFF",
       Header("{\"\xf4\x90\x80\x80\":" + std::string(kValidEntry) + "}", 8), kLoss, "UTF-8"},
      {"non-ASCII byte outside strings", Header("{\xc3\xa9}"), kLoss, "not valid JSON"},
      {"NUL byte in header", Header(std::string("{}\0\xff", 4)), kLoss, "NUL byte"},
      {"deep nesting", Header(std::string(5000, '[') + std::string(5000, ']')), kLoss,
       "nests deeper"},
      {"entry not an object", Header(R"({"t":5})"), kLoss, "must be an object"},
      {"empty tensor name", Header(std::string(R"({"":)") + kValidEntry + "}", 8), kLoss,
       "empty name"},
      {"missing dtype", Header(R"({"t":{"shape":[2],"data_offsets":[0,8]}})", 8), kLoss,
       "\"dtype\" must be a string"},
      {"dtype not a string", OneTensor("7", "[2]", "[0,8]", 8), kLoss,
       "\"dtype\" must be a string"},
      {"dtype I16", OneTensor("\"I16\"", "[4]", "[0,8]", 8), kUnimpl, "dtype I16"},
      {"dtype I64", OneTensor("\"I64\"", "[1]", "[0,8]", 8), kUnimpl, "dtype I64"},
      {"dtype F64", OneTensor("\"F64\"", "[1]", "[0,8]", 8), kUnimpl, "dtype F64"},
      {"dtype BOOL", OneTensor("\"BOOL\"", "[8]", "[0,8]", 8), kUnimpl, "dtype BOOL"},
      {"dtype F8_E5M2", OneTensor("\"F8_E5M2\"", "[8]", "[0,8]", 8), kUnimpl, "dtype F8_E5M2"},
      {"unknown dtype", OneTensor("\"Q9\"", "[2]", "[0,8]", 8), kLoss, "unknown dtype"},
      {"shape not an array", OneTensor("\"F32\"", "2", "[0,8]", 8), kLoss, "\"shape\" must be"},
      {"negative dimension", OneTensor("\"F32\"", "[-2]", "[0,8]", 8), kLoss,
       "shape[0] must be a non-negative integer"},
      {"fractional dimension", OneTensor("\"F32\"", "[2.5]", "[0,8]", 8), kLoss,
       "shape[0] must be a non-negative integer"},
      {"dimension above 2^63", OneTensor("\"F32\"", "[9223372036854775808]", "[0,8]", 8), kLoss,
       "non-negative integer"},
      {"dimension overflow [2^40, 2^40]",
       OneTensor("\"F32\"", "[1099511627776,1099511627776]", "[0,8]", 8), kLoss,
       "more elements than fit"},
      {"byte count overflow [2^62] F32", OneTensor("\"F32\"", "[4611686018427387904]", "[0,8]", 8),
       kLoss, "overflows a 64-bit byte count"},
      {"rank 7", OneTensor("\"F32\"", "[1,1,1,1,1,1,2]", "[0,8]", 8), kUnimpl, "rank 7"},
      {"missing data_offsets", Header(R"({"t":{"dtype":"F32","shape":[2]}})", 8), kLoss,
       "\"data_offsets\" must be"},
      {"data_offsets with one entry", OneTensor("\"F32\"", "[2]", "[8]", 8), kLoss,
       "\"data_offsets\" must be"},
      {"negative data_offsets", OneTensor("\"F32\"", "[2]", "[-8,0]", 8), kLoss,
       "\"data_offsets\" must be"},
      {"begin > end", OneTensor("\"F32\"", "[0]", "[8,4]", 8), kLoss, "begin 8 > end 4"},
      {"offsets past the end", OneTensor("\"F32\"", "[2]", "[0,8]", 7), kLoss,
       "past the end of the data section"},
      {"offsets far past the end", OneTensor("\"F32\"", "[2]", "[1000000,1000008]", 8), kLoss,
       "past the end of the data section"},
      {"size != shape x dtype", OneTensor("\"F32\"", "[2]", "[0,4]", 8), kLoss,
       "needs 8 bytes but data_offsets span 4"},
      {"BF16 size mismatch", OneTensor("\"BF16\"", "[2,2]", "[0,4]", 8), kLoss, "needs 8 bytes"},
      {"overlapping tensors",
       Header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
              12),
       kLoss, "overlap"},
      {"identical ranges",
       Header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
              R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
              4),
       kLoss, "overlap"},
      {"duplicate tensor names",
       Header(std::string(R"({"t":)") + kValidEntry + R"(,"t":)" + kValidEntry + "}", 8), kLoss,
       "repeats the key \"t\""},
      {"duplicate key inside an entry",
       Header(R"({"t":{"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]}})", 8), kLoss,
       "repeats the key \"dtype\""},
      {"metadata with a number", Header(R"({"__metadata__":{"format":"pt","n":3}})"), kLoss,
       "__metadata__[\"n\"] must be a string"},
      {"metadata with an object", Header(R"({"__metadata__":{"x":{}}})"), kLoss,
       "must be a string"},
      {"metadata not an object", Header(R"({"__metadata__":"pt"})"), kLoss,
       "__metadata__ must be an object"},
  };
}

TEST(SafetensorsCorpus, EveryMalformedFileIsRejected) {
  TempDir dir;
  std::vector<BadFile> cases = BadFiles();
  ASSERT_GE(cases.size(), 25u);
  int index = 0;
  for (const BadFile& c : cases) {
    SCOPED_TRACE(c.name);
    // Parse on an exact-size heap copy, so ASan flags any read past the end.
    std::vector<uint8_t> bytes(c.bytes.begin(), c.bytes.end());
    std::vector<TensorInfo> tensors;
    std::map<std::string, std::string> metadata;
    Status parsed = SafetensorsFile::Parse(bytes.data(), bytes.size(), &tensors, &metadata);
    EXPECT_EQ(parsed.code(), c.code) << parsed.ToString();
    EXPECT_NE(parsed.message().find(c.message_part), std::string::npos) << parsed.ToString();
    EXPECT_TRUE(tensors.empty());

    // Through the file API: same failure, and the path is in the message.
    std::string path = dir.File("case" + std::to_string(index++) + ".safetensors");
    WriteBytes(path, c.bytes);
    StatusOr<SafetensorsFile> opened = SafetensorsFile::Open(path);
    EXPECT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), c.code);
    EXPECT_NE(opened.status().message().find(path), std::string::npos);
    StatusOr<TensorStore> store = TensorStore::Open(path);
    EXPECT_EQ(store.status().code(), c.code);
  }
}

// Valid edge cases the checks must not reject.
TEST(SafetensorsCorpus, AcceptsUnusualButValidFiles) {
  struct Good {
    const char* name;
    std::string bytes;
    size_t tensors;
  };
  std::vector<Good> cases = {
      {"no tensors", Header("{}"), 0},
      {"only metadata", Header(R"({"__metadata__":{}})"), 0},
      {"padded with spaces", Header("{}      "), 0},
      {"scalar", OneTensor("\"F32\"", "[]", "[0,4]", 4), 1},
      {"zero-size tensor", OneTensor("\"F16\"", "[0,5]", "[0,0]", 0), 1},
      {"empty tensor inside another's range",
       Header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
              R"("b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})",
              8),
       2},
      {"gap and trailing bytes", OneTensor("\"BF16\"", "[2]", "[4,8]", 16), 1},
      {"escaped unicode name", Header(std::string(R"({"\u00e9\u4e2d":)") + kValidEntry + "}", 8),
       1},
  };
  for (const Good& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<uint8_t> bytes(c.bytes.begin(), c.bytes.end());
    std::vector<TensorInfo> tensors;
    std::map<std::string, std::string> metadata;
    Status s = SafetensorsFile::Parse(bytes.data(), bytes.size(), &tensors, &metadata);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(tensors.size(), c.tensors);
  }
}

// A valid shard holding the named F32 [2] tensors.
std::string Shard(const std::vector<std::string>& names) {
  std::string header = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) header += ',';
    header += '"';
    header += names[i];
    header += R"(":{"dtype":"F32","shape":[2],"data_offsets":[)";
    header += std::to_string(8 * i) + "," + std::to_string(8 * i + 8) + "]}";
  }
  return Header(header + "}", 8 * names.size());
}

struct BadIndex {
  const char* name;
  std::string index;
  StatusCode code;
  const char* message_part;
};

TEST(SafetensorsCorpus, EveryMalformedIndexIsRejected) {
  const StatusCode kLoss = StatusCode::kDataLoss;
  std::vector<BadIndex> cases = {
      {"index not JSON", "{\"weight_map\":", kLoss, "not valid JSON"},
      {"index not an object", "[]", kLoss, "must be a JSON object"},
      {"no weight_map", R"({"metadata":{}})", kLoss, "no \"weight_map\""},
      {"weight_map not an object", R"({"weight_map":["a"]})", kLoss,
       "\"weight_map\" must be an object"},
      {"empty weight_map", R"({"weight_map":{}})", kLoss, "is empty"},
      {"shard name not a string", R"({"weight_map":{"a":1}})", kLoss, "must be a file name"},
      {"missing shard", R"({"weight_map":{"a":"s1.safetensors","x":"gone.safetensors"}})",
       StatusCode::kNotFound, "shard 'gone.safetensors'"},
      {"../ shard", R"({"weight_map":{"a":"../s1.safetensors"}})", kLoss, "not a plain file name"},
      {"absolute shard", R"({"weight_map":{"a":"/etc/passwd"}})", kLoss, "not a plain file name"},
      {"shard in a subdirectory", R"({"weight_map":{"a":"sub/../../s1.safetensors"}})", kLoss,
       "not a plain file name"},
      {"shard named ..", R"({"weight_map":{"a":".."}})", kLoss, "not a plain file name"},
      {"tensor the shard lacks",
       R"({"weight_map":{"a":"s1.safetensors","b":"s1.safetensors","zz":"s1.safetensors"}})", kLoss,
       "tensor 'zz' in shard 's1.safetensors', which does not contain it"},
      {"tensor in two shards",
       R"({"weight_map":{"a":"s1.safetensors","b":"s2.safetensors","c":"s2.safetensors"}})", kLoss,
       "a tensor may appear in only one shard"},
      {"shard tensor missing from the map", R"({"weight_map":{"c":"s2.safetensors"}})", kLoss,
       "which the weight_map does not list"},
      {"tensor listed twice", R"({"weight_map":{"a":"s1.safetensors","a":"s2.safetensors"}})",
       kLoss, "repeats the key \"a\""},
      {"corrupt shard", R"({"weight_map":{"a":"bad.safetensors"}})", kLoss, "bad.safetensors"},
  };
  for (const BadIndex& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    WriteBytes(dir.File("s1.safetensors"), Shard({"a", "b"}));
    WriteBytes(dir.File("s2.safetensors"), Shard({"b", "c"}));
    WriteBytes(dir.File("bad.safetensors"), std::string(7, '\0'));
    WriteBytes(dir.File("model.safetensors.index.json"), c.index);
    StatusOr<TensorStore> store = TensorStore::Open(dir.path());
    EXPECT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), c.code) << store.status().ToString();
    EXPECT_NE(store.status().message().find(c.message_part), std::string::npos)
        << store.status().ToString();
  }
}

TEST(SafetensorsCorpus, MissingCheckpoint) {
  TempDir dir;
  StatusOr<TensorStore> store = TensorStore::Open(dir.path());
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_NE(store.status().message().find("model.safetensors"), std::string::npos);
  EXPECT_EQ(TensorStore::Open(dir.File("nope.safetensors")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(TensorStore::Open(dir.File("nope.json")).status().code(), StatusCode::kNotFound);
}

TEST(SafetensorsCorpus, ValidHandWrittenShards) {
  TempDir dir;
  WriteBytes(dir.File("s1.safetensors"), Shard({"a", "b"}));
  WriteBytes(dir.File("s2.safetensors"), Shard({"c"}));
  WriteBytes(dir.File("model.safetensors.index.json"),
             R"({"metadata":{"total_size":24},"weight_map":)"
             R"({"a":"s1.safetensors","b":"s1.safetensors","c":"s2.safetensors"}})");
  StatusOr<TensorStore> store = TensorStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store->tensors().size(), 3u);
  EXPECT_EQ(store->file_paths().size(), 2u);
  EXPECT_EQ(store->total_tensor_bytes(), 24u);
}

}  // namespace
}  // namespace corgi
