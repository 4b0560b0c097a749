#include "corgi/engine/prompt.h"

#include "corgi/engine.h"
#include "engine/vision_cache.h"

namespace corgi {

StatusOr<PreparedPrompt> PreparePrompt(const LoadedModel& model, const std::vector<Message>& messages,
                                       const VisionPreprocessParams& params, ThreadPool* pool,
                                       bool with_pixels) {
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
      const std::string which = "image " + std::to_string(out.grids.size() + 1);
      StatusOr<PreprocessPlan> plan = PlanPreprocess(*part.image, params);
      if (!plan.ok()) return plan.status().WithContext(which);
      out.grids.push_back({1, plan->grid_h, plan->grid_w});
      PromptImage image;
      image.rgb = part.image;
      image.key = ImageCacheKey(*part.image, params, model.identity());
      image.tokens = plan->merged_tokens;
      out.images.push_back(std::move(image));
      if (with_pixels) {
        StatusOr<std::vector<float>> pixels = PreprocessPromptImage(out, out.images.size() - 1, params, pool);
        if (!pixels.ok()) return pixels.status().WithContext(which);
        out.pixel_values.insert(out.pixel_values.end(), pixels->begin(), pixels->end());
      }
      cm.content.push_back(ChatContent::Image(plan->merged_tokens));
      image_tokens += plan->merged_tokens;
    }
    chat.push_back(std::move(cm));
  }
  CORGI_ASSIGN_OR_RETURN(out.tokens, model.RenderChat(chat));

  const int32_t image_id = model.image_token_id();
  for (size_t i = 0; i < out.tokens.size(); ++i)
    if (out.tokens[i] == image_id) out.visual_rows.push_back(static_cast<int64_t>(i));
  if (static_cast<int64_t>(out.visual_rows.size()) != image_tokens) {
    return InvalidArgumentError("the prompt holds " + std::to_string(out.visual_rows.size()) +
                                " <|image_pad|> tokens but its images need " + std::to_string(image_tokens) +
                                " (is '<|image_pad|>' typed into the text?)");
  }
  for (size_t i = 0, row = 0; i < out.images.size(); row += out.images[i].tokens, ++i)
    out.images[i].first_row = out.visual_rows[row];
  StatusOr<TextPositions> pos = model.ComputePositions(out.tokens, out.grids);
  if (!pos.ok()) return pos.status().WithContext("image placeholders");
  out.positions = std::move(*pos);
  return out;
}

StatusOr<std::vector<float>> PreprocessPromptImage(const PreparedPrompt& prompt, size_t image,
                                                   const VisionPreprocessParams& params, ThreadPool* pool) {
  const PromptImage& img = prompt.images.at(image);
  CORGI_ASSIGN_OR_RETURN(PreprocessedImage pre, PreprocessImage(*img.rgb, params, pool));
  const ImageGrid& grid = prompt.grids.at(image);
  if (pre.grid_t != grid.t || pre.grid_h != grid.h || pre.grid_w != grid.w) {
    return InternalError("preprocessing produced a different grid than planned");
  }
  return std::move(pre.pixel_values);
}

}  // namespace corgi
