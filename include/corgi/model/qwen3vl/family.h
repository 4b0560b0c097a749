// Qwen3-VL's registration in the model-family table (model/registry.cc).
#pragma once

#include "corgi/model/registry.h"

namespace corgi::qwen3vl {

ModelFamily Qwen3VlFamily();

}  // namespace corgi::qwen3vl
