#include "pipeline/remote/openai_chat.h"

#include <nlohmann/json.hpp>

#include "pipeline/remote/constraint_grammar.h"

namespace corgi::pipeline::remote {
namespace {

using Json = nlohmann::ordered_json;

std::string Snippet(std::string_view text) {
  constexpr size_t kMax = 200;
  std::string s(text.substr(0, kMax));
  if (text.size() > kMax) s += "…";
  return s;
}

FinishReason FinishFrom(const Json& reason) {
  if (reason.is_string() && reason.get<std::string>() == "length") return FinishReason::kLength;
  if (reason.is_string() && reason.get<std::string>() == "stop") return FinishReason::kEos;
  return FinishReason::kStop;  // content_filter, tool_calls, ...: ended by the server
}

void ReadUsage(const Json& usage, Completion* c) {
  if (!usage.is_object()) return;
  if (usage.contains("prompt_tokens") && usage["prompt_tokens"].is_number_integer())
    c->timings.prompt_tokens = usage["prompt_tokens"].get<int64_t>();
  if (usage.contains("completion_tokens") && usage["completion_tokens"].is_number_integer())
    c->timings.generated_tokens = usage["completion_tokens"].get<int64_t>();
}

// The server's {"error": {"message": ...}} (or {"error": "..."}) as a Status.
std::optional<Status> ServerError(const Json& reply) {
  if (!reply.is_object() || !reply.contains("error")) return std::nullopt;
  const Json& e = reply["error"];
  std::string message = e.is_string() ? e.get<std::string>()
                        : e.is_object() && e.contains("message") && e["message"].is_string()
                            ? e["message"].get<std::string>()
                            : e.dump();
  return InvalidArgumentError("the server answered with an error: " + Snippet(message));
}

Json SchemaFormat(const std::string& name, const Json& schema) {
  return Json{{"type", "json_schema"}, {"json_schema", {{"name", name}, {"schema", schema}}}};
}

}  // namespace

StatusOr<ReasoningFormat> ResolveReasoningFormat(const std::string& dialect, const std::string& configured) {
  if (configured == "native") return ReasoningFormat::kNative;
  if (configured == "grammar") return ReasoningFormat::kGrammar;
  if (configured == "json") return ReasoningFormat::kJson;
  if (configured == "free") return ReasoningFormat::kFree;
  if (!configured.empty()) return InvalidArgumentError("unknown reasoning_format '" + configured + "'");
  if (dialect == "corgi") return ReasoningFormat::kNative;
  if (dialect == "vllm" || dialect == "sglang" || dialect == "llama-server") return ReasoningFormat::kGrammar;
  if (dialect == "openai") return ReasoningFormat::kJson;
  return InvalidArgumentError("unknown dialect '" + dialect + "'");
}

const char* ReasoningFormatName(ReasoningFormat format) {
  switch (format) {
    case ReasoningFormat::kNative: return "native";
    case ReasoningFormat::kGrammar: return "grammar";
    case ReasoningFormat::kJson: return "json";
    case ReasoningFormat::kFree: return "free";
  }
  return "?";
}

StatusOr<std::string> BuildChatBody(const Request& request, const std::vector<std::string>& image_urls,
                                    const ChatBodyOptions& options) {
  const Constraint& c = request.constraint;
  const bool tagged = !c.free_text_until.empty();  // free text first: the reasoning call's shape
  Json messages = Json::array();
  size_t image = 0;
  for (size_t m = 0; m < request.messages.size(); ++m) {
    const Message& message = request.messages[m];
    Json content = Json::array();
    for (const ContentPart& part : message.content) {
      if (part.kind == ContentPart::Kind::kImage) {
        if (image >= image_urls.size()) return InternalError("BuildChatBody: an image without its URL");
        content.push_back({{"type", "image_url"}, {"image_url", {{"url", image_urls[image++]}}}});
      } else {
        content.push_back({{"type", "text"}, {"text", part.text}});
      }
    }
    // The JSON-only variant asks for the object in words too (the last user message).
    if (tagged && options.reasoning == ReasoningFormat::kJson && m + 1 == request.messages.size())
      content.push_back({{"type", "text"}, {"text", JsonReasoningInstruction(c)}});
    messages.push_back({{"role", message.role}, {"content", content}});
  }
  Json body = {{"model", options.model}, {"messages", messages}, {"max_tokens", request.max_tokens}};
  const SamplingParams& s = request.sampling;
  body["temperature"] = s.greedy() ? 0.0 : s.temperature;
  if (!s.greedy()) {
    body["top_p"] = s.top_p;
    if (s.top_k > 0) body["top_k"] = s.top_k;  // vLLM, SGLang, llama-server and corgi take it
  }
  body["seed"] = s.seed;
  if (!request.stop.empty()) body["stop"] = request.stop;
  if (options.stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  if (c.empty()) return body.dump();
  Json schema;
  if (!c.json_schema.empty()) {
    schema = Json::parse(c.json_schema, nullptr, /*allow_exceptions=*/false);
    if (schema.is_discarded()) return InvalidArgumentError("the call's JSON schema is not valid JSON");
  }
  if (options.reasoning == ReasoningFormat::kNative) {
    // corgi serve takes the Constraint as it is, the schema as text (property order kept).
    Json ext = {{"free_text_until", c.free_text_until}, {"prefix", c.prefix}, {"suffix", c.suffix}};
    if (!c.json_schema.empty()) ext["json_schema"] = c.json_schema;
    body["corgi_constraint"] = ext;
    return body.dump();
  }
  if (!tagged && c.prefix.empty() && c.suffix.empty()) {
    body["response_format"] = SchemaFormat("corgi_output", schema);  // grounding, synthesis
    return body.dump();
  }
  switch (options.reasoning) {
    case ReasoningFormat::kNative:  // handled above
    case ReasoningFormat::kGrammar: {
      CORGI_ASSIGN_OR_RETURN(std::string gbnf, ConstraintToGbnf(c));
      if (options.dialect == "vllm") {
        body["structured_outputs"] = {{"grammar", gbnf}};
      } else if (options.dialect == "sglang") {
        body["ebnf"] = gbnf;
      } else {
        body["grammar"] = gbnf;  // llama-server (and what others that take GBNF call it)
      }
      break;
    }
    case ReasoningFormat::kJson:
      body["response_format"] =
          SchemaFormat("corgi_reasoning", Json::parse(JsonReasoningSchema(c)));
      break;
    case ReasoningFormat::kFree:
      break;
  }
  return body.dump();
}

StatusOr<Completion> ParseChatReply(std::string_view body) {
  Json reply = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded())
    return DataLossError("the reply is not JSON (cut off?): " + Snippet(body));
  if (std::optional<Status> error = ServerError(reply)) return *error;
  if (!reply.is_object() || !reply.contains("choices") || !reply["choices"].is_array() ||
      reply["choices"].empty() || !reply["choices"][0].is_object())
    return DataLossError("the reply has no choices: " + Snippet(body));
  const Json& choice = reply["choices"][0];
  Completion c;
  if (choice.contains("message") && choice["message"].is_object()) {
    const Json& content = choice["message"].value("content", Json());
    if (content.is_string()) c.text = content.get<std::string>();
  } else if (choice.contains("text") && choice["text"].is_string()) {
    c.text = choice["text"].get<std::string>();
  }
  c.finish = FinishFrom(choice.value("finish_reason", Json()));
  if (reply.contains("usage")) ReadUsage(reply["usage"], &c);
  return c;
}

bool ChatStreamParser::Feed(std::string_view bytes) {
  if (stopped_) return false;
  pending_.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(pending_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!HandleLine(line)) {
      stopped_ = true;
      break;
    }
  }
  pending_.erase(0, start);
  return !stopped_;
}

