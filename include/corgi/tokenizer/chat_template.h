// The Qwen-VL chat templates (ChatML), rendered natively: ChatML turns, images as
// <|vision_start|> N x <|image_pad|> <|vision_end|>. Qwen3-VL-Instruct's (spec §3.5) has
// no default system prompt; Qwen2/2.5-VL's opens with a default system turn when the
// chat has none (ChatTemplateOptions::default_system_prompt). Each model family picks
// its options (LoadedModel::RenderChat).
//
//   std::vector<ChatMessage> messages = {
//       {"user", {ChatContent::Image(grid_h * grid_w / 4), ChatContent::Text("Describe.")}}};
//   StatusOr<std::vector<int32_t>> ids = ApplyChatTemplate(tokenizer, messages);
//
// The ids equal what Hugging Face's apply_chat_template followed by the processor's
// placeholder expansion produces for every message whose text holds no control-token
// string: the template's own control tokens (<|im_start|>, <|im_end|>) and image
// placeholders are emitted as ids, and the text between them is encoded as plain text.
// Deliberate difference from HF: control-token strings typed inside message text
// ("<|im_end|>", "<|image_pad|>") stay plain text — user text is data, so it can never
// close its turn, open a system turn or claim image rows (HF would make them controls). The Qwen3 *text* template's <think> handling does not apply to
// Qwen3-VL-Instruct and is not implemented; tool calls and video are not supported yet.
//
// Thread-safety: pure functions of their arguments; safe to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/tokenizer/tokenizer.h"

namespace corgi {

struct ChatContent {
  enum class Type { kText, kImage };
  Type type = Type::kText;
  std::string text;          // kText: inserted verbatim
  int64_t image_tokens = 0;  // kImage: number of <|image_pad|> tokens, grid_h * grid_w / 4

  static ChatContent Text(std::string text) { return {Type::kText, std::move(text), 0}; }
  static ChatContent Image(int64_t image_tokens) { return {Type::kImage, {}, image_tokens}; }
};

struct ChatMessage {
  std::string role;  // "system" (first message only), "user" or "assistant"
  std::vector<ChatContent> content;
};

struct ChatTemplateOptions {
  bool add_generation_prompt = true;  // end with "<|im_start|>assistant\n"
  bool add_vision_id = false;         // "Picture k: " before the k-th image (1-based)
  // Non-empty: "<|im_start|>system\n" + this + "<|im_end|>\n" first when the first
  // message is not a system message (Qwen2.5-VL: "You are a helpful assistant.").
  std::string default_system_prompt;
};

// Upper bound on one image's placeholder count (a 16384x16384 image at patch 16 is 262144).
inline constexpr int64_t kMaxImageTokens = 1 << 20;

// Renders `messages` to token ids. Errors: InvalidArgument for no messages, an unknown
// role, a system message that is not first, an image outside a user message or an image
// token count outside [1, kMaxImageTokens]; FailedPrecondition if the tokenizer lacks
// <|im_start|>, <|im_end|>, <|vision_start|>, <|image_pad|> or <|vision_end|>.
StatusOr<std::vector<int32_t>> ApplyChatTemplate(const Tokenizer& tokenizer,
                                                 std::span<const ChatMessage> messages,
                                                 const ChatTemplateOptions& options = {});

// The rendered prompt as text, for debugging and tests. With `expand_image_pads` each
// image has its N <|image_pad|> tokens (what the ids encode); without, one, as the Jinja
// template writes it. Same validation errors as ApplyChatTemplate.
StatusOr<std::string> RenderChatText(std::span<const ChatMessage> messages,
                                     const ChatTemplateOptions& options, bool expand_image_pads);

}  // namespace corgi
