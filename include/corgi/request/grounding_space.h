// How a model writes boxes in its text (PIPELINE.md "Coordinates"). A property of the
// model family (model/loaded_model.h reports it) or, for a remote endpoint, of its
// configuration — never guessed from the numbers a model wrote.
#pragma once

#include <string>

#include "corgi/core/status.h"

namespace corgi {

enum class GroundingSpace {
  kRelative1000,        // integers 0..1000 relative to the image (Qwen3-VL)
  kResizedInputPixels,  // absolute pixels of the model's resized input (Qwen2/2.5-VL)
};

// "relative_1000" | "resized_input_pixels" — the names configs, replays and traces use.
// ParseGroundingSpace: InvalidArgument for an unknown name.
const char* GroundingSpaceName(GroundingSpace space);
StatusOr<GroundingSpace> ParseGroundingSpace(const std::string& name);

}  // namespace corgi
