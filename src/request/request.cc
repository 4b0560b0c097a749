#include "corgi/request/request.h"

namespace corgi {

ContentPart ContentPart::Text(std::string text) {
  ContentPart p;
  p.kind = Kind::kText;
  p.text = std::move(text);
  return p;
}
ContentPart ContentPart::Image(RgbImage image) {
  ContentPart p;
  p.kind = Kind::kImage;
  p.image = std::make_shared<const RgbImage>(std::move(image));
  return p;
}
Message Message::System(std::string text) { return Message{"system", {ContentPart::Text(std::move(text))}}; }
Message Message::User(std::vector<ContentPart> content) { return Message{"user", std::move(content)}; }
Message Message::Assistant(std::string text) { return Message{"assistant", {ContentPart::Text(std::move(text))}}; }

const char* FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kEos: return "eos";
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
  }
  return "?";
}

}  // namespace corgi
