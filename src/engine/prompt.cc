#include "corgi/engine/prompt.h"

#include "corgi/engine.h"
#include "corgi/tokenizer/chat_template.h"

namespace corgi {

StatusOr<VisionPreprocessParams> PreprocessParamsFor(const PreprocessorConfig& config) {
  if (!config.do_rescale || !config.do_normalize) {
    return UnimplementedError("preprocessor_config.json: do_rescale/do_normalize false is not supported");
  }
  VisionPreprocessParams p = VisionPreprocessParams::Qwen3Vl();
  p.min_pixels = config.min_pixels;
  p.max_pixels = config.max_pixels;
  p.patch_size = config.patch_size;
  p.temporal_patch_size = config.temporal_patch_size;
  p.merge_size = config.merge_size;
  p.image_mean = config.image_mean;
  p.image_std = config.image_std;
  p.rescale_factor = config.rescale_factor;
  p.do_resize = config.do_resize;
  return p;
}

StatusOr<PreparedPrompt> PreparePrompt(const qwen3vl::Model& model, const std::vector<Message>& messages,
                                       const VisionPreprocessParams& params, ThreadPool* pool) {
  PreparedPrompt out;
  std::vector<ChatMessage> chat;
  int64_t image_tokens = 0;
  for (const Message& m : messages) {
    ChatMessage cm;
    cm.role = m.role;
    for (const ContentPart& part : m.content) {
      if (part.kind == ContentPart::Kind::kText) {
        cm.content.push_back(ChatContent::Text(part.text));
        continue;
      }
      if (part.image == nullptr) return InvalidArgumentError("an image part has no image");
      StatusOr<PreprocessedImage> pre = PreprocessImage(*part.image, params, pool);
      if (!pre.ok()) return pre.status().WithContext("image " + std::to_string(out.grids.size() + 1));
      out.grids.push_back({pre->grid_t, pre->grid_h, pre->grid_w});
      out.pixel_values.insert(out.pixel_values.end(), pre->pixel_values.begin(), pre->pixel_values.end());
      cm.content.push_back(ChatContent::Image(pre->num_merged_tokens()));
      image_tokens += pre->num_merged_tokens();
    }
    chat.push_back(std::move(cm));
  }
  CORGI_ASSIGN_OR_RETURN(out.tokens, ApplyChatTemplate(model.tokenizer(), chat));

  const int32_t image_id = static_cast<int32_t>(model.config().image_token_id);
  for (size_t i = 0; i < out.tokens.size(); ++i)
    if (out.tokens[i] == image_id) out.visual_rows.push_back(static_cast<int64_t>(i));
  if (static_cast<int64_t>(out.visual_rows.size()) != image_tokens) {
    return InvalidArgumentError("the prompt holds " + std::to_string(out.visual_rows.size()) +
                                " <|image_pad|> tokens but its images need " + std::to_string(image_tokens) +
                                " (is '<|image_pad|>' typed into the text?)");
  }
  StatusOr<qwen3vl::TextPositions> pos =
      qwen3vl::ComputeTextPositions(out.tokens, image_id, out.grids, model.config().vision.spatial_merge_size);
  if (!pos.ok()) return pos.status().WithContext("image placeholders");
  out.positions = std::move(*pos);
  return out;
}

}  // namespace corgi
