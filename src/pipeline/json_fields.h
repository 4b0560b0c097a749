// JSON objects of the pieces of a Result (shared by results_json.cc and the pipeline's
// streaming events, so an event carries exactly what results.json holds).
#pragma once

#include <nlohmann/json.hpp>

#include "corgi/pipeline/result.h"

namespace corgi::pipeline {

using OrderedJson = nlohmann::ordered_json;

OrderedJson BoxToJson(const Box& box);
OrderedJson StepToJson(const Step& step);
OrderedJson EvidenceToJson(const Evidence& evidence);
OrderedJson KeyEvidenceToJson(const KeyEvidence& key);
OrderedJson CountsToJson(const Counts& counts);

}  // namespace corgi::pipeline
