// Reading tokenizer.json. We accept exactly the pipeline Qwen's files describe (spec §7)
// and name anything else in an Unimplemented error rather than tokenize it differently.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "corgi/core/json_scan.h"

#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer_data.h"

namespace corgi::internal {
namespace {

using nlohmann::json;

// Largest id we accept; keeps the per-id tables small and rejects garbage early.
constexpr int64_t kMaxId = 1 << 24;

std::string TypeOf(const json& j) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) return "";
  return j["type"].get<std::string>();
}

// Null (no normalization) or NFC (Qwen's), alone or as a one-element Sequence.
Status CheckNormalizer(const json& j, bool* nfc) {
  *nfc = !j.is_null();
  if (j.is_null() || TypeOf(j) == "NFC") return Status::Ok();
  if (TypeOf(j) == "Sequence" && j.contains("normalizers") && j["normalizers"].size() == 1 &&
      TypeOf(j["normalizers"][0]) == "NFC") {
    return Status::Ok();
  }
  return UnimplementedError("normalizer " + j.dump() + " (only NFC is supported)");
}

bool IsByteLevelNoRegex(const json& j) {
  return TypeOf(j) == "ByteLevel" && !j.value("add_prefix_space", false) &&
         !j.value("use_regex", true);
}

// Null (taken as Qwen2's) or Sequence[Split(Qwen2 regex, Isolated), ByteLevel(no regex)].
Status CheckPreTokenizer(const json& j) {
  if (j.is_null()) return Status::Ok();
  const std::string want = "Sequence[Split(Qwen2 regex, Isolated), ByteLevel]";
  if (TypeOf(j) != "Sequence" || !j.contains("pretokenizers") || j["pretokenizers"].size() != 2) {
    return UnimplementedError("pre_tokenizer " + j.dump().substr(0, 300) + " (want " + want + ")");
  }
  const json& split = j["pretokenizers"][0];
  if (TypeOf(split) != "Split" || !split.contains("pattern") ||
      !split["pattern"].contains("Regex")) {
    return UnimplementedError("pre_tokenizer[0] is not a regex Split (want " + want + ")");
  }
  const std::string regex = split["pattern"]["Regex"].get<std::string>();
  if (regex != kQwen2PretokenizerRegex) {
    return UnimplementedError("pre-tokenizer regex " + regex +
                              " is not the Qwen2 one this tokenizer implements");
  }
  if (split.value("behavior", "") != "Isolated" || split.value("invert", false)) {
    return UnimplementedError("pre_tokenizer Split must have behavior Isolated, invert false");
  }
  if (!IsByteLevelNoRegex(j["pretokenizers"][1])) {
    return UnimplementedError("pre_tokenizer[1] " + j["pretokenizers"][1].dump() +
                              " (want ByteLevel, add_prefix_space false, use_regex false)");
  }
  return Status::Ok();
}

// The decoder and post-processor may be absent or ByteLevel (which changes only offsets).
Status CheckByteLevelOrNull(const json& j, const char* what) {
  if (j.is_null() || TypeOf(j) == "ByteLevel") return Status::Ok();
  return UnimplementedError(std::string(what) + " " + j.dump().substr(0, 300) +
                            " (only ByteLevel is supported)");
}

Status CheckModelOptions(const json& model) {
  if (TypeOf(model) != "BPE" && !(model.is_object() && !model.contains("type"))) {
    return UnimplementedError("model type '" + TypeOf(model) + "' (only BPE is supported)");
  }
  if (model.contains("dropout") && !model["dropout"].is_null()) {
    return UnimplementedError("BPE dropout");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && !model[key].is_null() && model[key] != "") {
      return UnimplementedError(std::string("BPE ") + key);
    }
  }
  if (model.value("byte_fallback", false)) return UnimplementedError("BPE byte_fallback");
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    return DataLossError("model.vocab is missing or not an object");
  }
  if (!model.contains("merges") || !model["merges"].is_array()) {
    return DataLossError("model.merges is missing or not an array");
  }
  return Status::Ok();
}