bool ChatStreamParser::HandleLine(std::string_view line) {
  if (line.rfind("data:", 0) != 0) return true;  // comments, event names, blank separators
  line.remove_prefix(5);
  if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  if (line == "[DONE]") {
    done_ = true;
    return true;
  }
  Json chunk = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (chunk.is_discarded()) {
    status_ = DataLossError("a stream chunk is not JSON: " + Snippet(line));
    return false;
  }
  if (std::optional<Status> error = ServerError(chunk)) {
    status_ = *error;
    return false;
  }
  if (chunk.contains("usage")) ReadUsage(chunk["usage"], &completion_);
  if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) return true;
  const Json& choice = chunk["choices"][0];
  if (!choice.is_object()) return true;
  if (choice.contains("delta") && choice["delta"].is_object()) {
    const Json& content = choice["delta"].value("content", Json());
    if (content.is_string() && !content.get_ref<const std::string&>().empty()) {
      const std::string& piece = content.get_ref<const std::string&>();
      completion_.text += piece;
      if (on_text_ && !on_text_(piece)) {
        completion_.finish = FinishReason::kStop;
        finished_ = true;
        return false;
      }
    }
  }
  if (choice.contains("finish_reason") && !choice["finish_reason"].is_null()) {
    completion_.finish = FinishFrom(choice["finish_reason"]);
    finished_ = true;
  }
  return true;
}

StatusOr<Completion> ChatStreamParser::Finish() {
  if (!pending_.empty() && !stopped_) HandleLine(pending_);
  if (!status_.ok()) return status_;
  if (!done_ && !finished_) return DataLossError("the stream ended before its last event (cut off)");
  return completion_;
}

std::string JsonReasoningSchema(const Constraint& reasoning) {
  Json inner = Json::parse(reasoning.json_schema.empty() ? "{}" : reasoning.json_schema, nullptr, false);
  Json thinking = {{"type", "string"}, {"maxLength", 2000}};
  Json props = {{"thinking", thinking}};
  Json required = Json::array({"thinking"});
  if (inner.is_object() && inner.value("type", Json()) == "object" && inner.contains("properties") &&
      inner["properties"].is_object()) {
    for (const auto& [k, v] : inner["properties"].items()) props[k] = v;
    if (inner.contains("required") && inner["required"].is_array())
      for (const Json& r : inner["required"]) required.push_back(r);
  } else {
    props["result"] = inner.is_discarded() ? Json::object() : inner;
    required.push_back("result");
  }
  return Json{{"type", "object"}, {"properties", props}, {"required", required}, {"additionalProperties", false}}
      .dump();
}

std::string JsonReasoningInstruction(const Constraint& reasoning) {
  return "\nFormat: reply with one JSON object only, no tags: {\"thinking\": \"<your brief "
         "reasoning>\", ...} with the rest of the fields exactly as specified above "
         "(instead of writing " + reasoning.free_text_until + " and the tagged section).";
}

std::string JsonReasoningToTagged(const std::string& reply, const Constraint& reasoning) {
  Json object = Json::parse(reply, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object() || !object.contains("thinking") || !object["thinking"].is_string()) return reply;
  std::string thinking = object["thinking"].get<std::string>();
  object.erase("thinking");
  Json rest = object.contains("result") && object.size() == 1 ? object["result"] : object;
  return thinking + reasoning.free_text_until + reasoning.prefix + rest.dump() + reasoning.suffix;
}

}  // namespace corgi::pipeline::remote
