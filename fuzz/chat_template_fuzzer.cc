// The chat template with arbitrary messages. Input layout: byte 0 holds the options
// (bit 0 add_generation_prompt, bit 1 add_vision_id); the rest is messages separated by
// 0x1E, each a role byte (system/user/assistant/other by value % 4) then content parts
// separated by 0x1F; a part starting with 0x01 is an image of (next byte + 1) tokens.
//
// Whatever the text holds, the ids must contain exactly the control tokens the template
// itself emits: one <|im_start|> per message (+1 for the generation prompt), one
// <|im_end|> per message, one <|vision_start|> and N <|image_pad|> per image — typed
// control strings stay text (prompt injection, issue 11).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "corgi/core/check.h"
#include "corgi/tokenizer/chat_template.h"
#include "fuzz_tokenizer.h"

namespace {

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.emplace_back(
        s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const corgi::Tokenizer& tok = corgi::fuzz::Qwen3Tokenizer();
  corgi::ChatTemplateOptions options;
  options.add_generation_prompt = (data[0] & 1) != 0;
  options.add_vision_id = (data[0] & 2) != 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

  static const char* kRoles[] = {"system", "user", "assistant", "tool"};
  std::vector<corgi::ChatMessage> messages;
  int64_t images = 0, pads = 0;
  for (const std::string& chunk : Split(rest, '\x1e')) {
    corgi::ChatMessage m;
    m.role = chunk.empty() ? "user" : kRoles[static_cast<uint8_t>(chunk[0]) % 4];
    std::string_view body = chunk.empty() ? std::string_view() : std::string_view(chunk).substr(1);
    for (const std::string& part : Split(body, '\x1f')) {
      if (!part.empty() && part[0] == '\x01') {
        int64_t n = part.size() > 1 ? static_cast<uint8_t>(part[1]) + 1 : 1;
        m.content.push_back(corgi::ChatContent::Image(n));
        ++images;
        pads += n;
      } else {
        m.content.push_back(corgi::ChatContent::Text(part));
      }
    }
    messages.push_back(std::move(m));
  }

  corgi::StatusOr<std::vector<int32_t>> ids = corgi::ApplyChatTemplate(tok, messages, options);
  corgi::StatusOr<std::string> text =
      corgi::RenderChatText(messages, options, /*expand_image_pads=*/false);
  CORGI_CHECK(ids.ok() == text.ok()) << "ApplyChatTemplate and RenderChatText disagree";
  if (!ids.ok()) return 0;

  const corgi::SpecialTokenIds& s = tok.special_ids();
  int64_t im_start = 0, im_end = 0, vision_start = 0, vision_end = 0, image_pad = 0,
          other_special = 0;
  for (int32_t id : *ids) {
    if (id == s.im_start)
      ++im_start;
    else if (id == s.im_end)
      ++im_end;
    else if (id == s.vision_start)
      ++vision_start;
    else if (id == s.vision_end)
      ++vision_end;
    else if (id == s.image_pad)
      ++image_pad;
    else if (tok.IsSpecial(id))
      ++other_special;
  }
  const int64_t n = static_cast<int64_t>(messages.size());
  CORGI_CHECK(im_start == n + (options.add_generation_prompt ? 1 : 0)) << "injected <|im_start|>";
  CORGI_CHECK(im_end == n) << "injected <|im_end|>";
  CORGI_CHECK(vision_start == images && vision_end == images) << "injected vision markers";
  CORGI_CHECK(image_pad == pads) << "injected <|image_pad|>";
  CORGI_CHECK(other_special == 0) << "a special token from message text";
  return 0;
}
