// POST /v1/chat/completions — OpenAI's chat-completions protocol over the engine
// (docs/SERVER.md): text and data-URL image parts, sampling, stop strings, max tokens,
// response_format json_schema / json_object through constrained decoding, usage, and
// streaming as OpenAI's SSE chunks ending "data: [DONE]".
#include <httplib.h>

#include <chrono>

#include "apps/server/chat_request.h"
#include "apps/server/server.h"
#include "corgi/tokenizer/utf8.h"

namespace corgi::server {
namespace {

using nlohmann::json;

const char* FinishName(FinishReason reason) { return reason == FinishReason::kLength ? "length" : "stop"; }

json Usage(const Completion& c) {
  int64_t completion = static_cast<int64_t>(c.tokens.size());
  return {{"prompt_tokens", c.timings.prompt_tokens},
          {"completion_tokens", completion},
          {"total_tokens", c.timings.prompt_tokens + completion}};
}

// Text safe to stream so far: what cannot still turn into (the start of) a stop string,
// which the engine cuts from the final text.
size_t SafeToStream(const std::string& text, const std::vector<std::string>& stops) {
  size_t safe = Utf8CompletePrefixLength(text);
  for (const std::string& s : stops) {
    for (size_t keep = std::min(s.size() - 1, text.size()); keep > 0; --keep) {
      if (text.compare(text.size() - keep, keep, s, 0, keep) == 0) {
        safe = std::min(safe, text.size() - keep);
        break;
      }
    }
  }
  return safe;
}

}  // namespace

void Server::HandleChat(const httplib::Request& req, httplib::Response& res) {
  service::QueryService* service = this->service();
  json body;
  if (auto e = ParseJsonObject(req.body, options_.limits, &body)) return Reply(res, *e);
  Engine* engine = service ? service->engine() : nullptr;
  auto chat = std::make_shared<ChatRequest>();
  if (auto e = ParseChatRequest(body, options_.limits, engine ? engine->options().max_context : options_.limits.max_tokens, chat.get()))
    return Reply(res, *e);
  if (service == nullptr) {
    ApiError e;
    e.status = 503;
    e.type = "server_error";
    e.code = "model_loading";
    e.message = load_error() ? "the model failed to load" : "the model is still loading";
    return Reply(res, e);
  }
  if (engine == nullptr) {
    ApiError e = BadRequest("this server replays recorded CoRGI runs and has no model for chat", "no_model");
    e.status = 501;
    return Reply(res, e);
  }
  const std::string id = "chatcmpl-" + RandomHexId().substr(0, 24);
  const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string model = model_id();
  auto job = std::make_shared<Job>();
  chat->engine.cancel = job->cancel;
  auto chunk = [id, created, model](json delta, json finish) {
    json c = {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model},
              {"system_fingerprint", nullptr},
              {"choices", {{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}, {"finish_reason", std::move(finish)}}}}};
    return "data: " + c.dump() + "\n\n";
  };
  job->run = [this, chat, engine, id, created, model, chunk](Job* job) {
    if (job->cancel.cancelled()) {
      ApiError e = CancelledError(job->reason());
      return job->channel.Finish(e.status, e.Body());
    }
    // Streaming: pieces go out as they are safe (never part of a stop string).
    auto streamed = std::make_shared<std::string>();  // text sent so far
    auto pending = std::make_shared<std::string>();   // text received, not yet sent
    // The role chunk goes with the first token, so a request the engine refuses (a bad
    // schema, a prompt beyond the context) is still answered with a plain JSON error.
    auto started = std::make_shared<bool>(false);
    const std::string role_chunk = chunk({{"role", "assistant"}, {"content", ""}}, nullptr);
    if (chat->stream) {
      chat->engine.on_token = [job, stops = chat->engine.stop, streamed, pending, chunk, started,
                               role_chunk](int32_t, const std::string& piece) {
        if (!*started) {
          *started = true;
          job->channel.Push(role_chunk);
        }
        *pending += piece;
        size_t safe = SafeToStream(*pending, stops);
        if (safe > 0) {
          job->channel.Push(chunk({{"content", pending->substr(0, safe)}}, nullptr));
          *streamed += pending->substr(0, safe);
          pending->erase(0, safe);
        }
        return true;  // cancellation goes through the CancelToken (frees the KV pages)
      };
    }
    std::shared_ptr<PendingCompletion> pending_completion = engine->Submit(chat->engine);
    StatusOr<Completion> c = pending_completion->Wait();
    if (!c.ok()) {
      ApiError e = c.status().code() == StatusCode::kCancelled || job->reason() != CancelReason::kNone
                       ? CancelledError(job->reason())
                       : FromStatus(c.status());
      return job->channel.Finish(e.status, e.Body());
    }
    metrics_.AddTimings(c->timings);
    if (!chat->stream) {
      json message = {{"role", "assistant"}, {"content", c->text}};
      json response = {{"id", id}, {"object", "chat.completion"}, {"created", created}, {"model", model},
                       {"system_fingerprint", nullptr},
                       {"choices", {{{"index", 0}, {"message", message}, {"logprobs", nullptr}, {"finish_reason", FinishName(c->finish)}}}},
                       {"usage", Usage(*c)}};
      return job->channel.Finish(200, response.dump());
    }
    std::string tail = *started ? "" : role_chunk;
    // The engine's final text is the truth (stop strings cut): send what is left of it.
    if (c->text.size() > streamed->size() && c->text.compare(0, streamed->size(), *streamed) == 0)
      tail += chunk({{"content", c->text.substr(streamed->size())}}, nullptr);
    tail += chunk(json::object(), FinishName(c->finish));
    if (chat->include_usage) {
      json u = {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model},
                {"system_fingerprint", nullptr}, {"choices", json::array()}, {"usage", Usage(*c)}};
      tail += "data: " + u.dump() + "\n\n";
    }
    tail += "data: [DONE]\n\n";
    job->channel.Finish(200, tail);
  };
  if (!Enqueue(job, res)) return;
  if (!chat->stream) return AwaitAndReply(job, res);
  StreamReply(job, res, [](int, const std::string& body) {
    return "data: " + body + "\n\ndata: [DONE]\n\n";
  });
}

}  // namespace corgi::server
