// Robustness: truncated and bit-flipped copies of every decoder fixture and a few real
// samples must come back as a Status (or, rarely, as some image) — never a crash, hang,
// leak or out-of-bounds access. Meant to run under ASan/UBSan (CORGI_SANITIZE=ON).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "corgi/core/mapped_file.h"
#include "corgi/image/decode.h"

namespace corgi {
namespace {

std::vector<std::string> CorpusFiles() {
  const std::string fixtures = std::string(CORGI_TEST_DATA) + "/preprocess/";
  const std::string shared = std::string(CORGI_SHARED_DATA) + "/images/";
  std::vector<std::string> files;
  for (const char* f :
       {"rgb8.png", "rgba8.png", "gray1.png", "gray4.png", "palette_trns.png", "interlaced.png",
        "gray16.png", "rgba16.png", "baseline420.jpg", "progressive.jpg", "gray.jpg", "cmyk.jpg",
        "lossy.webp", "lossless_alpha.webp", "lossy_alpha.webp"}) {
    files.push_back(fixtures + "decode/" + f);
  }
  files.push_back(fixtures + "exif/orientation6.jpg");
  files.push_back(fixtures + "exif/orientation5.png");
  files.push_back(fixtures + "exif/orientation8.webp");
  files.push_back(shared + "qwen_finetune_demo/10149.png");
  files.push_back(shared + "qwen3_vl_jax_256/horses.png");
  return files;
}

void DecodeSurvives(const std::string& bytes, const std::string& label) {
  StatusOr<RgbImage> img = DecodeImage(bytes);
  if (img.ok()) {
    ASSERT_EQ(img->pixels.size(), static_cast<size_t>(img->height * img->width * 3)) << label;
  } else {
    ASSERT_FALSE(img.status().message().empty()) << label;
  }
  (void)ReadImageInfo(bytes);
}

TEST(CorpusTest, TruncationsNeverCrash) {
  for (const std::string& path : CorpusFiles()) {
    StatusOr<std::string> bytes = ReadFileToString(path);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    const size_t n = bytes->size();
    std::vector<size_t> cuts = {0, 1, 2, 3, 4, 8, 12, 16, 20, 33, 64, 100, 200};
    for (int k = 1; k < 16; ++k) cuts.push_back(n * k / 16);
    cuts.push_back(n - 1);
    for (size_t cut : cuts) {
      if (cut >= n) continue;
      DecodeSurvives(bytes->substr(0, cut), path + " cut at " + std::to_string(cut));
      // Truncated files must not decode successfully once the image data is cut.
      if (cut > 0 && cut + 16 < n / 2) {
        EXPECT_FALSE(DecodeImage(bytes->substr(0, cut)).ok()) << path << " cut at " << cut;
      }
    }
  }
}

TEST(CorpusTest, BitFlipsNeverCrash) {
  std::mt19937 rng(1234);
  for (const std::string& path : CorpusFiles()) {
    StatusOr<std::string> bytes = ReadFileToString(path);
    ASSERT_TRUE(bytes.ok());
    for (int trial = 0; trial < 40; ++trial) {
      std::string mutated = *bytes;
      const int flips = 1 + trial % 4;
      for (int f = 0; f < flips; ++f) {
        // Favor the headers, where the interesting parsing is.
        size_t limit = trial % 2 == 0 ? std::min<size_t>(mutated.size(), 256) : mutated.size();
        size_t pos = rng() % limit;
        mutated[pos] = static_cast<char>(mutated[pos] ^ (1u << (rng() % 8)));
      }
      DecodeSurvives(mutated, path + " trial " + std::to_string(trial));
    }
  }
}

}  // namespace
}  // namespace corgi