Status ParseVocab(const json& vocab, TokenizerData* d) {
  d->spelling_to_id.reserve(vocab.size() + 1024);
  for (const auto& [spelling, id_json] : vocab.items()) {
    if (!id_json.is_number_integer())
      return DataLossError("vocab id of '" + spelling + "' is not an integer");
    const int64_t id = id_json.get<int64_t>();
    if (id < 0 || id >= kMaxId)
      return DataLossError("vocab id " + std::to_string(id) + " out of range");
    if (spelling.empty()) return DataLossError("empty token in vocab");
    if (static_cast<size_t>(id) >= d->vocab_spelling.size()) d->vocab_spelling.resize(id + 1);
    if (!d->vocab_spelling[id].empty())
      return DataLossError("vocab id " + std::to_string(id) + " used twice");
    d->vocab_spelling[id] = spelling;
    d->spelling_to_id.emplace(spelling, static_cast<int32_t>(id));
  }
  return Status::Ok();
}

int32_t FindSpelling(const TokenizerData& d, std::string_view s) {
  auto it = d.spelling_to_id.find(s);
  return it == d.spelling_to_id.end() ? -1 : it->second;
}

// Merges are "a b" strings (older files) or ["a", "b"] pairs (newer); rank = index.
Status ParseMerges(const json& merges, TokenizerData* d) {
  d->merges = MergeTable(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const json& m = merges[rank];
    std::string a, b;
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        return DataLossError("merge " + std::to_string(rank) + " '" + s + "' is not 'a b'");
      }
      a = s.substr(0, space);
      b = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      a = m[0].get<std::string>();
      b = m[1].get<std::string>();
    } else {
      return DataLossError("merge " + std::to_string(rank) + " is neither \"a b\" nor [a, b]");
    }
    const int32_t ia = FindSpelling(*d, a), ib = FindSpelling(*d, b);
    const int32_t merged = FindSpelling(*d, a + b);
    if (ia < 0 || ib < 0 || merged < 0) {
      return DataLossError("merge " + std::to_string(rank) + " (" + a + ", " + b +
                           ") uses or makes a token missing from the vocab");
    }
    d->merges.Insert(ia, ib, {static_cast<uint32_t>(rank), merged});
  }
  return Status::Ok();
}

Status ParseAddedTokens(const json& added, TokenizerData* d) {
  if (added.is_null()) return Status::Ok();
  if (!added.is_array()) return DataLossError("added_tokens is not an array");
  for (const json& t : added) {
    AddedToken tok;
    const int64_t id = t.at("id").get<int64_t>();
    if (id < 0 || id >= kMaxId)
      return DataLossError("added token id " + std::to_string(id) + " out of range");
    tok.id = static_cast<int32_t>(id);
    tok.content = t.at("content").get<std::string>();
    tok.special = t.value("special", false);
    if (tok.content.empty())
      return DataLossError("added token " + std::to_string(id) + " is empty");
    // Qwen's added tokens have none of these; supporting them would change matching.
    // ("normalized" is ignored: matching before or after NFC is the same for such tokens.)
    for (const char* flag : {"lstrip", "rstrip", "single_word"}) {
      if (t.value(flag, false)) {
        return UnimplementedError("added token '" + tok.content + "' has " + flag + " set");
      }
    }
    d->added_tokens.push_back(std::move(tok));
  }
  return Status::Ok();
}

// Raw bytes of a token: through the inverse byte map when every character is in it,
// else its literal UTF-8 (what HF's ByteLevel decoder does).
std::string DecodedBytes(const std::string& spelling) {
  std::optional<std::string> bytes = VocabSpellingToBytes(spelling);
  return bytes ? *bytes : spelling;
}

