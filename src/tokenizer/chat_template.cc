#include "corgi/tokenizer/chat_template.h"

namespace corgi {
namespace {

constexpr char kImStart[] = "<|im_start|>";
constexpr char kImEnd[] = "<|im_end|>";
constexpr char kVisionStart[] = "<|vision_start|>";
constexpr char kImagePad[] = "<|image_pad|>";
constexpr char kVisionEnd[] = "<|vision_end|>";

// The rendered prompt as runs: plain text, one control token of the template itself, or
// one image's placeholder block. Message text is always a plain run: a "<|im_end|>" typed
// by a user stays text and cannot close its turn (user text is data). Splitting at the
// template's control tokens is what HF's added-token matching does too, so prompts
// without control-token strings in their text encode exactly as there.
struct Segment {
  std::string text;
  int64_t image_tokens = 0;  // > 0: an image block, `text` unused
  bool control = false;      // `text` is one control token (kImStart, kImEnd)
};

class Renderer {
 public:
  void Text(std::string_view s) {
    if (segments_.empty() || segments_.back().image_tokens > 0 || segments_.back().control) segments_.push_back({});
    segments_.back().text.append(s);
  }
  void Control(std::string_view token) { segments_.push_back({std::string(token), 0, true}); }
  void Image(int64_t n) { segments_.push_back({std::string(), n}); }
  const std::vector<Segment>& segments() const { return segments_; }

 private:
  std::vector<Segment> segments_;
};

Status Validate(std::span<const ChatMessage> messages) {
  if (messages.empty()) return InvalidArgumentError("chat has no messages");
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    const std::string where = "message " + std::to_string(i) + ": ";
    if (m.role != "system" && m.role != "user" && m.role != "assistant") {
      return InvalidArgumentError(where + "unknown role '" + m.role +
                                  "' (want system, user or assistant)");
    }
    // The Jinja template silently drops a later system message; refuse it instead.
    if (m.role == "system" && i != 0) {
      return InvalidArgumentError(where + "a system message must be the first message");
    }
    for (const ChatContent& c : m.content) {
      if (c.type != ChatContent::Type::kImage) continue;
      // The template renders images only in user turns; elsewhere they would vanish.
      if (m.role != "user")
        return InvalidArgumentError(where + "images are allowed only in user messages");
      if (c.image_tokens < 1 || c.image_tokens > kMaxImageTokens) {
        return InvalidArgumentError(where + "image token count " + std::to_string(c.image_tokens) +
                                    " outside [1, " + std::to_string(kMaxImageTokens) + "]");
      }
    }
  }
  return Status::Ok();
}

// Follows the Qwen3-VL-Instruct chat_template.jinja (no tools) line by line; the default
// system turn is Qwen2.5-VL's chat_template.json.
std::vector<Segment> Render(std::span<const ChatMessage> messages,
                            const ChatTemplateOptions& options) {
  Renderer r;
  int image_count = 0;
  // Qwen2/2.5-VL's template opens with its default system turn when the chat has none.
  if (!options.default_system_prompt.empty() && messages[0].role != "system") {
    r.Control(kImStart);
    r.Text("system\n" + options.default_system_prompt);
    r.Control(kImEnd);
    r.Text("\n");
  }
  for (const ChatMessage& m : messages) {
    r.Control(kImStart);
    r.Text(m.role);
    r.Text("\n");
    for (const ChatContent& c : m.content) {
      if (c.type == ChatContent::Type::kText) {
        r.Text(c.text);
        continue;
      }
      ++image_count;
      if (options.add_vision_id) r.Text("Picture " + std::to_string(image_count) + ": ");
      r.Image(c.image_tokens);
    }
    r.Control(kImEnd);
    r.Text("\n");
  }
  if (options.add_generation_prompt) {
    r.Control(kImStart);
    r.Text("assistant\n");
  }
  return r.segments();
}

}  // namespace

StatusOr<std::vector<int32_t>> ApplyChatTemplate(const Tokenizer& tokenizer,
                                                 std::span<const ChatMessage> messages,
                                                 const ChatTemplateOptions& options) {
  CORGI_RETURN_IF_ERROR(Validate(messages));
  const SpecialTokenIds& s = tokenizer.special_ids();
  if (s.im_start < 0 || s.im_end < 0 || s.vision_start < 0 || s.image_pad < 0 || s.vision_end < 0) {
    return FailedPreconditionError(
        "tokenizer lacks the Qwen-VL control tokens (<|im_start|>, <|im_end|>, "
        "<|vision_start|>, <|image_pad|>, <|vision_end|>)");
  }
  std::vector<int32_t> ids;
  for (const Segment& seg : Render(messages, options)) {
    if (seg.control) {
      ids.push_back(seg.text == kImStart ? s.im_start : s.im_end);
      continue;
    }
    if (seg.image_tokens == 0) {
      tokenizer.EncodeOrdinaryAppend(seg.text, &ids);
      continue;
    }
    ids.push_back(s.vision_start);
    ids.insert(ids.end(), static_cast<size_t>(seg.image_tokens), s.image_pad);
    ids.push_back(s.vision_end);
  }
  return ids;
}

StatusOr<std::string> RenderChatText(std::span<const ChatMessage> messages,
                                     const ChatTemplateOptions& options, bool expand_image_pads) {
  CORGI_RETURN_IF_ERROR(Validate(messages));
  std::string out;
  for (const Segment& seg : Render(messages, options)) {
    if (seg.image_tokens == 0) {
      out += seg.text;
      continue;
    }
    out += kVisionStart;
    const int64_t pads = expand_image_pads ? seg.image_tokens : 1;
    for (int64_t i = 0; i < pads; ++i) out += kImagePad;
    out += kVisionEnd;
  }
  return out;
}

}  // namespace corgi
