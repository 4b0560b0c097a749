// corgi tokenize: text on stdin -> token ids as a JSON array; --decode: the reverse.
//
//   printf 'Hello world' | corgi tokenize --model /models/qwen3-vl-2b     # [9707,1879]
//   echo '[9707,1879]' | corgi tokenize --model tokenizer.json --decode   # Hello world
//
// The text is taken byte for byte (a trailing newline from echo is encoded too), and as
// plain text: "<|im_end|>" typed in it is encoded as ordinary characters, as user text is
// everywhere in corgi. --parse-special opts in to turning special-token strings into their
// ids (how the chat template's own markers are encoded).
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "apps/cli/commands.h"
#include "apps/cli/flags.h"
#include "apps/cli/model_path.h"
#include "apps/cli/token_ids.h"
#include "corgi/tokenizer/tokenizer.h"

namespace corgi::cli {
namespace {

std::string ReadStdin() {
  std::ios::sync_with_stdio(false);
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

int Encode(const Tokenizer& tok, bool parse_special) {
  const std::string text = ReadStdin();
  std::vector<int32_t> ids;
  if (parse_special)
    tok.EncodeAppend(text, &ids);
  else
    tok.EncodeOrdinaryAppend(text, &ids);
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
  StatusOr<std::vector<int32_t>> ids = ParseTokenIds(ReadStdin());
  if (!ids.ok()) {
    std::fprintf(stderr, "corgi tokenize --decode: %s\n", ids.status().message().c_str());
    return 1;
  }
  StatusOr<std::string> text = tok.Decode(*ids, skip_special);
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
      "corgi tokenize -m DIR|FILE [--parse-special] [--decode [--skip-special]] < input",
      "Encode the text on stdin to token ids (a JSON array on one line), or with\n"
      "--decode read a JSON array of ids on stdin and print the text.\n"
      "The text is encoded as plain text: special-token strings such as <|im_end|> in it\n"
      "become ordinary tokens, as a user's question does in ask, batch and serve.\n"
      "--parse-special encodes them as their special ids instead.");
  std::string* model = AddModelFlag(&flags, "checkpoint directory (or OWNER/NAME) or a tokenizer.json FILE");
  bool* decode = flags.Bool("decode", "stdin is a JSON array of ids; print the text");
  bool* skip_special = flags.Bool("skip-special", "with --decode: leave out special tokens");
  bool* parse_special = flags.Bool(
      "parse-special", "encode special-token strings (<|im_start|>...) as their ids (default: plain text)");
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
  if (*parse_special && *decode) {
    std::fprintf(stderr, "corgi tokenize: --parse-special only applies without --decode\n");
    return 2;
  }
  StatusOr<Tokenizer> tok = Tokenizer::Load(*model);
  if (!tok.ok()) {
    std::fprintf(stderr, "corgi tokenize: %s\n", tok.status().ToString().c_str());
    return 1;
  }
  return *decode ? Decode(*tok, *skip_special) : Encode(*tok, *parse_special);
}

}  // namespace corgi::cli