void SetSpecialIds(TokenizerData* d) {
  SpecialTokenIds& s = d->special_ids;
  const std::pair<const char*, int32_t*> table[] = {
      {"<|endoftext|>", &s.endoftext},
      {"<|im_start|>", &s.im_start},
      {"<|im_end|>", &s.im_end},
      {"<|vision_start|>", &s.vision_start},
      {"<|vision_end|>", &s.vision_end},
      {"<|vision_pad|>", &s.vision_pad},
      {"<|image_pad|>", &s.image_pad},
      {"<|video_pad|>", &s.video_pad},
      {"<think>", &s.think},
      {"</think>", &s.think_end},
  };
  for (const AddedToken& t : d->added_tokens) {
    for (const auto& [content, field] : table) {
      if (t.content == content) *field = t.id;
    }
  }
}

// Derived tables: byte ids, per-id bytes and flags, added-token lookup.
Status BuildTables(TokenizerData* d) {
  for (int b = 0; b < 256; ++b) {
    const std::string spelling = BytesToVocabSpelling(std::string(1, static_cast<char>(b)));
    d->byte_ids[b] = FindSpelling(*d, spelling);
    if (d->byte_ids[b] < 0) {
      return DataLossError("vocab lacks the byte token for byte " + std::to_string(b) +
                           " (not a byte-level BPE vocabulary)");
    }
  }
  int32_t size = static_cast<int32_t>(d->vocab_spelling.size());
  for (const AddedToken& t : d->added_tokens) size = std::max(size, t.id + 1);
  std::vector<std::string> bytes(size);
  d->id_known.assign(size, 0);
  d->is_special.assign(size, 0);
  for (size_t id = 0; id < d->vocab_spelling.size(); ++id) {
    if (d->vocab_spelling[id].empty()) continue;
    d->id_known[id] = 1;
    bytes[id] = DecodedBytes(d->vocab_spelling[id]);
  }
  for (const AddedToken& t : d->added_tokens) {
    d->id_known[t.id] = 1;
    d->is_special[t.id] = t.special ? 1 : 0;
    bytes[t.id] = DecodedBytes(t.content);
    d->spelling_to_id[t.content] = t.id;
  }
  d->bytes_offset.assign(size + 1, 0);
  for (int32_t id = 0; id < size; ++id) {
    d->bytes_offset[id] = static_cast<uint32_t>(d->token_bytes.size());
    d->token_bytes += bytes[id];
  }
  d->bytes_offset[size] = static_cast<uint32_t>(d->token_bytes.size());
  d->added_matcher.Build(d->added_tokens);
  SetSpecialIds(d);
  return Status::Ok();
}

Status ParseParsed(const json& j, TokenizerData* d) {
  if (!j.is_object()) return DataLossError("tokenizer.json is not a JSON object");
  if (!j.contains("model")) return DataLossError("tokenizer.json has no model");
  CORGI_RETURN_IF_ERROR(CheckNormalizer(j.value("normalizer", json()), &d->nfc));
  CORGI_RETURN_IF_ERROR(CheckPreTokenizer(j.value("pre_tokenizer", json())));
  CORGI_RETURN_IF_ERROR(CheckByteLevelOrNull(j.value("decoder", json()), "decoder"));
  CORGI_RETURN_IF_ERROR(CheckByteLevelOrNull(j.value("post_processor", json()), "post_processor"));
  const json& model = j["model"];
  CORGI_RETURN_IF_ERROR(CheckModelOptions(model));
  d->ignore_merges = model.value("ignore_merges", false);
  CORGI_RETURN_IF_ERROR(ParseVocab(model["vocab"], d));
  CORGI_RETURN_IF_ERROR(ParseMerges(model["merges"], d));
  CORGI_RETURN_IF_ERROR(ParseAddedTokens(j.value("added_tokens", json()), d));
  return BuildTables(d);
}

}  // namespace

Status ParseTokenizerJson(std::string_view text, TokenizerData* data) {
  // nlohmann throws on type mismatches; no exception may leave the library.
  CORGI_RETURN_IF_ERROR(CheckJsonDepth(text, "tokenizer.json"));
  try {
    const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return DataLossError("not valid JSON");
    return ParseParsed(j, data);
  } catch (const json::exception& e) {
    return DataLossError(std::string("unexpected tokenizer.json structure: ") + e.what());
  }
}

}  // namespace corgi::internal
