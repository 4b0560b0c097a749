#include "corgi/pipeline/result.h"

namespace corgi::pipeline {

const char* EvidenceKindName(EvidenceKind kind) {
  return kind == EvidenceKind::kText ? "text" : "object";
}

const char* BoxSourceName(BoxSource source) {
  switch (source) {
    case BoxSource::kReasoning:
      return "reasoning";
    case BoxSource::kGrounding:
      return "grounding";
    case BoxSource::kWholeImage:
      return "whole_image";
    case BoxSource::kNone:
      return "none";
  }
  return "none";
}

}  // namespace corgi::pipeline
