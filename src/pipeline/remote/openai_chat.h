// The OpenAI chat-completions wire format as corgi's remote Vlm speaks it: a Request to a
// JSON body (images as data: URLs; the constraint per the server's dialect), and a reply
// — whole or as server-sent events — back to a Completion. docs/REMOTE.md "Dialects".
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/request/request.h"

namespace corgi::pipeline::remote {

// How the reasoning call's format (free text, then tagged steps JSON) is asked for.
enum class ReasoningFormat {
  kNative,   // corgi serve: the Constraint itself as the `corgi_constraint` extension
  kGrammar,  // a GBNF grammar (llama-server `grammar`, vLLM `structured_outputs`, SGLang `ebnf`)
  kJson,     // a JSON-only variant of the prompt ({"thinking", "steps"}) under json_schema
  kFree,     // no constraint: the parsers repair what comes back
};

// The dialect's default format: corgi → native; vllm, sglang, llama-server → grammar;
// openai → json. `configured` ("" | native | grammar | json | free) overrides it.
StatusOr<ReasoningFormat> ResolveReasoningFormat(const std::string& dialect, const std::string& configured);
const char* ReasoningFormatName(ReasoningFormat format);

struct ChatBodyOptions {
  std::string model;    // the server's model name
  std::string dialect;  // openai | corgi | vllm | sglang | llama-server
  ReasoningFormat reasoning = ReasoningFormat::kJson;
  bool stream = false;
};

// The request body. `image_urls` holds one data: URL per image part of `request`, in order.
// InvalidArgument when a constraint cannot be expressed (a schema that is not JSON).
StatusOr<std::string> BuildChatBody(const Request& request, const std::vector<std::string>& image_urls,
                                    const ChatBodyOptions& options);

// A whole (non-streamed) reply. DataLoss when it is not a chat completion (cut off,
// not JSON, no choices); the server's own error object becomes InvalidArgument.
StatusOr<Completion> ParseChatReply(std::string_view body);

// Server-sent events of a streamed reply, fed as they arrive.
class ChatStreamParser {
 public:
  // Called with each piece of content text; return false to stop (finish kStop).
  using OnText = std::function<bool(const std::string& piece)>;
  explicit ChatStreamParser(OnText on_text) : on_text_(std::move(on_text)) {}

  // Consumes bytes; false when the consumer asked to stop. An error event or a malformed
  // chunk is remembered in status().
  bool Feed(std::string_view bytes);
  // After the transfer: the completion, or DataLoss when the stream ended before
  // `data: [DONE]` (or a finish reason) — a cut-off stream.
  StatusOr<Completion> Finish();

 private:
  bool HandleLine(std::string_view line);
  OnText on_text_;
  std::string pending_;  // an incomplete line
  Completion completion_;
  bool done_ = false, finished_ = false, stopped_ = false;
  Status status_ = Status::Ok();
};

// The JSON-only reasoning variant (kJson): the schema asked for instead of the tagged
// format, the instruction appended to the prompt, and the reply turned back into the
// tagged text the pipeline parses (free text + free_text_until + prefix + JSON + suffix).
std::string JsonReasoningSchema(const Constraint& reasoning);
std::string JsonReasoningInstruction(const Constraint& reasoning);
// A reply that is not the expected object comes back unchanged (the parsers repair it).
std::string JsonReasoningToTagged(const std::string& reply, const Constraint& reasoning);

}  // namespace corgi::pipeline::remote
