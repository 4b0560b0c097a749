// PLACEHOLDER: being written in this session; replaced before landing.
#include <cstdio>

#include "apps/cli/commands.h"

namespace corgi::cli {

int RunMakeModel(int argc, char** argv) {
  std::fprintf(stderr, "corgi make_model: not available yet\n");
  return 1;
}

}  // namespace corgi::cli
