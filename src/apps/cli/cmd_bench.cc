// PLACEHOLDER: being written in this session; replaced before landing.
#include <cstdio>

#include "apps/cli/commands.h"

namespace corgi::cli {

int RunBench(int argc, char** argv) {
  std::fprintf(stderr, "corgi bench: not available yet\n");
  return 1;
}

}  // namespace corgi::cli
