// corgi serve — placeholder until the server lands.
#include <cstdio>

#include "apps/cli/commands.h"

namespace corgi::cli {
int RunServe(int, char**) {
  std::fprintf(stderr, "corgi serve: not built yet\n");
  return 1;
}
}  // namespace corgi::cli
