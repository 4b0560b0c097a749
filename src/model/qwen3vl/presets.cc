#include "corgi/model/qwen3vl/presets.h"

namespace corgi::qwen3vl {
namespace {

ModelConfig Base() {
  ModelConfig c;
  c.model_type = "qwen3_vl";
  c.architecture = "Qwen3VLForConditionalGeneration";
  c.torch_dtype = "bfloat16";
  c.text.vocab_size = 151936;
  c.text.max_position_embeddings = 262144;
  c.text.rope_theta = 5000000.0;
  c.text.rms_norm_eps = 1e-6;
  c.text.mrope_interleaved = true;
  c.text.hidden_act = "silu";
  c.vision.patch_size = 16;
  c.vision.temporal_patch_size = 2;
  c.vision.spatial_merge_size = 2;
  c.vision.in_channels = 3;
  c.vision.hidden_act = "gelu_pytorch_tanh";
  return c;
}

struct TextShape {
  int64_t d, layers, heads, kv_heads, head_dim, intermediate;
  std::vector<int64_t> mrope_section;
};
struct VisionShape {
  int64_t depth, hidden, heads, intermediate, num_position_embeddings;
  std::vector<int64_t> deepstack;
};

ModelConfig Make(const TextShape& t, const VisionShape& v, bool tied) {
  ModelConfig c = Base();
  c.tie_word_embeddings = tied;
  c.text.hidden_size = t.d;
  c.text.num_hidden_layers = t.layers;
  c.text.num_attention_heads = t.heads;
  c.text.num_key_value_heads = t.kv_heads;
  c.text.head_dim = t.head_dim;
  c.text.intermediate_size = t.intermediate;
  c.text.mrope_section = t.mrope_section;
  c.vision.depth = v.depth;
  c.vision.hidden_size = v.hidden;
  c.vision.num_heads = v.heads;
  c.vision.intermediate_size = v.intermediate;
  c.vision.num_position_embeddings = v.num_position_embeddings;
  c.vision.deepstack_visual_indexes = v.deepstack;
  c.vision.out_hidden_size = t.d;
  return c;
}

}  // namespace

std::vector<std::string> PresetNames() { return {"tiny", "small", "2b", "4b", "8b"}; }

StatusOr<ModelConfig> PresetConfig(const std::string& name) {
  if (name == "tiny") {
    // q width (4 heads x 32) != hidden (32), GQA 2:1 and a non-square position
    // table size: the same traps as the real models, at unit-test size.
    // mrope_section [6,5,5] interleaves over 16 frequency slots like [24,20,20] over 64.
    return Make({32, 3, 4, 2, 32, 64, {6, 5, 5}}, {5, 32, 2, 64, 256, {1, 2, 3}}, true);
  }
  if (name == "small") {
    return Make({512, 8, 4, 2, 128, 1536, {24, 20, 20}}, {8, 256, 4, 1024, 2304, {1, 3, 5}}, true);
  }
  if (name == "2b") {
    return Make({2048, 28, 16, 8, 128, 6144, {24, 20, 20}}, {24, 1024, 16, 4096, 2304, {5, 11, 17}},
                true);
  }
  if (name == "4b") {
    return Make({2560, 36, 32, 8, 128, 9728, {24, 20, 20}}, {24, 1024, 16, 4096, 2304, {5, 11, 17}},
                true);
  }
  if (name == "8b") {
    return Make({4096, 36, 32, 8, 128, 12288, {24, 20, 20}}, {27, 1152, 16, 4304, 2304, {8, 16, 24}},
                false);
  }
  return NotFoundError("unknown preset '" + name + "' (choose tiny, small, 2b, 4b or 8b)");
}

PreprocessorConfig DefaultPreprocessorConfig() { return PreprocessorConfig(); }

GenerationConfig DefaultGenerationConfig() {
  GenerationConfig g;
  g.eos_token_ids = {151645, 151643};
  g.bos_token_id = 151643;
  g.pad_token_id = 151643;
  g.do_sample = true;
  g.temperature = 0.7;
  g.top_p = 0.8;
  g.top_k = 20;
  g.repetition_penalty = 1.0;
  return g;
}

}  // namespace corgi::qwen3vl
