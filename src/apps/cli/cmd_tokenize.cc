// corgi tokenize: text on stdin -> token ids as a JSON array; --decode: the reverse.
//
//   printf 'Hello world' | corgi tokenize --model /models/qwen3-vl-2b     # [9707,1879]
//   echo '[9707,1879]' | corgi tokenize --model tokenizer.json --decode   # Hello world
//
// The text is taken byte for byte (a trailing newline from echo is encoded too).
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "apps/cli/commands.h"
#include "apps/cli/flags.h"
#include "apps/cli/model_path.h"
#include "corgi/tokenizer/tokenizer.h"

namespace corgi::cli {
namespace {

std::string ReadStdin() {
  std::ios::sync_with_stdio(false);
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

// Parses a JSON array of integers that fit int32. On failure returns false with `error`.
bool ParseIds(const std::string& text, std::vector<int32_t>* ids, std::string* error) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) {
    *error = "stdin is not a JSON array of token ids";
    return false;
  }
  for (const nlohmann::json& v : j) {
    if (!v.is_number_integer() || v.get<int64_t>() < std::numeric_limits<int32_t>::min() ||
        v.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      *error = "not a token id: " + v.dump();
      return false;
    }
    ids->push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return true;
}

int Encode(const Tokenizer& tok) {
  const std::vector<int32_t> ids = tok.Encode(ReadStdin());
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  out += "]\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int Decode(const Tokenizer& tok, bool skip_special) {
  std::vector<int32_t> ids;
  std::string error;
  if (!ParseIds(ReadStdin(), &ids, &error)) {
    std::fprintf(stderr, "corgi tokenize --decode: %s\n", error.c_str());
    return 1;
  }
  StatusOr<std::string> text = tok.Decode(ids, skip_special);
  if (!text.ok()) {
    std::fprintf(stderr, "corgi tokenize --decode: %s\n", text.status().ToString().c_str());
    return 1;
  }
  std::fwrite(text->data(), 1, text->size(), stdout);
  return 0;
}

}  // namespace

int RunTokenize(int argc, char** argv) {
  FlagParser flags(
      "corgi tokenize -m DIR|FILE [--decode] [--skip-special] < input",
      "Encode the text on stdin to token ids (a JSON array on one line), or with\n"
      "--decode read a JSON array of ids on stdin and print the text.");
  std::string* model = AddModelFlag(&flags, "checkpoint directory (or OWNER/NAME) or a tokenizer.json FILE");
  bool* decode = flags.Bool("decode", "stdin is a JSON array of ids; print the text");
  bool* skip_special = flags.Bool("skip-special", "with --decode: leave out special tokens");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  if (model->empty() || !flags.positional().empty()) {
    flags.PrintUsage();
    return 2;
  }
  if (!ResolveModelFlag(model)) return 1;
  if (*skip_special && !*decode) {
    std::fprintf(stderr, "corgi tokenize: --skip-special only applies with --decode\n");
    return 2;
  }
  StatusOr<Tokenizer> tok = Tokenizer::Load(*model);
  if (!tok.ok()) {
    std::fprintf(stderr, "corgi tokenize: %s\n", tok.status().ToString().c_str());
    return 1;
  }
  return *decode ? Decode(*tok, *skip_special) : Encode(*tok);
}

}  // namespace corgi::cli
