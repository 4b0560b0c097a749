// Every setting of a CoRGI query (PIPELINE.md "Settings"), with its default. One YAML
// file sets any of them (docs/CONFIG.md lists every key); the CLI overrides a few.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/image/decode.h"

namespace corgi::pipeline {

struct TokenBudgets {
  int64_t reasoning = 1024;
  int64_t grounding = 128;
  int64_t caption = 128;
  int64_t ocr_vlm = 256;
  int64_t synthesis = 512;
};

struct SamplingConfig {
  double temperature = 0.0;  // 0: greedy (the default for every phase)
  int64_t top_k = 0;
  double top_p = 1.0;
  uint64_t seed = 0;
};

struct OcrConfig {
  std::string engine = "tesseract";  // "tesseract" | "vlm"
  std::string languages = "eng";
  std::string data_path;             // empty: Tesseract's default tessdata
  int64_t min_text_height = 48;
  int64_t workers = 2;
};

struct ImageConfig {
  // User cap on the model input, 0 or in [1024, 16777216]; 0: the checkpoint's own bound.
  // A cap below the checkpoint's min_pixels lowers that too (min_pixels left at 0).
  int64_t max_pixels = 0;
  int64_t min_pixels = 0;  // 0: the checkpoint's own bound; at most max_pixels when set
  // Decompression-bomb guard: images with more pixels are refused from the header, before
  // decoding. In [1, 2^30]; default 178956970 (where Pillow, and so HF, errors).
  int64_t max_decode_pixels = 178956970;
};

struct OutputConfig {
  bool crops = true;
  bool visualization = true;  // annotated image
  bool report = true;         // report.html
  bool trace = true;
};

struct EngineConfig {
  int64_t threads = 0;        // 0: all cores
  int64_t max_context = 8192;
  int64_t kv_cache_mb = 0;         // KV page budget; 0: 2 × max_context tokens
  int64_t vision_cache_mb = 256;   // image features kept for reuse; 0: off
  bool prefix_cache = true;        // prompts resume from earlier prompts' KV pages
  int64_t max_batch = 16;          // sequences decoded together; 1: one call at a time
  int64_t lookup_draft_tokens = 8; // most prompt-lookup guesses checked per decode step; 0: off
  // Quantize a float checkpoint's weights at load: "none" | "q8" | "q4" (docs/QUANTIZATION.md).
  std::string weights = "none";
};

// One OpenAI-compatible chat-completions server (docs/REMOTE.md).
struct EndpointConfig {
  std::string url;          // base URL ending before /chat/completions, e.g. http://host:8000/v1
  std::string model;        // the server's model name; empty: the first of its GET /models
  std::string api_key_env;  // environment variable holding the API key; empty: none.
                            // The key itself is never written to a config, trace or result.
  // What the server accepts beyond OpenAI's protocol: "openai" | "corgi" | "vllm" |
  // "sglang" | "llama-server" (docs/REMOTE.md "Dialects").
  std::string dialect = "openai";
  int64_t max_in_flight = 4;  // requests outstanding on this endpoint at once
};

// A model served remotely: its endpoints (load-balanced) and what corgi must know about it.
struct RemoteModelConfig {
  std::vector<EndpointConfig> endpoints;
  // How the model writes boxes: "relative_1000" (Qwen3-VL) | "resized_input_pixels"
  // (Qwen2/2.5-VL, which needs the preprocessing bounds below). Never guessed.
  std::string grounding_space = "relative_1000";
  // The model's smart_resize: factor = patch_size * merge_size and its pixel bounds, as in
  // its preprocessor_config.json (defaults: Qwen3-VL's). Boxes in resized_input_pixels
  // are read in this frame, and crops are padded to its smallest input.
  int64_t patch_size = 16;
  int64_t merge_size = 2;
  int64_t min_pixels = 65536;
  int64_t max_pixels = 16777216;
  // How the reasoning call's free text + steps JSON is asked for: "" (the dialect's
  // default) | "native" (corgi serve) | "grammar" | "json" | "free".
  std::string reasoning_format;
  std::string image_format = "png";  // "png" | "jpeg": how images travel (data: URLs)
  int64_t jpeg_quality = 90;
  double timeout_s = 600;            // per HTTP request, connection included
  int64_t max_retries = 3;           // per call, on 429/5xx/connection errors
  double retry_backoff_s = 0.5;      // first backoff; doubles per retry (Retry-After wins)
  double eject_s = 30;               // an endpoint failing 3 times in a row rests this long
};

// The model one phase runs on: a local checkpoint or a remote model (exactly one).
struct PhaseModelConfig {
  std::string checkpoint;
  RemoteModelConfig remote;
  bool is_set() const { return !checkpoint.empty() || !remote.endpoints.empty(); }
};

// models: in YAML. `default` serves every phase not named; unset: the --model checkpoint
// (or --remote). Fixed when the service starts, never a per-query setting.
struct ModelsConfig {
  PhaseModelConfig default_model;  // YAML key "default"
  PhaseModelConfig reasoning, grounding, caption, ocr, synthesis;
  bool any_set() const {
    return default_model.is_set() || reasoning.is_set() || grounding.is_set() || caption.is_set() ||
           ocr.is_set() || synthesis.is_set();
  }
  // The spec for a phase name ("default", "reasoning", ...); null for an unknown name.
  PhaseModelConfig* Find(const std::string& phase);
  const PhaseModelConfig* Find(const std::string& phase) const;
};

struct PipelineConfig {
  int64_t max_steps = 6;
  int64_t max_regions = 1;
  double nms_iou = 0.5;
  double crop_expand = 0.125;  // box grown by this fraction of its width/height on each side
  TokenBudgets budgets;
  SamplingConfig sampling;
  OcrConfig ocr;
  ImageConfig image;
  OutputConfig outputs;
  EngineConfig engine;
  ModelsConfig models;
};

// InvalidArgument naming the field when a value is out of range.
Status ValidateConfig(const PipelineConfig& config);

// How to decode a user's image under this config: the image.max_decode_pixels guard, with
// the setting named in its error.
DecodeOptions ImageDecodeOptions(const PipelineConfig& config);

// Parses YAML text over the defaults. An unknown key, a wrong type or an invalid value is
// an InvalidArgument naming the key path ("ocr.engine: expected tesseract or vlm").
StatusOr<PipelineConfig> ParseConfigYaml(const std::string& yaml_text, const std::string& source_name);
StatusOr<PipelineConfig> LoadConfigFile(const std::string& path);

// True for the keys one query may set on its own (a server request's "settings"):
// max_steps, max_regions, nms_iou, crop_expand, budgets.*, sampling.*, ocr.engine,
// ocr.languages, outputs.*. The engine and image sections, OCR paths and workers are fixed
// when the model is loaded.
bool IsQuerySettingKey(const std::string& path);

// `base` with the settings of a JSON object applied ({"max_steps": 3, "budgets":
// {"caption": 64}}; dotted keys also work). Validated like the YAML: an unknown key, a key
// that is not a per-query setting, a value of the wrong JSON type (a quoted number, a bare
// string) or an invalid value is an InvalidArgument naming the key path. `json_text`
// should be valid JSON (it is read with the YAML parser).
StatusOr<PipelineConfig> ApplyQuerySettings(const PipelineConfig& base, const std::string& json_text);

}  // namespace corgi::pipeline
