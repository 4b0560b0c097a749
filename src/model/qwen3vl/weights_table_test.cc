#include "corgi/model/qwen3vl/weights_table.h"

#include <gtest/gtest.h>

#include <set>

#include "corgi/model/qwen3vl/presets.h"

namespace corgi::qwen3vl {
namespace {

struct Counts {
  int64_t text = 0, vision = 0, tensors = 0;
};

Counts Count(const ModelConfig& c) {
  Counts n;
  for (const WeightSpec& s : WeightTable(c)) {
    if (!s.required) continue;  // tied lm_head is not stored
    ++n.tensors;
    bool vision = s.part == WeightPart::kVisionTower || s.part == WeightPart::kVisionMerger ||
                  s.part == WeightPart::kDeepStack;
    (vision ? n.vision : n.text) += s.shape.numel();
  }
  return n;
}

// Spec §1.1 / issue: Qwen3-VL-2B has text ≈ 1.72 B and vision ≈ 0.41 B parameters, tied embeddings.
TEST(WeightTable, TwoBMatchesPublishedSizes) {
  ModelConfig c = *PresetConfig("2b");
  Counts n = Count(c);
  EXPECT_NEAR(n.text / 1e9, 1.72, 0.005);
  EXPECT_NEAR(n.vision / 1e9, 0.41, 0.005);
  EXPECT_TRUE(c.tie_word_embeddings);
  // 24 blocks x 12 tensors + patch(2) + pos(1) + merger(6) + 3 deepstack x 6; 28 layers x 11 + embed + norm.
  EXPECT_EQ(n.tensors, 24 * 12 + 3 + 6 + 18 + 28 * 11 + 2);
}

TEST(WeightTable, FourBAndEightBShapes) {
  ModelConfig c4 = *PresetConfig("4b");
  for (const WeightSpec& s : WeightTable(c4)) {
    if (s.name == "model.language_model.layers.0.self_attn.q_proj.weight") {
      EXPECT_EQ(s.shape, (Shape{4096, 2560}));
    }
    if (s.name == "model.language_model.layers.0.self_attn.o_proj.weight") {
      EXPECT_EQ(s.shape, (Shape{2560, 4096}));
    }
    if (s.name == "model.visual.merger.linear_fc2.weight") {
      EXPECT_EQ(s.shape, (Shape{2560, 4096}));
    }
  }
  ModelConfig c8 = *PresetConfig("8b");
  bool saw_lm_head = false;
  for (const WeightSpec& s : WeightTable(c8)) {
    if (s.name == "lm_head.weight") {
      saw_lm_head = true;
      EXPECT_TRUE(s.required);  // 8B is untied
    }
    if (s.name == "model.visual.patch_embed.proj.weight") {
      EXPECT_EQ(s.shape, (Shape{1152, 3, 2, 16, 16}));
    }
    if (s.name == "model.visual.deepstack_merger_list.2.linear_fc1.weight") {
      EXPECT_EQ(s.shape, (Shape{4608, 4608}));
    }
    if (s.name == "model.visual.blocks.26.mlp.linear_fc1.weight") {
      EXPECT_EQ(s.shape, (Shape{4304, 1152}));
    }
  }
  EXPECT_TRUE(saw_lm_head);
  // Spec §2.1: 8B merger fc2 is [4096, 4608].
  Counts n8 = Count(c8);
  EXPECT_NEAR(n8.vision / 1e9, 0.58, 0.01);
}

TEST(WeightTable, NamesAreUnique) {
  for (const std::string& preset : PresetNames()) {
    std::set<std::string> names;
    for (const WeightSpec& s : WeightTable(*PresetConfig(preset)))
      EXPECT_TRUE(names.insert(s.name).second) << preset << ": duplicate " << s.name;
  }
}

TEST(Presets, UnknownPresetIsAnError) {
  EXPECT_EQ(PresetConfig("13b").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace corgi::qwen3vl
