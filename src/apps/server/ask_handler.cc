// POST /v1/corgi/ask — one CoRGI query (docs/SERVER.md): a JSON body or multipart form
// with the image, the question and per-query settings; answered with results.json plus
// the run's id, or streamed as the pipeline's events (docs/RESULTS.md) ending with
// `event: result`. The run's files are kept under /v1/corgi/runs/{id}/.
#include <httplib.h>

#include <set>

#include "apps/server/server.h"
#include "corgi/pipeline/results_json.h"
#include "corgi/tokenizer/utf8.h"

namespace corgi::server {
namespace {

using nlohmann::json;

struct AskRequest {
  std::optional<RgbImage> image;
  std::string image_name = "upload";
  std::string question;
  bool stream = false;
  std::optional<pipeline::PipelineConfig> config;
};

std::optional<ApiError> CheckQuestion(const std::string& q, const ServerLimits& limits) {
  if (q.empty()) return BadRequest("'question' must not be empty", "invalid_value", "question");
  if (static_cast<int64_t>(q.size()) > limits.max_question_bytes)
    return BadRequest("'question' exceeds " + std::to_string(limits.max_question_bytes) + " bytes",
                      "question_too_long", "question");
  if (!IsValidUtf8(q)) return BadRequest("'question' is not valid UTF-8", "invalid_utf8", "question");
  return std::nullopt;
}

std::optional<ApiError> ApplySettings(const json& settings, const pipeline::PipelineConfig& base,
                                      AskRequest* out) {
  if (!settings.is_object())
    return BadRequest("'settings' must be an object, got " + JsonTypeName(settings), "invalid_type", "settings");
  StatusOr<pipeline::PipelineConfig> c = pipeline::ApplyQuerySettings(base, settings.dump());
  if (!c.ok()) return BadRequest(c.status().message(), "invalid_settings", "settings");
  out->config = std::move(*c);
  return std::nullopt;
}

std::optional<ApiError> ParseJsonAsk(const json& body, const ServerLimits& limits,
                                     const pipeline::PipelineConfig& base, AskRequest* out) {
  const json* settings = nullptr;
  for (const auto& [key, v] : body.items()) {
    if (key == "image") {
      if (!v.is_string()) return BadRequest("'image' must be a string (a data URL or base64)", "invalid_type", key);
      std::string code;
      StatusOr<RgbImage> image = DecodeImageReference(v.get_ref<const std::string&>(), true, limits, &code);
      if (!image.ok()) return BadRequest(image.status().message(), code, key);
      out->image = std::move(*image);
    } else if (key == "question") {
      if (!v.is_string()) return BadRequest("'question' must be a string, got " + JsonTypeName(v), "invalid_type", key);
      out->question = v.get<std::string>();
    } else if (key == "stream") {
      if (!v.is_boolean()) return BadRequest("'stream' must be a boolean, got " + JsonTypeName(v), "invalid_type", key);
      out->stream = v.get<bool>();
    } else if (key == "settings") {
      settings = &v;
    } else {
      return BadRequest("unknown field '" + key.substr(0, 64) + "' (image, question, stream, settings)",
                        "unknown_parameter", key.substr(0, 64));
    }
  }
  if (settings != nullptr && !settings->is_null())
    if (auto e = ApplySettings(*settings, base, out)) return e;
  return std::nullopt;
}

std::optional<ApiError> ParseMultipartAsk(const httplib::Request& req, const ServerLimits& limits,
                                          const pipeline::PipelineConfig& base, AskRequest* out) {
  std::set<std::string> seen;
  for (const auto& [name, field] : req.files) {
    if (!seen.insert(name).second)
      return BadRequest("form field '" + name.substr(0, 64) + "' given twice", "invalid_value", name.substr(0, 64));
    if (name == "image") {
      StatusOr<RgbImage> image = DecodeImageBytes(field.content, limits);
      if (!image.ok())
        return BadRequest(image.status().message(),
                          image.status().code() == StatusCode::kOutOfRange ? "image_too_large" : "invalid_image", name);
      out->image = std::move(*image);
      std::string file = field.filename.substr(field.filename.find_last_of("/\\") + 1);
      if (!file.empty() && file.size() <= 128 && IsValidUtf8(file)) out->image_name = file;
    } else if (name == "question") {
      out->question = field.content;
    } else if (name == "stream") {
      if (field.content != "true" && field.content != "false")
        return BadRequest("form field 'stream' must be true or false", "invalid_value", name);
      out->stream = field.content == "true";
    } else if (name == "settings") {
      json settings;
      if (auto e = ParseJsonObject(field.content, limits, &settings)) {
        e->param = "settings";
        return e;
      }
      if (auto e = ApplySettings(settings, base, out)) return e;
    } else {
      return BadRequest("unknown form field '" + name.substr(0, 64) + "' (image, question, stream, settings)",
                        "unknown_parameter", name.substr(0, 64));
    }
  }
  return std::nullopt;
}

std::string SseEvent(const std::string& type, const std::string& data) {
  return "event: " + type + "\ndata: " + data + "\n\n";
}

}  // namespace

void Server::HandleAsk(const httplib::Request& req, httplib::Response& res) {
  service::QueryService* service = this->service();
  if (service == nullptr) {
    ApiError e;
    e.status = 503;
    e.type = "server_error";
    e.code = load_error() ? "model_load_failed" : "model_loading";
    e.message = load_error() ? "the model failed to load" : "the model is still loading";
    return Reply(res, e);
  }
  auto ask = std::make_shared<AskRequest>();
  if (req.is_multipart_form_data()) {
    if (auto e = ParseMultipartAsk(req, options_.limits, service->config(), ask.get())) return Reply(res, *e);
  } else {
    json body;
    if (auto e = ParseJsonObject(req.body, options_.limits, &body)) return Reply(res, *e);
    if (auto e = ParseJsonAsk(body, options_.limits, service->config(), ask.get())) return Reply(res, *e);
  }
  if (!ask->image) return Reply(res, BadRequest("'image' is required", "missing_required_parameter", "image"));
  if (auto e = CheckQuestion(ask->question, options_.limits)) return Reply(res, *e);

  auto job = std::make_shared<Job>();
  job->run = [this, service, ask](Job* job) {
    if (job->cancel.cancelled()) {
      ApiError e = CancelledError(job->reason());
      return job->channel.Finish(e.status, e.Body());
    }
    pipeline::EventSink sink = [job](const pipeline::Event& e) { job->channel.Push(SseEvent(e.type, e.json)); };
    service::QueryInput input;
    input.image_path = ask->image_name;
    input.image = std::move(ask->image);
    input.question = ask->question;
    input.config = ask->config ? &*ask->config : nullptr;
    input.events = ask->stream ? &sink : nullptr;
    input.cancel = job->cancel;
    service::QueryOutcome outcome = service->Run(input);
    if (outcome.failure) {
      ApiError e;
      if (job->reason() != CancelReason::kNone) {
        e = CancelledError(job->reason());
      } else if (outcome.failure_status) {
        e = FromStatus(*outcome.failure_status);
        e.message = *outcome.failure;
      } else {
        e = FromStatus(InternalError(*outcome.failure));
      }
      return job->channel.Finish(e.status, e.Body());
    }
    json id = nullptr;
    StatusOr<std::pair<std::string, std::string>> run = runs_->NewRun();
    if (run.ok()) {
      Status written = service->WriteOutputs(outcome, run->second);
      if (written.ok()) {
        runs_->Commit(run->first);
        id = run->first;
      } else {
        runs_->Discard(run->first);
      }
    }
    nlohmann::ordered_json doc = nlohmann::ordered_json::parse(pipeline::ResultToJson(outcome.result, -1));
    nlohmann::ordered_json out = {{"id", id}};
    for (auto& [k, v] : doc.items()) out[k] = v;
    job->channel.Finish(200, ask->stream ? SseEvent("result", out.dump()) : out.dump());
  };
  if (!Enqueue(job, res)) return;
  if (!ask->stream) return AwaitAndReply(job, res);
  StreamReply(job, res, [](int, const std::string& body) { return SseEvent("error", body); });
}

}  // namespace corgi::server
