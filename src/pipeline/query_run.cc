#include "pipeline/query_run.h"

#include "corgi/pipeline/replay_vlm.h"
#include "pipeline/prompts.h"

namespace corgi::pipeline {
namespace {

double MsBetween(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

Request MakeRequest(const PlannedCall& call, const SamplingConfig& sampling) {
  ContentPart image;
  image.kind = ContentPart::Kind::kImage;
  image.image = call.image;
  Request r;
  // Image first, then the text (fixed instructions, then the call-specific part), so
  // calls on one image share their prompt prefix (DESIGN.md "Caches and batching").
  r.messages = {Message::User({image, ContentPart::Text(call.prompt)})};
  r.sampling.temperature = sampling.temperature;
  r.sampling.top_k = sampling.top_k;
  r.sampling.top_p = sampling.top_p;
  r.sampling.seed = sampling.seed;
  r.max_tokens = call.max_tokens;
  r.constraint = call.constraint;
  return r;
}

}  // namespace

QueryRun::QueryRun(Vlm* vlm, OcrEngine* ocr, const PipelineConfig& config, const Query& query,
                   const EventSink* events)
    : vlm_(vlm),
      ocr_(ocr),
      config_(config),
      query_(query),
      events_(events),
      original_(std::make_shared<const RgbImage>(query.image)),
      start_(Clock::now()),
      phase_start_(start_) {
  result_.question = query.question;
  result_.image_path = query.image_path;
  result_.image_width = query.image.width;
  result_.image_height = query.image.height;
  result_.model = vlm->name();
  trace_.model = vlm->name();
  trace_.grounding_space = GroundingSpaceName(vlm->grounding_space());
}

PlannedCall QueryRun::Plan(const CallInfo& info, std::shared_ptr<const RgbImage> image,
                           std::string image_name, std::string prompt, int64_t max_tokens,
                           Constraint constraint) const {
  return PlannedCall{info,       std::move(image),     std::move(image_name), std::move(prompt),
                     max_tokens, std::move(constraint)};
}

StatusOr<std::vector<Completion>> QueryRun::Call(const std::vector<PlannedCall>& calls) {
  CORGI_ASSIGN_OR_RETURN(std::vector<StatusOr<Completion>> out, CallEach(calls));
  std::vector<Completion> completions;
  for (size_t i = 0; i < out.size(); ++i) {
    const CallInfo& info = calls[i].info;
    if (!out[i].ok()) {
      return out[i].status().WithContext(info.phase + " call for step " +
                                         std::to_string(info.step));
    }
    completions.push_back(std::move(*out[i]));
  }
  return completions;
}

StatusOr<std::vector<StatusOr<Completion>>> QueryRun::CallEach(
    const std::vector<PlannedCall>& calls, std::vector<double>* ms) {
  if (query_.cancel && query_.cancel->cancelled()) return CancelledError("the query was cancelled");
  std::vector<Request> requests;
  std::vector<CallInfo> infos;
  for (const PlannedCall& c : calls) {
    requests.push_back(MakeRequest(c, config_.sampling));
    requests.back().cancel = query_.cancel;
    infos.push_back(c.info);
  }
  // The reasoning and synthesis calls stream their text as "delta" events (the engine
  // calls back on its own thread while this one waits in Generate).
  if (requests.size() == 1 && events_ != nullptr && *events_ &&
      (infos[0].phase == "reasoning" || infos[0].phase == "synthesis")) {
    const std::string phase = infos[0].phase;
    const EventSink* sink = events_;
    requests[0].on_token = [sink, phase](int32_t, const std::string& piece) {
      if (!piece.empty()) {
        OrderedJson payload = {{"phase", phase}, {"text", piece}};
        (*sink)(Event{"delta", payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
      }
      return true;
    };
  }
  Clock::time_point t0 = Clock::now();
  std::vector<StatusOr<Completion>> out;
  if (requests.size() == 1) {
    out.push_back(vlm_->Generate(requests[0], infos[0]));
  } else if (!requests.empty()) {
    out = vlm_->GenerateBatch(requests, infos);
  }
  double wall_ms = MsBetween(t0, Clock::now());
  if (out.size() != calls.size()) return InternalError("Vlm::GenerateBatch returned a wrong count");
  if (ms != nullptr) ms->assign(out.size(), 0.0);
  for (size_t i = 0; i < out.size(); ++i) {
    if (!out[i].ok()) {
      if (out[i].status().code() == StatusCode::kCancelled) return out[i].status();
      continue;
    }
    const CallInfo& info = calls[i].info;
    Completion& c = *out[i];
    const Timings& t = c.timings;
    double engine_ms = t.preprocess_ms + t.vision_ms + t.prefill_ms + t.decode_ms;
    int64_t generated =
        t.generated_tokens > 0 ? t.generated_tokens : static_cast<int64_t>(c.tokens.size());
    trace_.calls.push_back(TraceCall{info.phase,
                                     info.step,
                                     calls[i].prompt,
                                     {calls[i].image_name},
                                     DescribeConstraint(calls[i].constraint),
                                     c.text,
                                     FinishReasonName(c.finish),
                                     t.prompt_tokens,
                                     generated,
                                     c.prefix_tokens_reused,
                                     c.images_from_cache,
                                     engine_ms > 0 ? engine_ms : wall_ms / out.size()});
    if (ms != nullptr) (*ms)[i] = trace_.calls.back().ms;
    Counts& counts = result_.counts;
    counts.model_calls += 1;
    counts.tokens_generated += generated;
    counts.images_from_cache += c.images_from_cache;
    counts.prefix_tokens_reused += c.prefix_tokens_reused;
  }
  return out;
}

void QueryRun::Emit(const std::string& type, const OrderedJson& payload) const {
  if (events_ == nullptr || !*events_) return;
  (*events_)(Event{type, payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
}

void QueryRun::Warn(const std::string& message, int step) {
  result_.warnings.push_back(message);
  OrderedJson payload = {{"message", message}};
  if (step > 0) payload["step"] = step;
  Emit("warning", payload);
}

void QueryRun::PhaseStart(const std::string& phase) {
  phase_start_ = Clock::now();
  Emit("phase_start", {{"phase", phase}});
}

void QueryRun::PhaseEnd(const std::string& phase) {
  double ms = MsBetween(phase_start_, Clock::now());
  result_.timings.push_back(PhaseTiming{phase, ms});
  Emit("phase_end", {{"phase", phase}, {"ms", ms}});
}

double QueryRun::MsSinceStart() const { return MsBetween(start_, Clock::now()); }

}  // namespace corgi::pipeline
