// Qwen2.5-VL's registration in the model-family table (model/registry.cc).
#pragma once

#include "corgi/model/registry.h"

namespace corgi::qwen2_5vl {

// model_type "qwen2_5_vl", display name "Qwen2.5-VL".
ModelFamily Qwen25VlFamily();

}  // namespace corgi::qwen2_5vl
