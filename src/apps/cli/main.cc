// corgi: grounded visual reasoning on a native Qwen-VL engine (every family in
// model/registry.h).
#include <cstdio>
#include <cstring>
#include <string>

#include "apps/cli/commands.h"
#include "corgi/model/registry.h"

#ifndef CORGI_VERSION
#error "CORGI_VERSION comes from project(corgi VERSION ...) in CMakeLists.txt"
#endif

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

const Command kCommands[] = {
    {"ask", corgi::cli::RunAsk, "answer a question about an image with grounded reasoning (CoRGI)"},
    {"batch", corgi::cli::RunBatch, "run CoRGI over a file of (image, question) items; resumable"},
    {"serve", corgi::cli::RunServe, "HTTP server: CoRGI API with live events, OpenAI-compatible chat, web page"},
    {"make-model", corgi::cli::RunMakeModel, "write a synthetic checkpoint of a model family (random weights)"},
    {"quantize", corgi::cli::RunQuantize, "write a float checkpoint's weights in 8 or 4 bits (q8, q4)"},
    {"inspect", corgi::cli::RunInspect, "describe a checkpoint: architecture, parameters, memory"},
    {"tokenize", corgi::cli::RunTokenize, "text on stdin -> token ids as JSON (--decode: the reverse)"},
    {"preprocess", corgi::cli::RunPreprocess, "decode, resize and patchify an image as the model sees it"},
    {"generate", corgi::cli::RunGenerate, "one completion with timings; --dump writes stage outputs"},
    {"bench", corgi::cli::RunBench, "measure speed as JSON: bench tokenizer, model, pipeline"},
};

void PrintHelp() {
  std::string families;
  for (const corgi::ModelFamily& f : corgi::ModelFamilies())
    families += (families.empty() ? "" : ", ") + f.display_name;
  std::fprintf(stderr,
               "corgi — grounded visual reasoning with Qwen-VL models (%s)\n\n"
               "usage: corgi COMMAND [flags]   (corgi COMMAND --help for its flags)\n"
               "       corgi --version\n\ncommands:\n",
               families.c_str());
  for (const Command& c : kCommands) std::fprintf(stderr, "  %-12s %s\n", c.name, c.summary);
  std::fprintf(stderr, "  %-12s %s\n", "version", "print the version");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    PrintHelp();
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-V") == 0 ||
      std::strcmp(argv[1], "version") == 0) {
    std::printf("corgi %s\n", CORGI_VERSION);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) == 0) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "corgi: unknown command '%s'\n\n", argv[1]);
  PrintHelp();
  return 2;
}
