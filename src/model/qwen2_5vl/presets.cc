#include "corgi/model/qwen2_5vl/presets.h"

namespace corgi::qwen2_5vl {
namespace {

struct TextShape {
  int64_t d, layers, heads, kv_heads, intermediate, vocab;
  std::vector<int64_t> mrope_section;
};
struct VisionShape {
  int64_t depth, hidden, heads, intermediate, window_size;
  std::vector<int64_t> fullatt;
};

ModelConfig Make(const TextShape& t, const VisionShape& v, bool tied) {
  ModelConfig c;
  c.torch_dtype = "bfloat16";
  c.tie_word_embeddings = tied;
  c.text.hidden_size = t.d;
  c.text.num_hidden_layers = t.layers;
  c.text.num_attention_heads = t.heads;
  c.text.num_key_value_heads = t.kv_heads;
  c.text.head_dim = t.d / t.heads;
  c.text.intermediate_size = t.intermediate;
  c.text.vocab_size = t.vocab;
  c.text.max_position_embeddings = 128000;
  c.text.rope_theta = 1000000.0;
  c.text.rms_norm_eps = 1e-6;
  c.text.mrope_section = t.mrope_section;
  c.vision.depth = v.depth;
  c.vision.hidden_size = v.hidden;
  c.vision.num_heads = v.heads;
  c.vision.intermediate_size = v.intermediate;
  c.vision.window_size = v.window_size;
  c.vision.fullatt_block_indexes = v.fullatt;
  c.vision.out_hidden_size = t.d;
  return c;
}

}  // namespace

std::vector<std::string> PresetNames() { return {"tiny", "small", "3b", "7b", "32b"}; }

StatusOr<ModelConfig> PresetConfig(const std::string& name) {
  if (name == "tiny") {
    // head_dim 16 (8 rotary slots split [2,3,3] like [16,24,24] over 64), GQA 2:1, and a
    // 2x2-token window (56 px) so a small image already has several windows.
    return Make({32, 3, 2, 1, 64, 151936, {2, 3, 3}}, {4, 32, 2, 64, 56, {1, 3}}, true);
  }
  if (name == "small") {
    return Make({512, 8, 4, 2, 1536, 151936, {16, 24, 24}}, {8, 256, 4, 1024, 112, {3, 7}}, true);
  }
  if (name == "3b") {
    return Make({2048, 36, 16, 2, 11008, 151936, {16, 24, 24}},
                {32, 1280, 16, 3420, 112, {7, 15, 23, 31}}, true);
  }
  if (name == "7b") {
    return Make({3584, 28, 28, 4, 18944, 152064, {16, 24, 24}},
                {32, 1280, 16, 3420, 112, {7, 15, 23, 31}}, false);
  }
  if (name == "32b") {
    return Make({5120, 64, 40, 8, 27648, 152064, {16, 24, 24}},
                {32, 1280, 16, 3456, 112, {7, 15, 23, 31}}, false);
  }
  return NotFoundError("unknown Qwen2.5-VL preset '" + name +
                       "' (choose tiny, small, 3b, 7b or 32b)");
}

PreprocessorConfig DefaultPreprocessorConfig() {
  PreprocessorConfig p;
  p.min_pixels = 3136;
  p.max_pixels = 12845056;
  p.patch_size = 14;
  p.temporal_patch_size = 2;
  p.merge_size = 2;
  p.image_mean = {0.48145466f, 0.4578275f, 0.40821073f};
  p.image_std = {0.26862954f, 0.26130258f, 0.27577711f};
  p.image_processor_type = "Qwen2VLImageProcessor";
  return p;
}

GenerationConfig DefaultGenerationConfig() {
  GenerationConfig g;
  g.bos_token_id = 151643;
  g.pad_token_id = 151643;
  g.do_sample = true;
  g.eos_token_ids = {151645, 151643};
  g.repetition_penalty = 1.05;
  g.temperature = 0.000001;
  return g;
}

}  // namespace corgi::qwen2_5vl
