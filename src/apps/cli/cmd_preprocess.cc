// PLACEHOLDER: being written in this session; replaced before landing.
#include <cstdio>

#include "apps/cli/commands.h"

namespace corgi::cli {

int RunPreprocess(int argc, char** argv) {
  std::fprintf(stderr, "corgi preprocess: not available yet\n");
  return 1;
}

}  // namespace corgi::cli
