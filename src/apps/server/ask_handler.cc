// POST /v1/corgi/ask — one CoRGI query (docs/SERVER.md): a JSON body or multipart form
// with the image, the question and per-query settings; answered with results.json plus
// the run's id, or streamed as the pipeline's events (docs/RESULTS.md) ending with
// `event: result`. The run's files are kept under /v1/corgi/runs/{id}/.
#include <httplib.h>

#include "apps/server/ask_request.h"
#include "apps/server/server.h"
#include "corgi/pipeline/results_json.h"

namespace corgi::server {
namespace {

using nlohmann::json;

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
    if (auto e = ParseAskForm(req.files, options_.limits, service->config(), ask.get())) return Reply(res, *e);
  } else {
    json body;
    if (auto e = ParseJsonObject(req.body, options_.limits, &body)) return Reply(res, *e);
    if (auto e = ParseAskJson(body, options_.limits, service->config(), ask.get())) return Reply(res, *e);
  }
  if (!ask->image) return Reply(res, BadRequest("'image' is required", "missing_required_parameter", "image"));
  if (auto e = CheckAskQuestion(ask->question, options_.limits)) return Reply(res, *e);

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
