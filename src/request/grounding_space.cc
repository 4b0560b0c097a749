#include "corgi/request/grounding_space.h"

namespace corgi {

const char* GroundingSpaceName(GroundingSpace space) {
  return space == GroundingSpace::kRelative1000 ? "relative_1000" : "resized_input_pixels";
}

StatusOr<GroundingSpace> ParseGroundingSpace(const std::string& name) {
  if (name == "relative_1000") return GroundingSpace::kRelative1000;
  if (name == "resized_input_pixels") return GroundingSpace::kResizedInputPixels;
  return InvalidArgumentError("unknown grounding space \"" + name +
                              "\" (relative_1000 | resized_input_pixels)");
}

}  // namespace corgi
